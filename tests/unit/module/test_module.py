"""mx.mod.Module: the seed training loop, fit/score/predict, checkpoints, data parallelism and
role-based initialisation."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import mxcore as mx

NUM_CLASSES = 10
NUM_FEATURES = 16


def separable_data(n: int = 400, seed: int = 0):
    """Ten well separated Gaussian blobs in 16 dimensions (float32 features and labels)."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(0.0, 3.0, size=(NUM_CLASSES, NUM_FEATURES))
    labels = rng.randint(0, NUM_CLASSES, size=n)
    features = centers[labels] + rng.normal(0.0, 1.0, size=(n, NUM_FEATURES))
    return features.astype(np.float32), labels.astype(np.float32)


def seed_symbol(hidden: int = 0) -> mx.sym.Symbol:
    """The issue's seed program: data/label/w/b variables -> FullyConnected -> SoftmaxOutput
    (with ``hidden`` units, an extra ReLU layer with automatic names in front)."""
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    w = mx.sym.Variable("w")
    b = mx.sym.Variable("b")
    if hidden:
        data = mx.sym.FullyConnected(data, num_hidden=hidden, name="fc0")
        data = mx.sym.Activation(data, act_type="relu", name="relu0")
    fc = mx.sym.FullyConnected(data=data, weight=w, bias=b, num_hidden=NUM_CLASSES, name="fc")
    return mx.sym.SoftmaxOutput(data=fc, label=label, name="softmax")


def train_iter(x, y, batch_size=32, **kwargs):
    return mx.io.NDArrayIter(x, y, batch_size=batch_size, **kwargs)


def trained_module(epochs=3, context=None, hidden=0):
    mx.random.seed(0)
    x, y = separable_data()
    mod = mx.mod.Module(seed_symbol(hidden), context=context or mx.cpu())
    mod.fit(train_iter(x, y, shuffle=False), num_epoch=epochs, initializer=mx.init.Xavier(),
            optimizer_params={"learning_rate": 0.1})
    return mod, x, y


# -- the seed program ---------------------------------------------------------------------------
def test_seed_program_reaches_90_percent():
    mx.random.seed(0)
    x, y = separable_data()
    it = train_iter(x, y, batch_size=32, shuffle=True)
    mod = mx.mod.Module(seed_symbol(), data_names=("data",), label_names=("softmax_label",))
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(initializer=mx.init.Xavier())
    mod.init_optimizer(optimizer="sgd", optimizer_params=(("learning_rate", 0.1),))
    metric = mx.metric.create("acc")
    for _ in range(5):
        it.reset()
        metric.reset()
        for batch in it:
            mod.forward(batch, is_train=True)
            mod.update_metric(metric, batch.label)
            mod.backward()
            mod.update()
    assert metric.get()[0] == "accuracy"
    assert metric.get()[1] > 0.9


def test_rescale_grad_is_one_over_batch_size():
    mod = mx.mod.Module(seed_symbol())
    mod.bind(data_shapes=[("data", (8, NUM_FEATURES))],
             label_shapes=[("softmax_label", (8,))])
    mod.init_params()
    mod.init_optimizer()
    assert mod._optimizer.rescale_grad == pytest.approx(1.0 / 8)
    assert mod._optimizer.lr == pytest.approx(0.01)


