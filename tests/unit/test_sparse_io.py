"""Sparse I/O: results MXNet 1.9.1 computed and saved (``mxnet_sparse_ops.params``, made by
``tests/data/make_mxnet_sparse_fixture.py``) recomputed by mxcore, sparse save/load round
trips, and ``mx.io.LibSVMIter``."""

import os

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd
from mxcore.base import MXNetError

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


@pytest.fixture(scope="module")
def fx():
    return mx.nd.load(os.path.join(DATA, "mxnet_sparse_ops.params"))


def _same(got, want, stype=None, rtol=1e-5):
    assert got.stype == (stype or want.stype)
    np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=rtol, atol=1e-6)
    if want.stype == "row_sparse" and got.stype == "row_sparse":
        np.testing.assert_array_equal(got.indices.asnumpy(), want.indices.asnumpy())


def test_fixture_inputs_keep_their_storage_types(fx):
    assert fx["in_csr"].stype == "csr" and fx["in_rsp"].stype == "row_sparse"
    fx["in_csr"].check_format()
    fx["in_rsp"].check_format()


def test_sparse_ops_match_mxnet(fx):
    csr, rsp, rsp2 = fx["in_csr"], fx["in_rsp"], fx["in_rsp2"]
    _same(mx.nd.sparse.dot(csr, fx["in_rhs"]), fx["out_dot"])
    _same(mx.nd.sparse.dot(csr, fx["in_rhs_t"], transpose_a=True), fx["out_dot_t"])
    _same(mx.nd.sparse.dot(fx["in_lhs"], csr), fx["out_dense_dot"])
    _same(mx.nd.sparse.elemwise_add(rsp, rsp2), fx["out_add_rsp"])
    _same(mx.nd.sparse.elemwise_mul(rsp, fx["in_weight"]), fx["out_mul_rsp_dense"])
    _same(mx.nd.sparse.sum(csr, axis=0), fx["out_sum0"])
    _same(mx.nd.sparse.mean(csr, axis=1), fx["out_mean1"])
    _same(mx.nd.sparse.sqrt(mx.nd.sparse.abs(csr)), fx["out_sqrt_abs"])
    _same(mx.nd.sparse.retain(rsp, mx.nd.array([4, 5], dtype="int64")), fx["out_retain"])


def test_embedding_gradient_matches_mxnet(fx):
    w = fx["in_weight"].copy()
    w.attach_grad(stype="row_sparse")
    with autograd.record():
        y = mx.nd.Embedding(fx["in_emb_idx"], w, input_dim=7, output_dim=3, sparse_grad=True)
        loss = (y * y).sum()
    loss.backward()
    _same(w.grad, fx["out_emb_grad"])


def test_lazy_updates_match_mxnet(fx):
    rsp, weight = fx["in_rsp"], fx["in_weight"]
    w = weight.copy()
    mx.nd.sgd_update(w, rsp, lr=0.1, wd=0.1, lazy_update=True, out=w)
    _same(w, fx["out_sgd"])
    w, mom = weight.copy(), mx.nd.ones((7, 3))
    mx.nd.sgd_mom_update(w, rsp, mom, lr=0.1, momentum=0.9, wd=0.1, out=w)
    _same(w, fx["out_sgd_mom"])
    _same(mom, fx["out_sgd_mom_state"])
    w, mean, var = weight.copy(), mx.nd.ones((7, 3)) * 0.1, mx.nd.ones((7, 3)) * 0.2
    mx.nd.adam_update(w, rsp, mean, var, lr=0.01, wd=0.01, out=w)
    for got, key in ((w, "out_adam"), (mean, "out_adam_mean"), (var, "out_adam_var")):
        _same(got, fx[key])


def test_ftrl_is_lazy_where_mxnet_falls_back(fx):
    """MXNet 1.9.1 has no dense-weight FTRL kernel for a row_sparse gradient and runs the
    standard update; mxcore's is lazy: the gradient's rows agree, the others stay put."""
    rsp, weight = fx["in_rsp"], fx["in_weight"]
    w, z, n = weight.copy(), mx.nd.ones((7, 3)) * 0.1, mx.nd.ones((7, 3)) * 0.3
    mx.nd.ftrl_update(w, rsp, z, n, lr=0.1, lamda1=0.01, wd=0.01, out=w)
    rows = rsp.indices.asnumpy()
    others = np.setdiff1d(np.arange(7), rows)
    for got, key in ((w, "out_ftrl"), (z, "out_ftrl_z"), (n, "out_ftrl_n")):
        np.testing.assert_allclose(got.asnumpy()[rows], fx[key].asnumpy()[rows], rtol=1e-5)
    np.testing.assert_array_equal(w.asnumpy()[others], weight.asnumpy()[others])


