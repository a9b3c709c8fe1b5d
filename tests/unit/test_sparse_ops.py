"""Sparse kernels beyond the conformance cases: the generic decompositions (the CPU backend
fuses the CSR products through SciPy), storage types of results, and sparse gradients
through autograd."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd
from mxcore.ndarray.invoke import kernel_namespace
from mxcore.ndarray.sparse import StorageFallbackWarning
from mxcore.ops import sparse_primitives as sp
from mxcore.ops.registry import OPS

sps = pytest.importorskip("scipy.sparse", reason="references are SciPy matrices")

RNG = np.random.default_rng(7)
A = sps.random(6, 8, density=0.3, format="csr", random_state=3, dtype=np.float32)
A.indices = A.indices.astype(np.int64)
A.indptr = A.indptr.astype(np.int64)


def _K():
    return kernel_namespace(mx.cpu().backend)


def _parts():
    return A.data, A.indptr, A.indices


@pytest.mark.parametrize("name", ["_sparse_csr_dot_dense", "_sparse_csr_t_dot_dense",
                                  "_sparse_dense_dot_csr"])
def test_generic_products_match_scipy(name):
    op, K = OPS[name], _K()
    if name == "_sparse_csr_dot_dense":
        b = RNG.standard_normal((8, 3)).astype(np.float32)
        got = op.compute(K, *_parts(), b, num_rows=6)
        np.testing.assert_allclose(got, A @ b, rtol=1e-5, atol=1e-6)
    elif name == "_sparse_csr_t_dot_dense":
        b = RNG.standard_normal((6, 3)).astype(np.float32)
        rows, vals = op.compute(K, *_parts(), b)
        want = A.T @ b
        np.testing.assert_array_equal(rows, np.unique(A.indices))
        np.testing.assert_allclose(vals, want[rows], rtol=1e-5, atol=1e-6)
    else:
        d = RNG.standard_normal((2, 6)).astype(np.float32)
        got = op.compute(K, d, *_parts(), num_cols=8)
        np.testing.assert_allclose(got, d @ A, rtol=1e-5, atol=1e-6)


def test_generic_products_match_fused_kernels():
    kernels = mx.cpu().backend.kernels
    b = RNG.standard_normal((8, 4)).astype(np.float32)
    fused = kernels["_sparse_csr_dot_dense"](*_parts(), b, num_rows=6)
    generic = OPS["_sparse_csr_dot_dense"].compute(_K(), *_parts(), b, num_rows=6)
    np.testing.assert_allclose(fused, generic, rtol=1e-5, atol=1e-6)


def test_row_ids_and_unique_inverse():
    K = _K()
    indptr = np.array([0, 0, 2, 2, 5, 5], np.int64)
    np.testing.assert_array_equal(sp.row_ids(K, indptr, 5), [1, 1, 3, 3, 3])
    idx = np.array([5, 2, 5, 9, 2, 2], np.int64)
    for bound in (-1, 10):  # by sorting; by marking each possible value
        uniq, inv = sp.unique_inverse(K, mx.cpu().backend, idx, bound)
        np.testing.assert_array_equal(uniq, [2, 5, 9])
        np.testing.assert_array_equal(uniq[inv], idx)


def test_dot_storage_types_and_values():
    a = mx.nd.sparse.csr_matrix(A)
    b = mx.nd.array(RNG.standard_normal((6, 3)))
    out = mx.nd.sparse.dot(a, b, transpose_a=True)
    assert out.stype == "row_sparse"
    np.testing.assert_array_equal(out.indices.asnumpy(), np.unique(A.indices))
    np.testing.assert_allclose(out.asnumpy(), A.T @ b.asnumpy(), rtol=1e-5, atol=1e-6)


def test_tostype_default_runs_on_the_device():
    a = mx.nd.sparse.csr_matrix(A)
    np.testing.assert_array_equal(a.tostype("default").asnumpy(), A.toarray())
    r = mx.nd.array(A.toarray()).tostype("row_sparse")
    np.testing.assert_array_equal(r.tostype("default").asnumpy(), A.toarray())


def test_operators_keep_sparse_storage():
    r = mx.nd.array(A.toarray()).tostype("row_sparse")
    assert (r + r).stype == "row_sparse"
    assert (r * 3).stype == "row_sparse" and (r / 2).stype == "row_sparse"
    assert (-r).stype == "row_sparse"
    c = mx.nd.sparse.csr_matrix(A)
    assert (c * c).stype == "csr"
    dense = mx.nd.ones(A.shape)
    assert (c + dense).stype == "default" and (dense * c).stype == "csr"
    np.testing.assert_allclose((dense - c).asnumpy(), 1 - A.toarray())


def test_unsupported_combinations_fall_back_with_a_warning():
    c = mx.nd.sparse.csr_matrix(A)
    with pytest.warns(StorageFallbackWarning, match="_power_scalar"):
        out = c ** 2
    np.testing.assert_allclose(out.asnumpy(), A.toarray() ** 2)


def test_retain_module_function():
    r = mx.nd.array(np.arange(12, dtype=np.float32).reshape(4, 3)).tostype("row_sparse")
    kept = mx.nd.sparse.retain(r, [2, 0])
    assert kept.stype == "row_sparse"
    np.testing.assert_array_equal(kept.indices.asnumpy(), [0, 2])
    want = np.zeros((4, 3), np.float32)
    want[[0, 2]] = r.asnumpy()[[0, 2]]
    np.testing.assert_array_equal(kept.asnumpy(), want)


# -- gradients ------------------------------------------------------------------------------
def test_embedding_sparse_grad_is_row_sparse():
    w = mx.nd.array(RNG.standard_normal((10, 4)))
    w.attach_grad(stype="row_sparse")
    assert w.grad.stype == "row_sparse"
    idx = mx.nd.array([[1, 7], [7, 3]])
    with autograd.record():
        y = mx.nd.Embedding(idx, w, input_dim=10, output_dim=4, sparse_grad=True)
        loss = (y * y).sum()
    loss.backward()
    assert w.grad.stype == "row_sparse"
    np.testing.assert_array_equal(w.grad.indices.asnumpy(), [1, 3, 7])
    want = np.zeros((10, 4), np.float32)
    for i in (1, 7, 7, 3):
        want[i] += 2 * w.asnumpy()[i]
    np.testing.assert_allclose(w.grad.asnumpy(), want, rtol=1e-6)


def test_row_sparse_grad_add_unites_rows():
    w = mx.nd.ones((6, 2))
    w.attach_grad(grad_req="add", stype="row_sparse")
    for rows in ([1], [4, 1]):
        with autograd.record():
            y = mx.nd.Embedding(mx.nd.array(rows), w, input_dim=6, output_dim=2,
                                sparse_grad=True)
        y.backward()
    assert w.grad.stype == "row_sparse"
    np.testing.assert_array_equal(w.grad.indices.asnumpy(), [1, 4])
    np.testing.assert_array_equal(w.grad.asnumpy()[[1, 4], 0], [2, 1])


def test_dense_grad_buffer_receives_row_sparse_gradient():
    w = mx.nd.ones((6, 2))
    w.attach_grad()
    with autograd.record():
        y = mx.nd.Embedding(mx.nd.array([2]), w, input_dim=6, output_dim=2, sparse_grad=True)
    y.backward()
    assert w.grad.stype == "default"
    np.testing.assert_array_equal(w.grad.asnumpy()[:, 0], [0, 0, 1, 0, 0, 0])


def test_linear_model_on_csr_gets_row_sparse_weight_gradient():
    x = mx.nd.sparse.csr_matrix(A)
    w = mx.nd.array(RNG.standard_normal((8, 2)))
    w.attach_grad(stype="row_sparse")
    with autograd.record():
        out = mx.nd.dot(x, w)
        loss = (out * out).sum()
    loss.backward()
    assert w.grad.stype == "row_sparse"
    want = A.T @ (2 * (A @ w.asnumpy()))
    np.testing.assert_allclose(w.grad.asnumpy(), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(w.grad.indices.asnumpy(), np.unique(A.indices))


def test_gluon_embedding_sparse_grad_trains_only_looked_up_rows():
    emb = mx.gluon.nn.Embedding(20, 3, sparse_grad=True)
    emb.initialize()
    before = emb.weight.data().asnumpy().copy()
    trainer = mx.gluon.Trainer(emb.collect_params(), "sgd",
                               {"learning_rate": 0.5, "momentum": 0.9, "wd": 0.1})
    x = mx.nd.array([[3, 5], [5, 11]])
    with autograd.record():
        loss = emb(x).sum()
    loss.backward()
    assert emb.weight.grad().stype == "row_sparse"
    trainer.step(2)
    after = emb.weight.data().asnumpy()
    changed = np.flatnonzero(np.any(after != before, axis=1))
    np.testing.assert_array_equal(changed, [3, 5, 11])


def test_missing_primitive_falls_back_to_dense(monkeypatch):
    K = _K()
    monkeypatch.delattr(K, "cumsum")  # as on a backend without it
    monkeypatch.setattr("mxcore.ndarray.sparse._WARNED", set())
    r = mx.nd.array(A.toarray()).tostype("row_sparse")
    with pytest.warns(StorageFallbackWarning, match="elemwise_sub"):
        out = mx.nd.elemwise_sub(r, r * 2)
    np.testing.assert_allclose(out.asnumpy(), -A.toarray())


def test_backward_from_a_row_sparse_head():
    x = mx.nd.sparse.csr_matrix(A)
    w = mx.nd.ones((6, 2))
    w.attach_grad()
    with autograd.record():
        y = mx.nd.dot(x, w, transpose_a=True)
    assert y.stype == "row_sparse"
    y.backward()  # default head gradient: ones
    np.testing.assert_allclose(w.grad.asnumpy(), A @ np.ones((8, 2)), rtol=1e-6)


def test_dense_times_csr_transposed():
    d = RNG.standard_normal((3, 8)).astype(np.float32)
    out = mx.nd.dot(mx.nd.array(d), mx.nd.sparse.csr_matrix(A), transpose_b=True)
    assert out.stype == "default"
    np.testing.assert_allclose(out.asnumpy(), d @ A.T, rtol=1e-5, atol=1e-6)


def test_device_side_dense_to_sparse_conversion():
    """The conversion devices other than the CPU use (no host round trip)."""
    from mxcore.ndarray.sparse import _device_to_sparse

    dense = A.toarray()
    dense[2, 3] = np.nan
    x = mx.nd.array(dense)
    r = _device_to_sparse(x, "row_sparse")
    c = _device_to_sparse(x, "csr")
    for y in (r, c):
        y.check_format()
        np.testing.assert_array_equal(y.asnumpy(), dense)
    np.testing.assert_array_equal(r.indices.asnumpy(), np.flatnonzero(np.any(dense != 0, 1)))
    np.testing.assert_array_equal(_device_to_sparse(mx.nd.zeros((3, 0)), "csr").indptr
                                  .asnumpy(), [0, 0, 0, 0])
    with pytest.raises(mx.base.MXNetError, match="2-D"):
        _device_to_sparse(mx.nd.zeros((2, 2, 2)), "csr")