def test_one_sgd_step_matches_numpy():
    x, y = separable_data(8)
    mod = mx.mod.Module(seed_symbol())
    mod.bind(data_shapes=[("data", x.shape)], label_shapes=[("softmax_label", y.shape)])
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer_params={"learning_rate": 0.5})
    w0 = mod.get_params()[0]["w"].asnumpy().copy()
    b0 = mod.get_params()[0]["b"].asnumpy().copy()
    mod.forward_backward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]))
    mod.update()
    logits = x @ w0.T + b0
    prob = np.exp(logits - logits.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    dlogits = (prob - np.eye(NUM_CLASSES)[y.astype(int)]) / len(y)
    w1, b1 = (p.asnumpy() for p in (mod.get_params()[0][k] for k in ("w", "b")))
    np.testing.assert_allclose(w1, w0 - 0.5 * dlogits.T @ x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b1, b0 - 0.5 * dlogits.sum(0), rtol=1e-4, atol=1e-5)


# -- role-based initialisation ------------------------------------------------------------------
def test_role_based_init_of_w_and_b():
    mod = mx.mod.Module(seed_symbol())
    mod.bind(data_shapes=[("data", (4, NUM_FEATURES))], label_shapes=[("softmax_label", (4,))])
    mod.init_params(mx.init.Xavier())  # MXNet 1.x fails here: 'w' has no known suffix
    args, _ = mod.get_params()
    w, b = args["w"].asnumpy(), args["b"].asnumpy()
    bound = np.sqrt(3.0 / ((NUM_FEATURES + NUM_CLASSES) / 2.0))
    assert np.all(np.abs(w) <= bound) and w.std() > bound / 4  # Xavier-uniform, not zeros
    np.testing.assert_array_equal(b, np.zeros(NUM_CLASSES, np.float32))


def test_role_beats_a_misleading_name_and_explicit_init_wins():
    data = mx.sym.Variable("data")
    weight = mx.sym.Variable("my_bias")  # a weight despite its name
    bias = mx.sym.Variable("offset", init=mx.init.Constant(0.5))
    fc = mx.sym.FullyConnected(data, weight=weight, bias=bias, num_hidden=3)
    gamma, beta = mx.sym.Variable("g"), mx.sym.Variable("bt")
    mean, var = mx.sym.Variable("mm"), mx.sym.Variable("mv")
    net = mx.sym.BatchNorm(fc, gamma=gamma, beta=beta, moving_mean=mean, moving_var=var,
                           name="bn")
    mod = mx.mod.Module(net, label_names=None)
    mod.bind(data_shapes=[("data", (4, 5))], for_training=False)
    mod.init_params(mx.init.Uniform(0.3))
    args, auxs = mod.get_params()
    assert np.abs(args["my_bias"].asnumpy()).max() > 0
    np.testing.assert_array_equal(args["offset"].asnumpy(), np.full(3, 0.5, np.float32))
    np.testing.assert_array_equal(args["g"].asnumpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(args["bt"].asnumpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(auxs["mm"].asnumpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(auxs["mv"].asnumpy(), np.ones(3, np.float32))


def test_init_params_twice_warns_and_force_init_reinitialises():
    mod = mx.mod.Module(seed_symbol())
    mod.bind(data_shapes=[("data", (4, NUM_FEATURES))], label_shapes=[("softmax_label", (4,))])
    mod.init_params(mx.init.Xavier())
    with pytest.warns(UserWarning, match="already initialized"):
        mod.init_params(mx.init.Zero())
    assert np.abs(mod.get_params()[0]["w"].asnumpy()).max() > 0
    mod.init_params(mx.init.Zero(), force_init=True)
    assert np.abs(mod.get_params()[0]["w"].asnumpy()).max() == 0


def test_init_params_from_arg_params_and_missing():
    mod = mx.mod.Module(seed_symbol())
    mod.bind(data_shapes=[("data", (4, NUM_FEATURES))], label_shapes=[("softmax_label", (4,))])
    w = mx.nd.ones((NUM_CLASSES, NUM_FEATURES))
    with pytest.raises(mx.MXNetError, match="b is not presented"):
        mod.init_params(mx.init.Xavier(), arg_params={"w": w})
    mod.init_params(mx.init.Xavier(), arg_params={"w": w}, allow_missing=True)
    np.testing.assert_array_equal(mod.get_params()[0]["w"].asnumpy(), w.asnumpy())


# -- fit / score / predict ----------------------------------------------------------------------
def test_fit_score_predict(caplog):
    caplog.set_level(logging.INFO)
    mod, x, y = trained_module(epochs=3)
    assert "Epoch[2] Train-accuracy=" in caplog.text
    assert "Epoch[2] Time cost=" in caplog.text
    res = mod.score(train_iter(x, y), "acc")
    assert res[0][0] == "accuracy" and res[0][1] > 0.9

    pred_iter = mx.io.NDArrayIter(x[:70], y[:70], batch_size=32)  # last batch padded
    out = mod.predict(pred_iter)
    assert out.shape == (70, NUM_CLASSES)
    np.testing.assert_allclose(out.asnumpy().sum(1), np.ones(70), rtol=1e-5)
    by_batch = mod.predict(pred_iter, merge_batches=False)
    assert [len(b) for b in by_batch] == [1, 1, 1]
    assert [b[0].shape[0] for b in by_batch] == [32, 32, 6]
    as_list = mod.predict(pred_iter, always_output_list=True)
    assert isinstance(as_list, list) and len(as_list) == 1
    np.testing.assert_allclose(as_list[0].asnumpy(), out.asnumpy())
    direct = mod.predict(x[:32])
    np.testing.assert_allclose(direct.asnumpy(), out.asnumpy()[:32], rtol=1e-5, atol=1e-6)
    steps = list(mod.iter_predict(pred_iter, num_batch=2))
    assert [n for _, n, _ in steps] == [0, 1]


def test_fit_with_eval_data_and_callbacks(caplog):
    caplog.set_level(logging.INFO)
    x, y = separable_data()
    epochs, batches, ends, evals = [], [], [], []
    mod = mx.mod.Module(seed_symbol(hidden=16))
    mod.fit(train_iter(x, y), eval_data=train_iter(x[:64], y[:64]), num_epoch=2,
            initializer=mx.init.Xavier(), optimizer_params={"learning_rate": 0.1},
            batch_end_callback=lambda p: batches.append((p.epoch, p.nbatch)),
            epoch_end_callback=lambda e, s, a, x_: epochs.append((e, sorted(a))),
            eval_end_callback=lambda p: ends.append(p.nbatch),
            eval_batch_end_callback=lambda p: evals.append(p.nbatch),
            eval_metric=["acc", "ce"])
    assert batches[:2] == [(0, 0), (0, 1)] and batches[-1] == (1, 400 // 32)
    assert epochs == [(0, ["b", "fc0_bias", "fc0_weight", "w"])] + \
        [(1, ["b", "fc0_bias", "fc0_weight", "w"])]
    assert ends == [2, 2] and evals == [0, 1, 0, 1]
    assert "Epoch[1] Validation-accuracy=" in caplog.text
    assert "Epoch[1] Validation-cross-entropy=" in caplog.text


def test_fit_needs_num_epoch():
    x, y = separable_data(64)
    with pytest.raises(mx.MXNetError, match="num_epoch"):
        mx.mod.Module(seed_symbol()).fit(train_iter(x, y))


def test_last_smaller_batch_rebinds_and_keeps_parameters():
    mod, x, y = trained_module(epochs=1)
    before = mod.predict(x[:32]).asnumpy()
    small = mod.predict(x[:5])
    assert small.shape == (5, NUM_CLASSES)
    np.testing.assert_allclose(small.asnumpy(), before[:5], rtol=1e-5, atol=1e-6)
    assert mod.data_shapes[0].shape == (5, NUM_FEATURES)


# -- names, shapes, gradients -------------------------------------------------------------------
def test_names_and_shapes():
    mod = mx.mod.Module(seed_symbol())
    assert mod.data_names == ["data"] and mod.label_names == ["softmax_label"]
    assert mod.output_names == ["softmax_output"]
    with pytest.raises(mx.MXNetError, match="bind"):
        _ = mod.data_shapes
    mod.bind(data_shapes=[mx.io.DataDesc("data", (6, NUM_FEATURES))],
             label_shapes=[("softmax_label", (6,))])
    assert [(d.name, tuple(d.shape)) for d in mod.data_shapes] == [("data",
                                                                    (6, NUM_FEATURES))]
    assert [(d.name, tuple(d.shape)) for d in mod.label_shapes] == [("softmax_label", (6,))]
    assert mod.output_shapes == [("softmax_output", (6, NUM_CLASSES))]


def test_bad_names():
    with pytest.raises(ValueError, match="data_names"):
        mx.mod.Module(seed_symbol(), data_names=("x",))
    with pytest.warns(UserWarning, match="label_names"):
        mx.mod.Module(seed_symbol(), label_names=("y",))


def test_forward_before_bind_fails_clearly():
    mod = mx.mod.Module(seed_symbol())
    with pytest.raises(mx.MXNetError, match="bind"):
        mod.forward(mx.io.DataBatch([mx.nd.ones((2, NUM_FEATURES))]))


def test_input_grads_and_out_grads():
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    mod = mx.mod.Module(net, label_names=None)
    mod.bind(data_shapes=[("data", (4, 5))], inputs_need_grad=True)
    mod.init_params(mx.init.Xavier())
    x = mx.nd.array(np.random.RandomState(0).rand(4, 5))
    mod.forward(mx.io.DataBatch([x]), is_train=True)
    mod.backward(out_grads=[mx.nd.ones((4, 3))])
    weight = mod.get_params()[0]["fc_weight"].asnumpy()
    grad = mod.get_input_grads()[0].asnumpy()
    np.testing.assert_allclose(grad, np.ones((4, 3)) @ weight, rtol=1e-5)


def test_fixed_params_are_not_updated():
    x, y = separable_data(64)
    mod = mx.mod.Module(seed_symbol(), fixed_param_names=["b"])
    mod.bind(data_shapes=[("data", (64, NUM_FEATURES))],
             label_shapes=[("softmax_label", (64,))])
    mod.init_params(mx.init.Xavier(), arg_params={"b": mx.nd.ones((NUM_CLASSES,))},
                    allow_missing=True)
    mod.init_optimizer(optimizer_params={"learning_rate": 1.0})
    w0 = mod.get_params()[0]["w"].asnumpy().copy()
    mod.forward_backward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]))
    mod.update()
    args = mod.get_params()[0]
    np.testing.assert_array_equal(args["b"].asnumpy(), np.ones(NUM_CLASSES, np.float32))
    assert np.abs(args["w"].asnumpy() - w0).max() > 0


# -- checkpoints ---------------------------------------------------------------------------------
def test_checkpoint_round_trip(tmp_path):
    mod, x, y = trained_module(epochs=1, hidden=8)
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1,
                                                          "momentum": 0.9}, force_init=True)
    mod.forward_backward(mx.io.DataBatch([mx.nd.array(x[:32])], [mx.nd.array(y[:32])]))
    mod.update()
    prefix = str(tmp_path / "seed")
    mod.save_checkpoint(prefix, 3, save_optimizer_states=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "seed-0003.params", "seed-0003.states", "seed-symbol.json"]
    saved = mx.nd.load(prefix + "-0003.params")
    assert sorted(saved) == ["arg:b", "arg:fc0_bias", "arg:fc0_weight", "arg:w"]

    loaded = mx.mod.Module.load(prefix, 3, load_optimizer_states=True)
    loaded.bind(data_shapes=[("data", (32, NUM_FEATURES))],
                label_shapes=[("softmax_label", (32,))])
    np.testing.assert_allclose(loaded.predict(x[:32]).asnumpy(),
                               mod.predict(x[:32]).asnumpy(), rtol=1e-6)
    loaded.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1,
                                                             "momentum": 0.9})
    batch = mx.io.DataBatch([mx.nd.array(x[32:64])], [mx.nd.array(y[32:64])])
    for m in (mod, loaded):
        m.forward_backward(batch)
        m.update()
    for name, value in mod.get_params()[0].items():  # momentum restored: same next step
        np.testing.assert_allclose(loaded.get_params()[0][name].asnumpy(), value.asnumpy(),
                                   rtol=1e-5, atol=1e-6)


