"""mx.mod.BucketingModule (one symbol per bucket key, shared parameters and optimizer) and
mx.io.BucketSentenceIter."""

from __future__ import annotations

import os

import numpy as np
import pytest

import mxcore as mx

FEATURES = 3
CLASSES = 4
BATCH = 6


def seq_sym_gen(seq_len):
    """Sum a (batch, seq_len, FEATURES) input over time, then a two-layer MLP with automatic
    names (the bucket key changes only the input length)."""
    data = mx.sym.Variable("data")
    pooled = mx.sym.sum(data, axis=1) / float(seq_len)
    hidden = mx.sym.Activation(mx.sym.FullyConnected(pooled, num_hidden=8), act_type="tanh")
    out = mx.sym.FullyConnected(hidden, num_hidden=CLASSES)
    return mx.sym.SoftmaxOutput(out, name="softmax"), ("data",), ("softmax_label",)


def make_batch(seq_len, seed):
    rng = np.random.RandomState(seed)
    centers = np.random.RandomState(99).normal(0, 2, size=(CLASSES, FEATURES))
    label = rng.randint(0, CLASSES, size=BATCH)
    x = centers[label][:, None, :] + rng.normal(0, 0.5, size=(BATCH, seq_len, FEATURES))
    return mx.io.DataBatch(
        [mx.nd.array(x)], [mx.nd.array(label)], pad=0, bucket_key=seq_len,
        provide_data=[mx.io.DataDesc("data", (BATCH, seq_len, FEATURES))],
        provide_label=[mx.io.DataDesc("softmax_label", (BATCH,))])


def bound_module(default_key=5, **kwargs):
    mod = mx.mod.BucketingModule(seq_sym_gen, default_bucket_key=default_key, **kwargs)
    mod.bind(data_shapes=[("data", (BATCH, default_key, FEATURES))],
             label_shapes=[("softmax_label", (BATCH,))])
    mx.random.seed(1)
    mod.init_params(mx.init.Xavier())
    return mod


def cross_entropy(mod, batches):
    total = 0.0
    for batch in batches:
        mod.forward(batch, is_train=False)
        prob = mod.get_outputs()[0].asnumpy()
        label = batch.label[0].asnumpy().astype(int)
        total -= np.log(prob[np.arange(len(label)), label]).mean()
    return total / len(batches)


def test_buckets_share_the_same_parameter_arrays():
    mod = bound_module()
    mod.forward(make_batch(2, 0), is_train=True)
    assert sorted(mod._buckets) == [2, 5]
    default, other = mod._buckets[5], mod._buckets[2]
    assert other.symbol.list_arguments() == default.symbol.list_arguments()
    assert default._exec_group.param_names == ["fullyconnected0_weight", "fullyconnected0_bias",
                                               "fullyconnected1_weight", "fullyconnected1_bias"]
    for mine, theirs in zip(other._exec_group.param_arrays, default._exec_group.param_arrays):
        assert mine[0] is theirs[0]
    assert mod.output_shapes == [("softmax_output", (BATCH, CLASSES))]
    assert mod.data_shapes[0].shape == (BATCH, 2, FEATURES)


def test_training_over_two_buckets_reduces_the_loss():
    mod = bound_module()
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
    eval_batches = [make_batch(5, 100), make_batch(2, 101)]
    before = cross_entropy(mod, eval_batches)
    metric = mx.metric.create("acc")
    for step in range(40):
        batch = make_batch(5 if step % 2 else 2, step)
        mod.forward_backward(batch)
        mod.update()
        mod.update_metric(metric, batch.label)
    after = cross_entropy(mod, eval_batches)
    assert after < 0.5 * before
    assert metric.get()[1] > 0.6


