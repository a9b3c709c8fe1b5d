"""gluon.contrib.nn.SparseEmbedding: trained through the Trainer's kvstore (row_sparse_pull,
lazy updates on the store) it matches a dense Embedding with row_sparse gradients."""

import numpy as np
import pytest

import mxcore as mx

VOCAB, DIM = 20, 4


def _batches(seed=1, n=4, shape=(3, 2)):
    rng = np.random.RandomState(seed)
    # indices drawn from the first 12 rows only: rows 12.. must never change (lazy updates)
    return [mx.nd.array(rng.randint(0, 12, size=shape)) for _ in range(n)]


def _loss(y):
    return ((y - 0.5) ** 2).sum()


def _init():
    return mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (VOCAB, DIM)))


def _train(emb, trainer, batches, ctxs):
    for x in batches:
        parts = mx.gluon.utils.split_and_load(x, ctxs)
        with mx.autograd.record():
            losses = [_loss(emb(part)) for part in parts]
        mx.autograd.backward(losses)
        trainer.step(x.shape[0])


OPTIMIZERS = [
    ("sgd", {"learning_rate": 0.3, "momentum": 0.9, "wd": 0.01}),
    ("sgd", {"learning_rate": 0.3, "wd": 0.05}),
    ("adam", {"learning_rate": 0.05, "wd": 0.01, "lazy_update": True}),
]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS)
def test_sparse_embedding_matches_dense_embedding_with_lazy_updates(name, kwargs):
    batches = _batches()
    sparse = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    sparse.initialize()
    sparse.weight.set_data(_init())
    sparse_trainer = mx.gluon.Trainer(sparse.collect_params(), name, dict(kwargs))
    # the reference: a dense weight with a row_sparse gradient, updated lazily by the
    # optimizer itself (no kvstore), on the same batches
    dense = mx.gluon.nn.Embedding(VOCAB, DIM, sparse_grad=True)
    dense.initialize()
    dense.weight.set_data(_init())
    dense_trainer = mx.gluon.Trainer(dense.collect_params(), name, dict(kwargs),
                                     kvstore=None)
    _train(sparse, sparse_trainer, batches, [mx.cpu()])
    _train(dense, dense_trainer, batches, [mx.cpu()])
    got = sparse.weight._reduce().asnumpy()
    np.testing.assert_allclose(got, dense.weight.data().asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[12:], _init().asnumpy()[12:])  # never looked up
    assert not np.allclose(got[:12], _init().asnumpy()[:12])


def test_sparse_embedding_sgd_step_by_hand():
    x = mx.nd.array([[1, 3], [3, 3]])
    emb = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    emb.initialize()
    emb.weight.set_data(_init())
    trainer = mx.gluon.Trainer(emb.collect_params(), "sgd",
                               {"learning_rate": 0.5, "wd": 0.1})
    with mx.autograd.record():
        y = emb(x)
        loss = _loss(y)
    loss.backward()
    w = _init().asnumpy()
    np.testing.assert_allclose(y.asnumpy(), w[[[1, 3], [3, 3]]])
    grad = emb.weight.grad()
    assert grad.stype == "row_sparse"
    np.testing.assert_array_equal(grad.indices.asnumpy(), [1, 3])
    trainer.step(2)
    g = np.zeros_like(w)
    for i in [1, 3, 3, 3]:
        g[i] += 2 * (w[i] - 0.5)
    expect = w.copy()
    for i in [1, 3]:  # lazy: weight decay only on the rows in the gradient
        expect[i] = w[i] - 0.5 * (g[i] / 2 + 0.1 * w[i])
    np.testing.assert_allclose(emb.weight._reduce().asnumpy(), expect, rtol=1e-6, atol=1e-6)


def test_sparse_embedding_two_contexts_match_one():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    batches = _batches(seed=2, shape=(4, 3))
    kwargs = {"learning_rate": 0.05, "wd": 0.01}
    two = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    two.initialize(ctx=ctxs)
    two.weight.set_data(_init())
    _train(two, mx.gluon.Trainer(two.collect_params(), "adam", dict(kwargs),
                                 kvstore="device"), batches, ctxs)
    one = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    one.initialize()
    one.weight.set_data(_init())
    _train(one, mx.gluon.Trainer(one.collect_params(), "adam", dict(kwargs),
                                 kvstore="local"), batches, [mx.cpu()])
    np.testing.assert_allclose(two.weight._reduce().asnumpy(), one.weight._reduce().asnumpy(),
                               rtol=1e-5, atol=1e-6)