def test_save_load_params(tmp_path):
    mod, x, _ = trained_module(epochs=1)
    fname = str(tmp_path / "p.params")
    mod.save_params(fname)
    other = mx.mod.Module(seed_symbol())
    other.bind(data_shapes=[("data", (32, NUM_FEATURES))], for_training=False)
    other.load_params(fname)
    np.testing.assert_allclose(other.predict(x[:32]).asnumpy(),
                               mod.predict(x[:32]).asnumpy(), rtol=1e-6)


# -- data parallelism ---------------------------------------------------------------------------
@pytest.mark.parametrize("work_load_list", [None, [1, 3]])
def test_data_parallel_equals_single_device(work_load_list):
    x, y = separable_data(128)
    results = []
    for context in (mx.cpu(0), [mx.cpu(0), mx.cpu(1)]):
        mx.random.seed(1)
        kwargs = {} if not isinstance(context, list) else {"work_load_list": work_load_list}
        mod = mx.mod.Module(seed_symbol(hidden=8), context=context, **kwargs)
        mod.fit(train_iter(x, y), num_epoch=2, initializer=mx.init.Xavier(),
                optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
        outputs = mod.predict(train_iter(x, y))
        results.append((mod.get_params()[0], outputs.asnumpy()))
    (single, out1), (multi, out2) = results
    assert sorted(single) == sorted(multi)
    for name in single:
        np.testing.assert_allclose(multi[name].asnumpy(), single[name].asnumpy(), rtol=1e-4,
                                   atol=1e-5)
    np.testing.assert_allclose(out2, out1, rtol=1e-4, atol=1e-5)


def test_data_parallel_splits_the_batch():
    mod = mx.mod.Module(seed_symbol(), context=[mx.cpu(0), mx.cpu(1)], work_load_list=[1, 3])
    mod.bind(data_shapes=[("data", (8, NUM_FEATURES))],
             label_shapes=[("softmax_label", (8,))])
    mod.init_params(mx.init.Xavier())
    mod.forward(mx.io.DataBatch([mx.nd.ones((8, NUM_FEATURES))], [mx.nd.zeros((8,))]))
    per_device = mod.get_outputs(merge_multi_context=False)[0]
    assert [o.shape[0] for o in per_device] == [2, 6]
    assert [o.context for o in per_device] == [mx.cpu(0), mx.cpu(1)]
    assert mod.get_outputs()[0].shape == (8, NUM_CLASSES)
    assert mod.output_shapes == [("softmax_output", (8, NUM_CLASSES))]


def test_unsupported_kvstore():
    mod = mx.mod.Module(seed_symbol())
    mod.bind(data_shapes=[("data", (4, NUM_FEATURES))], label_shapes=[("softmax_label", (4,))])
    mod.init_params()
    with pytest.raises(mx.MXNetError, match="horovod"):
        mod.init_optimizer(kvstore="horovod")


def test_label_names_none_for_prediction():
    mod, x, _ = trained_module(epochs=1)
    pred = mx.mod.Module(seed_symbol(), label_names=None)  # softmax_label is not a parameter
    pred.bind(data_shapes=[("data", (10, NUM_FEATURES))], for_training=False)
    pred.set_params(*mod.get_params())
    assert sorted(pred.get_params()[0]) == ["b", "w"]
    np.testing.assert_allclose(pred.predict(x[:10]).asnumpy(),
                               mod.predict(x[:10]).asnumpy(), rtol=1e-6)


def test_data_parallel_without_kvstore_updates_each_device():
    x, y = separable_data(64)
    mod = mx.mod.Module(seed_symbol(), context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(data_shapes=[("data", (64, NUM_FEATURES))],
             label_shapes=[("softmax_label", (64,))])
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(kvstore=None, optimizer_params={"learning_rate": 0.5})
    mod.forward_backward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]))
    mod.update()
    copies = mod._exec_group.param_arrays[mod._param_names.index("w")]
    assert np.abs(copies[0].asnumpy() - copies[1].asnumpy()).max() > 0  # own gradients