def test_matches_per_bucket_modules_with_copied_parameters():
    mod = bound_module()
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.3})
    arg0, aux0 = mod.get_params()
    arg0 = {k: v.copy() for k, v in arg0.items()}

    refs = {}
    for key in (5, 2):
        # the reference symbols get their automatic names from a fresh NameManager too
        with mx.name.NameManager():
            sym, data_names, label_names = seq_sym_gen(key)
        ref = mx.mod.Module(sym, data_names, label_names)
        ref.bind(data_shapes=[("data", (BATCH, key, FEATURES))],
                 label_shapes=[("softmax_label", (BATCH,))])
        ref.init_params(arg_params=arg0, aux_params=aux0)
        ref.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.3})
        refs[key] = ref

    current = arg0
    for step, key in enumerate([2, 5, 5, 2, 2, 5]):
        batch = make_batch(key, step)
        mod.forward_backward(batch)
        mod.update()
        ref = refs[key]
        ref.set_params(current, {})
        ref.forward_backward(batch)
        ref.update()
        np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(),
                                   ref.get_outputs()[0].asnumpy(), rtol=1e-5, atol=1e-6)
        current = {k: v.copy() for k, v in ref.get_params()[0].items()}
    got = mod.get_params()[0]
    for name, value in current.items():
        np.testing.assert_allclose(got[name].asnumpy(), value.asnumpy(), rtol=1e-5, atol=1e-6)


def test_switch_bucket_of_unseen_key_binds_a_sharing_module():
    mod = bound_module()
    mod.init_optimizer()
    mod.switch_bucket(7, [("data", (BATCH, 7, FEATURES))], [("softmax_label", (BATCH,))])
    assert mod._curr_bucket_key == 7
    new, default = mod._buckets[7], mod._buckets[5]
    assert new.binded and new.params_initialized and new.optimizer_initialized
    assert new._updater is default._updater
    assert new._exec_group.param_arrays[0][0] is default._exec_group.param_arrays[0][0]
    assert mod.data_shapes[0].shape == (BATCH, 7, FEATURES)
    # switching back reuses the bound module
    mod.switch_bucket(5, None)
    assert mod._curr_module is default
    with pytest.raises(mx.base.MXNetError, match="data_shapes"):
        mod.switch_bucket(9, None)


def test_update_in_another_bucket_shows_in_get_params():
    mod = bound_module()
    mod.init_optimizer(optimizer_params={"learning_rate": 1.0})
    before = {k: v.copy() for k, v in mod.get_params()[0].items()}
    mod.forward_backward(make_batch(3, 0))
    mod.update()
    after = mod.get_params()[0]
    assert any(not np.allclose(before[k].asnumpy(), after[k].asnumpy()) for k in before)
    # the values are the executors' arrays
    name = "fullyconnected1_bias"
    index = mod._buckets[5]._exec_group.param_names.index(name)
    np.testing.assert_array_equal(
        after[name].asnumpy(), mod._buckets[3]._exec_group.param_arrays[index][0].asnumpy())


def test_bucket_with_a_subset_of_parameters_keeps_their_optimizer_settings():
    def sym_gen(key):
        data = mx.sym.Variable("data")
        if key == "big":
            data = mx.sym.FullyConnected(data, num_hidden=FEATURES, name="fc1")
        out = mx.sym.FullyConnected(data, num_hidden=CLASSES, name="fc2")
        return mx.sym.SoftmaxOutput(out, name="softmax"), ("data",), ("softmax_label",)

    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key="big")
    mod.bind(data_shapes=[("data", (BATCH, FEATURES))],
             label_shapes=[("softmax_label", (BATCH,))])
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 1.0})
    mod._buckets["big"]._optimizer.set_lr_mult({"fc2_weight": 0.0})
    before = {k: v.copy() for k, v in mod.get_params()[0].items()}
    rng = np.random.RandomState(0)
    batch = mx.io.DataBatch([mx.nd.array(rng.normal(size=(BATCH, FEATURES)))],
                            [mx.nd.array(rng.randint(0, CLASSES, size=BATCH))],
                            bucket_key="small")
    mod.forward_backward(batch)
    mod.update()
    after = mod.get_params()[0]
    assert mod._buckets["small"]._exec_group.param_names == ["fc2_weight", "fc2_bias"]
    np.testing.assert_array_equal(after["fc2_weight"].asnumpy(),
                                  before["fc2_weight"].asnumpy())
    assert not np.allclose(after["fc2_bias"].asnumpy(), before["fc2_bias"].asnumpy())
    np.testing.assert_array_equal(after["fc1_weight"].asnumpy(),
                                  before["fc1_weight"].asnumpy())