def test_save_load_round_trip(tmp_path):
    emb = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    emb.initialize()
    trainer = mx.gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 1.0})
    _train(emb, trainer, _batches(n=2), [mx.cpu()])
    trained = emb.weight._reduce().asnumpy()
    fname = str(tmp_path / "emb.params")
    emb.save_parameters(fname)
    saved = mx.nd.load(fname)
    (value,) = saved.values()
    assert value.stype == "row_sparse"  # as MXNet saves a row_sparse Parameter
    np.testing.assert_array_equal(value.asnumpy(), trained)

    fresh = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    fresh.load_parameters(fname)
    mx.gluon.Trainer(fresh.collect_params(), "sgd")
    x = mx.nd.array([0, 5, 11])
    np.testing.assert_array_equal(fresh(x).asnumpy(), trained[[0, 5, 11]])

    dense = mx.gluon.nn.Embedding(VOCAB, DIM)  # a dense Embedding reads the same file
    dense.load_parameters(fname)
    np.testing.assert_array_equal(dense.weight.data().asnumpy(), trained)

    # a file saved from the dense model loads into the sparse one
    dense.save_parameters(str(tmp_path / "dense.params"))
    fresh.load_parameters(str(tmp_path / "dense.params"))
    np.testing.assert_array_equal(fresh(x).asnumpy(), trained[[0, 5, 11]])


def test_load_into_trained_model_replaces_store_weights(tmp_path):
    emb = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    emb.initialize()
    fname = str(tmp_path / "init.params")
    emb.save_parameters(fname)
    initial = emb.weight._reduce().asnumpy()
    trainer = mx.gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 1.0})
    _train(emb, trainer, _batches(n=1), [mx.cpu()])
    assert not np.allclose(emb.weight._reduce().asnumpy(), initial)
    emb.load_parameters(fname)
    np.testing.assert_array_equal(emb.weight._reduce().asnumpy(), initial)
    x = mx.nd.array([1, 2])
    np.testing.assert_array_equal(emb(x).asnumpy(), initial[[1, 2]])


def test_forward_shape_dtype_and_repr():
    emb = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM, dtype="float64",
                                              weight_initializer=mx.init.One())
    emb.initialize()
    mx.gluon.Trainer(emb.collect_params(), "sgd")
    y = emb(mx.nd.array([[[1, 2]], [[3, 4]]]))
    assert y.shape == (2, 1, 2, DIM) and y.dtype == np.float64
    np.testing.assert_array_equal(y.asnumpy(), np.ones((2, 1, 2, DIM)))
    assert "SparseEmbedding(20 -> 4" in repr(emb)
    with pytest.raises(mx.base.MXNetError, match="use row_sparse_data"):
        emb.weight.data()


def test_forward_without_trainer_is_refused():
    emb = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    emb.initialize()
    with pytest.raises(mx.base.MXNetError, match="no Trainer"):
        emb(mx.nd.array([1]))


def test_bad_sizes():
    with pytest.raises(mx.base.MXNetValueError):
        mx.gluon.contrib.nn.SparseEmbedding(0, DIM)


def _two_layer(first):
    net = mx.gluon.nn.Sequential()
    net.add(first, mx.gluon.nn.Dense(2, flatten=True))
    net.initialize(mx.init.Xavier())
    first.weight.set_data(_init())
    net[1].weight.set_data(mx.nd.array(np.linspace(-1, 1, 2 * 2 * DIM).reshape(2, 2 * DIM)))
    return net


def test_mixed_sparse_and_dense_parameters_in_one_trainer():
    batches = _batches(seed=4)
    kwargs = {"learning_rate": 0.1, "momentum": 0.5, "wd": 0.01}
    sparse = _two_layer(mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM))
    sparse_trainer = mx.gluon.Trainer(sparse.collect_params(), "sgd", dict(kwargs))
    dense = _two_layer(mx.gluon.nn.Embedding(VOCAB, DIM, sparse_grad=True))
    dense_trainer = mx.gluon.Trainer(dense.collect_params(), "sgd", dict(kwargs),
                                     kvstore=None)
    _train(sparse, sparse_trainer, batches, [mx.cpu()])
    _train(dense, dense_trainer, batches, [mx.cpu()])
    np.testing.assert_allclose(sparse[0].weight._reduce().asnumpy(),
                               dense[0].weight.data().asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sparse[1].weight.data().asnumpy(),
                               dense[1].weight.data().asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sparse[1].bias.data().asnumpy(),
                               dense[1].bias.data().asnumpy(), rtol=1e-5, atol=1e-6)


def test_stale_gradient_is_not_pushed_again():
    emb = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    emb.initialize()
    trainer = mx.gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 1.0})
    _train(emb, trainer, _batches(n=1), [mx.cpu()])
    after_one = emb.weight._reduce().asnumpy()
    with pytest.raises(mx.base.MXNetError, match="has not been updated by backward"):
        trainer.step(1)
    trainer.step(1, ignore_stale_grad=True)
    np.testing.assert_array_equal(emb.weight._reduce().asnumpy(), after_one)


def test_block_level_zero_grad_and_cast():
    emb = mx.gluon.contrib.nn.SparseEmbedding(VOCAB, DIM)
    emb.initialize()
    emb.cast("float64")
    trainer = mx.gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 1.0})
    x = mx.nd.array([1, 2])
    with mx.autograd.record():
        loss = _loss(emb(x))
    loss.backward()
    assert emb.weight.grad().dtype == np.float64 and emb.weight.grad().indices.size == 2
    emb.collect_params().zero_grad()
    assert emb.weight.grad().indices.size == 0
    trainer.step(1, ignore_stale_grad=True)
    assert emb(x).dtype == np.float64