def test_shared_module_shares_parameters_and_optimizer():
    x, y = separable_data(16)
    first = mx.mod.Module(seed_symbol())
    first.bind([("data", (32, NUM_FEATURES))], [("softmax_label", (32,))])
    first.init_params(mx.init.Xavier())
    first.init_optimizer(optimizer_params={"learning_rate": 0.5})
    second = mx.mod.Module(seed_symbol())
    second.bind([("data", (16, NUM_FEATURES))], [("softmax_label", (16,))],
                shared_module=first)
    assert second.params_initialized and second.optimizer_initialized
    w_first = first._exec_group.param_arrays[first._param_names.index("w")][0]
    before = w_first.asnumpy().copy()
    second.forward_backward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]))
    second.update()
    assert np.abs(w_first.asnumpy() - before).max() > 0  # one set of arrays


# -- the example ---------------------------------------------------------------------------------
def test_module_mlp_example():
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("sklearn", reason="the example reads scikit-learn's digits")
    script = Path(__file__).resolve().parents[3] / "examples" / "module_mlp.py"
    env = dict(os.environ)
    env.pop("MXNET_ENGINE_TYPE", None)
    proc = subprocess.run([sys.executable, str(script), "--epochs", "3", "--num-devices", "2"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    epochs = re.findall(r"^epoch\s+(\d+)\s+train acc ([\d.]+)", proc.stdout, re.MULTILINE)
    assert [int(e[0]) for e in epochs] == [1, 2, 3], proc.stdout
    final = re.search(r"^final train accuracy ([\d.]+)$", proc.stdout, re.MULTILINE)
    assert final is not None and float(final.group(1)) > 0.9, proc.stdout