def test_kernel_results_round_trip_through_save(tmp_path, fx):
    path = str(tmp_path / "sparse.params")
    out = {"dot_t": mx.nd.sparse.dot(fx["in_csr"], fx["in_rhs_t"], transpose_a=True),
           "csr_sum": fx["in_csr"] + fx["in_csr"]}
    mx.nd.save(path, out)
    back = mx.nd.load(path)
    for key, value in out.items():
        _same(back[key], value)


# -- LibSVMIter -------------------------------------------------------------------------------
SAMPLE = "1.0 0:0.5 2:1.2\n-2.0\n-3.0 0:0.6 1:2.4 2:1.2\n4 2:-1.2\n"
SAMPLE_DENSE = np.array([[0.5, 0, 1.2], [0, 0, 0], [0.6, 2.4, 1.2], [0, 0, -1.2]], np.float32)


def _write(tmp_path, text, name="data.t"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_libsvm_batches_are_csr_and_wrap_around(tmp_path):
    it = mx.io.LibSVMIter(data_libsvm=_write(tmp_path, SAMPLE), data_shape=(3,), batch_size=3)
    assert it.provide_data[0].shape == (3, 3)
    batches = list(it)
    assert [b.pad for b in batches] == [0, 2]
    first, second = batches
    assert first.data[0].stype == "csr"
    np.testing.assert_allclose(first.data[0].asnumpy(), SAMPLE_DENSE[:3])
    np.testing.assert_allclose(second.data[0].asnumpy(), SAMPLE_DENSE[[3, 0, 1]])
    np.testing.assert_array_equal(second.label[0].asnumpy(), [4, 1, -2])
    it.reset()  # the wrapped rows began the next pass: it continues at row 2
    np.testing.assert_array_equal(next(it).label[0].asnumpy(), [-3, 4, 1])


def test_libsvm_label_file_parts_and_directory(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    _write(folder, "0:1 1:2\n2:3\n", "a.t")
    _write(folder, "1:4\n0:5 2:6\n", "b.t")
    labels = _write(tmp_path, "0:1\n1:1\n0:1\n1:1\n", "labels.t")
    it = mx.io.LibSVMIter(data_libsvm=str(folder), data_shape=(3,), label_libsvm=labels,
                          label_shape=(2,), batch_size=2)
    batch = next(it)
    assert batch.label[0].stype == "csr"
    np.testing.assert_array_equal(batch.label[0].asnumpy(), [[1, 0], [0, 1]])
    np.testing.assert_array_equal(batch.data[0].asnumpy(), [[1, 2, 0], [0, 0, 3]])
    part = mx.io.LibSVMIter(data_libsvm=str(folder), data_shape=(3,), label_libsvm=labels,
                            label_shape=(2,), batch_size=2, num_parts=2, part_index=1)
    np.testing.assert_array_equal(next(part).data[0].asnumpy(), [[0, 4, 0], [5, 0, 6]])


@pytest.mark.parametrize("text, match", [
    ("1 0:1 x\n", "index:value"),
    ("1 5:1\n", "outside"),
    ("1 -1:1\n", "outside"),
    ("1 0:1 0:2\n", "twice"),
    ("abc 0:1\n", "label"),
])
def test_libsvm_rejects_malformed_lines(tmp_path, text, match):
    with pytest.raises(MXNetError, match=match):
        mx.io.LibSVMIter(data_libsvm=_write(tmp_path, text), data_shape=(3,), batch_size=1)


def test_libsvm_argument_checks(tmp_path):
    path = _write(tmp_path, SAMPLE)
    with pytest.raises(MXNetError, match="batch_size"):
        mx.io.LibSVMIter(data_libsvm=path, data_shape=(3,), batch_size=0)
    with pytest.raises(MXNetError, match="part_index"):
        mx.io.LibSVMIter(data_libsvm=path, data_shape=(3,), batch_size=1, num_parts=2,
                         part_index=2)
    with pytest.raises(MXNetError, match="no such file"):
        mx.io.LibSVMIter(data_libsvm=str(tmp_path / "missing"), data_shape=(3,), batch_size=1)


def test_ndarray_iter_batches_csr_data():
    dense = np.arange(24, dtype=np.float32).reshape(6, 4)
    dense[dense % 3 == 0] = 0
    x = mx.nd.array(dense).tostype("csr")
    it = mx.io.NDArrayIter(x, mx.nd.arange(6), batch_size=2, shuffle=True,
                           last_batch_handle="discard")
    seen = []
    for batch in it:
        rows = batch.label[0].asnumpy().astype(int)
        assert batch.data[0].stype == "csr"
        np.testing.assert_array_equal(batch.data[0].asnumpy(), dense[rows])
        seen += rows.tolist()
    assert sorted(seen) == list(range(6))