def test_bucket_parameters_must_fit_the_default_bucket():
    def sym_gen(key):
        data = mx.sym.Variable("data")
        out = mx.sym.FullyConnected(data, num_hidden=CLASSES, name="fc")
        if key == 2:
            out = mx.sym.FullyConnected(out, num_hidden=CLASSES, name="extra")
        return mx.sym.SoftmaxOutput(out, name="softmax"), ("data",), ("softmax_label",)

    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=1)
    mod.bind(data_shapes=[("data", (BATCH, FEATURES))])
    mod.init_params()
    with pytest.raises(mx.base.MXNetValueError, match="extra_weight"):
        mod.switch_bucket(2, [("data", (BATCH, FEATURES))])
    with pytest.raises(mx.base.MXNetValueError, match="shape"):
        mod.switch_bucket(3, [("data", (BATCH, FEATURES + 1))])


def test_constructor_and_bind_errors():
    with pytest.raises(mx.base.MXNetValueError, match="default_bucket_key"):
        mx.mod.BucketingModule(seq_sym_gen)
    with pytest.raises(mx.base.MXNetValueError, match="not found"):
        mx.mod.BucketingModule(lambda k: (seq_sym_gen(k)[0], ("x",), ()), default_bucket_key=2)
    mod = mx.mod.BucketingModule(seq_sym_gen, default_bucket_key=2)
    assert mod.data_names == ["data"] and mod.output_names == ["softmax_output"]
    with pytest.raises(mx.base.MXNetError, match="bind"):
        mod.forward(make_batch(2, 0))
    other = bound_module()
    with pytest.raises(mx.base.MXNetValueError, match="shared_module"):
        mod.bind([("data", (BATCH, 2, FEATURES))], shared_module=other)


def test_rebind_keeps_parameters_and_optimizer():
    mod = bound_module()
    mod.init_optimizer()
    mod.forward_backward(make_batch(2, 0))
    mod.update()
    before = {k: v.copy() for k, v in mod.get_params()[0].items()}
    mod.bind(data_shapes=[("data", (BATCH, 5, FEATURES))],
             label_shapes=[("softmax_label", (BATCH,))], force_rebind=True)
    assert sorted(mod._buckets) == [5]
    after = mod.get_params()[0]
    for name, value in before.items():
        np.testing.assert_array_equal(after[name].asnumpy(), value.asnumpy())
    mod.forward_backward(make_batch(2, 1))
    mod.update()


def test_predict_without_bucket_key_uses_default_bucket():
    mod = bound_module()
    out = mod.predict(mx.nd.ones((BATCH, 5, FEATURES)))
    assert out.shape == (BATCH, CLASSES)


def test_save_checkpoint_and_load(tmp_path):
    mod = bound_module()
    mod.forward(make_batch(2, 0), is_train=False)
    prefix = os.path.join(tmp_path, "bucket")
    mod.save_checkpoint(prefix, 3)
    for name in ("bucket-5-symbol.json", "bucket-2-symbol.json", "bucket-0003.params",
                 "bucket.buckets"):
        assert os.path.exists(os.path.join(tmp_path, name))
    assert sorted(mx.nd.load(prefix + ".buckets")[0].asnumpy().tolist()) == [2, 5]
    loaded = mx.mod.BucketingModule.load(prefix, 3, sym_gen=seq_sym_gen, default_bucket_key=5)
    loaded.bind(data_shapes=[("data", (BATCH, 5, FEATURES))],
                label_shapes=[("softmax_label", (BATCH,))])
    batch = make_batch(2, 7)
    for m in (mod, loaded):
        m.forward(batch, is_train=False)
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(),
                                  loaded.get_outputs()[0].asnumpy())
    with pytest.raises(mx.base.MXNetValueError, match="sym_gen"):
        mx.mod.BucketingModule.load(prefix, 3)


