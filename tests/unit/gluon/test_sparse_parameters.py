"""Row_sparse *weights* in Gluon: Parameter(stype='row_sparse'), row_sparse_data and the
Trainer keeping the full weight in its kvstore (MXNet 1.x semantics)."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError
from mxcore.gluon.parameter import SparseParameterError

VOCAB, DIM = 12, 3


def _sparse_param(name="w", **kwargs):
    p = mx.gluon.Parameter(name, shape=(VOCAB, DIM), stype="row_sparse",
                           grad_stype="row_sparse", **kwargs)
    p.initialize(init=mx.init.Uniform())
    return p


def _init_values():
    return np.random.RandomState(0).uniform(-1, 1, (VOCAB, DIM)).astype(np.float32)


def test_initialized_as_row_sparse_with_row_sparse_grad():
    p = mx.gluon.Parameter("w", shape=(VOCAB, DIM), stype="row_sparse",
                           grad_stype="row_sparse", init=mx.init.One())
    p.initialize()
    full = p._reduce()
    assert full.stype == "row_sparse"
    np.testing.assert_array_equal(full.asnumpy(), np.ones((VOCAB, DIM), np.float32))
    assert p.grad().stype == "row_sparse"
    assert p.grad().asnumpy().sum() == 0


def test_data_refused_for_row_sparse():
    p = _sparse_param()
    with pytest.raises(SparseParameterError, match="row_sparse_data"):
        p.data()
    with pytest.raises(SparseParameterError, match="row_sparse_data"):
        p.list_data()
    assert isinstance(SparseParameterError("x"), RuntimeError)


def test_row_sparse_data_errors():
    p = _sparse_param()
    with pytest.raises(SparseParameterError, match="no Trainer"):
        p.row_sparse_data(mx.nd.array([0, 1]))
    mx.gluon.Trainer([p], "sgd")
    with pytest.raises(MXNetTypeError, match="row_id must be an NDArray"):
        p.row_sparse_data([0, 1])
    dense = mx.gluon.Parameter("d", shape=(2, 2))
    dense.initialize()
    with pytest.raises(SparseParameterError, match="use data"):
        dense.row_sparse_data(mx.nd.array([0]))
    with pytest.raises(SparseParameterError):
        dense.list_row_sparse_data(mx.nd.array([0]))


def test_trainer_refuses_configurations_without_a_store():
    p = _sparse_param()
    with pytest.raises(MXNetValueError, match="kvstore is None"):
        mx.gluon.Trainer([p], "sgd", kvstore=None)
    q = _sparse_param("q")
    with pytest.raises(MXNetValueError, match="update_on_kvstore=False"):
        mx.gluon.Trainer([q], "sgd", update_on_kvstore=False)


@pytest.mark.parametrize("kvstore", ["dist_async", "nccl"])
def test_trainer_refuses_stores_without_row_sparse_support(kvstore):
    with pytest.raises(MXNetValueError, match="does not support row_sparse"):
        mx.gluon.Trainer([_sparse_param()], "sgd", kvstore=kvstore)


def test_allreduce_grads_and_update_refused():
    p = _sparse_param()
    trainer = mx.gluon.Trainer([p], "sgd")
    with pytest.raises(MXNetValueError, match="update_on_kvstore"):
        trainer.allreduce_grads()
    with pytest.raises(MXNetValueError, match="update_on_kvstore"):
        trainer.update(1)


def test_second_trainer_refused():
    p = _sparse_param()
    mx.gluon.Trainer([p], "sgd")
    with pytest.raises(MXNetError, match="More than one trainer"):
        mx.gluon.Trainer([p], "sgd")


@pytest.mark.parametrize("kvstore", ["local", "device"])
def test_row_sparse_data_pulls_requested_rows(kvstore):
    p = mx.gluon.Parameter("w", shape=(VOCAB, DIM), stype="row_sparse",
                           grad_stype="row_sparse")
    values = _init_values()
    p.initialize(init=mx.init.Constant(0))
    p.set_data(mx.nd.array(values))
    trainer = mx.gluon.Trainer([p], "sgd", kvstore=kvstore)
    rows = p.row_sparse_data(mx.nd.array([5, 1, 5, 9]))
    assert trainer._update_on_kvstore is True
    assert rows.stype == "row_sparse"
    assert rows.context == mx.cpu()
    np.testing.assert_array_equal(rows.indices.asnumpy(), [1, 5, 9])
    expect = np.zeros_like(values)
    expect[[1, 5, 9]] = values[[1, 5, 9]]
    np.testing.assert_array_equal(rows.asnumpy(), expect)
    # the full weight is in the store; the parameter's array holds the pulled rows only
    np.testing.assert_array_equal(p._reduce().asnumpy(), values)


def test_list_row_sparse_data_on_every_context():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    p = mx.gluon.Parameter("w", shape=(VOCAB, DIM), stype="row_sparse",
                           grad_stype="row_sparse", init=mx.init.One())
    p.initialize(ctx=ctxs)
    mx.gluon.Trainer([p], "sgd")
    arrays = p.list_row_sparse_data(mx.nd.array([2, 3]))
    assert [a.context for a in arrays] == ctxs
    for a in arrays:
        np.testing.assert_array_equal(a.indices.asnumpy(), [2, 3])
    one = p.row_sparse_data(mx.nd.array([4], ctx=mx.cpu(1)))
    assert one.context == mx.cpu(1)
    np.testing.assert_array_equal(one.indices.asnumpy(), [4])


def test_zero_grad_and_cast():
    p = _sparse_param()
    p.grad()[:] = mx.nd.ones((VOCAB, DIM))
    assert p.grad().indices.size == VOCAB
    p.zero_grad()
    assert p.grad().stype == "row_sparse" and p.grad().indices.size == 0
    before = p._reduce().asnumpy()
    p.cast("float64")
    assert p.dtype == np.float64 and p.grad().dtype == np.float64
    assert p._reduce().stype == "row_sparse" and p._reduce().dtype == np.float64
    np.testing.assert_allclose(p._reduce().asnumpy(), before)


def test_set_data_after_training_resets_the_store():
    p = _sparse_param()
    other = _sparse_param("other")
    trainer = mx.gluon.Trainer([p, other], "sgd", {"learning_rate": 1.0})
    full_other = other._reduce().asnumpy()
    x = mx.nd.array([0, 4])
    with mx.autograd.record():
        loss = _lookup(p, x).sum() + _lookup(other, x).sum()
    loss.backward()
    trainer.step(1)
    trained_other = other._reduce().asnumpy()
    assert not np.allclose(trained_other, full_other)
    new = _init_values()
    p.set_data(mx.nd.array(new))  # the store is rebuilt from every parameter's full weight
    np.testing.assert_array_equal(p._reduce().asnumpy(), new)
    np.testing.assert_array_equal(other._reduce().asnumpy(), trained_other)
    rows = p.row_sparse_data(mx.nd.array([3]))
    np.testing.assert_array_equal(rows.asnumpy()[3], new[3])


def _lookup(param, x):
    return mx.nd.Embedding(x, param.row_sparse_data(x), input_dim=VOCAB, output_dim=DIM,
                           sparse_grad=True)


def test_trainer_save_and_load_states(tmp_path):
    p = _sparse_param()
    trainer = mx.gluon.Trainer([p], "adam", {"learning_rate": 0.1})
    x = mx.nd.array([1, 2])
    for _ in range(2):
        with mx.autograd.record():
            loss = (_lookup(p, x) ** 2).sum()
        loss.backward()
        trainer.step(1)
    fname = str(tmp_path / "states")
    trainer.save_states(fname)
    trainer.load_states(fname)
    with mx.autograd.record():
        loss = (_lookup(p, x) ** 2).sum()
    loss.backward()
    trainer.step(1)


def test_embedding_reads_a_row_sparse_weight():
    w = mx.nd.sparse.row_sparse_array(([[1.0, 2.0], [3.0, 4.0]], [1, 3]), shape=(5, 2))
    x = mx.nd.array([[3, 0], [1, 9]])  # 9 is clipped to 4, a row not held: zero
    y = mx.nd.Embedding(x, w, input_dim=5, output_dim=2)
    assert y.stype == "default"
    np.testing.assert_array_equal(y.asnumpy(), [[[3, 4], [0, 0]], [[1, 2], [0, 0]]])


def test_user_block_gets_row_sparse_gradient():
    p = _sparse_param()
    mx.gluon.Trainer([p], "sgd")
    x = mx.nd.array([[2, 7], [7, 7]])
    with mx.autograd.record():
        loss = (_lookup(p, x) * 3).sum()
    loss.backward()
    g = p.grad()
    assert g.stype == "row_sparse"
    np.testing.assert_array_equal(g.indices.asnumpy(), [2, 7])
    expect = np.zeros((VOCAB, DIM), np.float32)
    expect[2], expect[7] = 3, 9
    np.testing.assert_array_equal(g.asnumpy(), expect)