# -- BucketSentenceIter ---------------------------------------------------------------------------
def test_bucket_sentence_iter_pads_buckets_and_shifts_labels():
    sentences = [[1, 2], [3], [4, 5, 6], [7, 8, 9], [1, 2, 3, 4, 5, 6]]
    it = mx.io.BucketSentenceIter(sentences, batch_size=2, buckets=[2, 3], invalid_label=0)
    assert it.default_bucket_key == 3
    assert it.provide_data == [("data", (2, 3))]
    assert it.provide_label[0].name == "softmax_label"
    batches = {b.bucket_key: b for b in it}
    assert sorted(batches) == [2, 3]
    small = batches[2]
    rows = sorted(map(tuple, small.data[0].asnumpy().astype(int).tolist()))
    assert rows == [(1, 2), (3, 0)]
    for data, label in zip(small.data[0].asnumpy(), small.label[0].asnumpy()):
        np.testing.assert_array_equal(label, np.append(data[1:], 0))
    assert small.provide_data[0].shape == (2, 2)
    it.reset()
    assert len(list(it)) == 2


def test_bucket_sentence_iter_tn_layout_and_default_buckets():
    sentences = [[1, 2, 3]] * 4 + [[1]] * 3
    it = mx.io.BucketSentenceIter(sentences, batch_size=2, layout="TN")
    assert it.buckets == [1, 3]
    assert it.provide_data[0].shape == (3, 2) and it.provide_data[0].layout == "TN"
    shapes = sorted(b.data[0].shape for b in it)
    assert shapes == [(1, 2), (3, 2), (3, 2)]
    with pytest.raises(mx.base.MXNetValueError, match="layout"):
        mx.io.BucketSentenceIter(sentences, batch_size=2, layout="NTC")
    with pytest.raises(mx.base.MXNetValueError, match="bucket"):
        mx.io.BucketSentenceIter([[1]], batch_size=2)


def test_fit_score_predict_on_bucket_sentence_iter():
    vocab = 6

    def sym_gen(seq_len):
        data = mx.sym.Variable("data")
        label = mx.sym.Variable("softmax_label")
        embed = mx.sym.Embedding(data, input_dim=vocab, output_dim=8, name="embed")
        pred = mx.sym.FullyConnected(mx.sym.Reshape(embed, shape=(-1, 8)), num_hidden=vocab,
                                     name="pred")
        label = mx.sym.Reshape(label, shape=(-1,))
        out = mx.sym.SoftmaxOutput(pred, label, name="softmax")
        return out, ("data",), ("softmax_label",)

    rng = np.random.RandomState(0)
    # next token = token + 1 (mod vocab); lengths 3 and 5
    sentences = []
    for _ in range(40):
        start = rng.randint(0, vocab)
        length = 3 if rng.rand() < 0.5 else 5
        sentences.append([(start + t) % vocab for t in range(length)])
    mx.random.seed(0)
    it = mx.io.BucketSentenceIter(sentences, batch_size=4, buckets=[3, 5], invalid_label=0)
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=it.default_bucket_key)
    mod.fit(it, num_epoch=8, optimizer_params={"learning_rate": 0.5},
            initializer=mx.init.Xavier(), eval_metric="ce")
    assert sorted(mod._buckets) == [3, 5]
    score = dict(mod.score(it, "ce"))
    assert score["cross-entropy"] < 0.8
    outputs = mod.predict(it, merge_batches=False)
    assert {o[0].shape[0] for o in outputs} == {12, 20}

