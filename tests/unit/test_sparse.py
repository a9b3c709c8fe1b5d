"""mx.nd.sparse: RowSparseNDArray / CSRNDArray, conversions, and the dense fallback."""

import pickle
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError
from mxcore.ndarray import sparse
from mxcore.ndarray.sparse import StorageFallbackWarning

DENSE = np.array([[0, 1, 0], [0, 0, 0], [2, 0, 3], [0, 0, 0]], dtype=np.float32)


@pytest.fixture(autouse=True)
def _fresh_fallback_warnings():
    sparse._WARNED.clear()
    yield
    sparse._WARNED.clear()


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StorageFallbackWarning)
        return fn(*args, **kwargs)


# -- construction ------------------------------------------------------------------------------
def test_row_sparse_from_parts():
    x = mx.nd.sparse.row_sparse_array(([[1, 2], [3, 4]], [0, 2]), shape=(4, 2))
    assert isinstance(x, mx.nd.sparse.RowSparseNDArray) and isinstance(x, mx.nd.NDArray)
    assert x.stype == "row_sparse" and x.shape == (4, 2) and x.dtype == np.float32
    assert x.size == 8 and x.ndim == 2 and x.context == mx.cpu(0)
    assert np.array_equal(x.asnumpy(), [[1, 2], [0, 0], [3, 4], [0, 0]])
    assert np.array_equal(x.indices.asnumpy(), [0, 2]) and x.indices.dtype == np.int64
    assert np.array_equal(x.data.asnumpy(), [[1, 2], [3, 4]])
    assert repr(x) == "\n<RowSparseNDArray 4x2 @cpu(0)>"


def test_row_sparse_infers_shape_sorts_and_keeps_dtype():
    data = np.array([[5.0], [6.0]], dtype=np.float64)
    x = mx.nd.sparse.row_sparse_array((data, [3, 1]))
    assert x.shape == (4, 1) and x.dtype == np.float64
    assert np.array_equal(x.indices.asnumpy(), [1, 3])
    assert np.array_equal(x.asnumpy()[:, 0], [0, 6, 0, 5])
    assert mx.nd.sparse.row_sparse_array((data, [0, 1]), dtype="float16").dtype == np.float16


@pytest.mark.parametrize("parts, shape, match", [
    (([[1, 2]], [5]), (4, 2), "in \\[0, 4\\)"),
    (([[1, 2], [3, 4]], [1, 1]), (4, 2), "sorted and unique"),
    (([[1, 2]], [0, 1]), (4, 2), "does not fit"),
    (([[1, 2]], [0]), (4, 3), "does not fit"),
    (([[1, 2]], [0.5]), (4, 2), "integers"),
])
def test_row_sparse_validation(parts, shape, match):
    with pytest.raises(MXNetValueError, match=match):
        mx.nd.sparse.row_sparse_array(parts, shape=shape)


def test_csr_from_parts():
    x = mx.nd.sparse.csr_matrix(([1, 2, 3], [1, 0, 2], [0, 1, 1, 3, 3]), shape=(4, 3))
    assert isinstance(x, mx.nd.sparse.CSRNDArray) and x.stype == "csr"
    assert np.array_equal(x.asnumpy(), DENSE)
    assert np.array_equal(x.indptr.asnumpy(), [0, 1, 1, 3, 3])
    assert np.array_equal(x.indices.asnumpy(), [1, 0, 2])
    assert repr(x) == "\n<CSRNDArray 4x3 @cpu(0)>"
    inferred = mx.nd.sparse.csr_matrix(([1, 2, 3], [1, 0, 2], [0, 1, 1, 3, 3]))
    assert inferred.shape == (4, 3)


def test_csr_from_coo_sums_duplicates():
    x = mx.nd.sparse.csr_matrix(([1.0, 2.0, 5.0], ([2, 0, 0], [1, 1, 1])), shape=(3, 2))
    assert np.array_equal(x.asnumpy(), [[0, 7], [0, 0], [0, 1]])
    assert np.array_equal(x.indptr.asnumpy(), [0, 1, 1, 2])


@pytest.mark.parametrize("parts, shape, match", [
    (([1], [0], [0, 1]), (2, 2), "indptr needs 3"),
    (([1], [0], [0, 2, 1]), (2, 2), "indptr must"),
    (([1], [4], [0, 1, 1]), (2, 2), "column indices"),
    (([1, 2], [0], [0, 1, 1]), (2, 2), "data has 2"),
    (([1], [0], [0, 1]), (1, 2, 3), "2-D"),
])
def test_csr_validation(parts, shape, match):
    with pytest.raises(MXNetValueError, match=match):
        mx.nd.sparse.csr_matrix(parts, shape=shape)


def test_csr_from_scipy():
    sps = pytest.importorskip("scipy.sparse", reason="SciPy is optional")
    m = sps.random(5, 4, density=0.4, format="csr", random_state=0, dtype=np.float64)
    x = mx.nd.sparse.csr_matrix(m)
    assert x.dtype == np.float64 and np.array_equal(x.asnumpy(), m.toarray())
    assert isinstance(mx.nd.array(m), mx.nd.sparse.CSRNDArray)
    assert isinstance(mx.nd.sparse.array(m.tocoo()), mx.nd.sparse.CSRNDArray)
    back = x.asscipy()
    assert np.array_equal(back.toarray(), m.toarray())


def test_from_dense_sources():
    r = mx.nd.sparse.row_sparse_array(DENSE)
    assert np.array_equal(r.indices.asnumpy(), [0, 2]) and np.array_equal(r.asnumpy(), DENSE)
    c = mx.nd.sparse.csr_matrix(mx.nd.array(DENSE))
    assert np.array_equal(c.asnumpy(), DENSE)
    with pytest.raises(MXNetValueError, match="differs"):
        mx.nd.sparse.csr_matrix(DENSE, shape=(2, 2))


def test_zeros_and_empty():
    z = mx.nd.sparse.zeros("row_sparse", (3, 2), dtype="int32")
    assert z.stype == "row_sparse" and z.dtype == np.int32 and z.data.shape == (0, 2)
    assert np.array_equal(z.asnumpy(), np.zeros((3, 2)))
    c = mx.nd.sparse.zeros("csr", (2, 5))
    assert np.array_equal(c.indptr.asnumpy(), [0, 0, 0]) and c.asnumpy().shape == (2, 5)
    assert mx.nd.sparse.zeros("default", (2,)).stype == "default"
    assert mx.nd.zeros((2, 2), stype="csr").stype == "csr"
    assert mx.nd.sparse.empty("row_sparse", (2, 2)).stype == "row_sparse"
    assert mx.nd.sparse.row_sparse_array((4, 3)).shape == (4, 3)
    assert mx.nd.sparse.csr_matrix((4, 3)).shape == (4, 3)
    with pytest.raises(MXNetValueError, match="unknown storage type"):
        mx.nd.sparse.zeros("coo", (2, 2))
    with pytest.raises(MXNetValueError, match="2-D"):
        mx.nd.sparse.zeros("csr", (2, 2, 2))


def test_sparse_array_rejects_dense():
    with pytest.raises(MXNetTypeError):
        mx.nd.sparse.array(DENSE)


# -- conversion --------------------------------------------------------------------------------
@pytest.mark.parametrize("stype", ["row_sparse", "csr", "default"])
def test_tostype_round_trip(stype):
    x = mx.nd.array(DENSE)
    s = x.tostype(stype)
    assert s.stype == stype
    for target in ("default", "row_sparse", "csr"):
        assert np.array_equal(s.tostype(target).asnumpy(), DENSE)
    assert s.tostype(stype) is not s  # a copy, as MXNet's cast_storage


def test_cast_storage_keeps_nan_and_negative_zero_rows():
    x = mx.nd.array([[0, np.nan], [0, 0], [-1, 0]])
    r = x.tostype("row_sparse")
    assert np.array_equal(r.indices.asnumpy(), [0, 2])
    assert np.array_equal(r.asnumpy(), x.asnumpy(), equal_nan=True)


def test_cast_storage_errors():
    with pytest.raises(MXNetValueError, match="2-D"):
        mx.nd.ones((2, 2, 2)).tostype("csr")
    with pytest.raises(MXNetValueError, match="unknown storage type"):
        mx.nd.ones((2,)).tostype("dense")
    with pytest.raises(MXNetTypeError):
        mx.nd.sparse.cast_storage(np.ones(2), "csr")


def test_astype_copy_copyto_and_contexts():
    x = mx.nd.array(DENSE).tostype("csr")
    y = x.astype("float64")
    assert y.stype == "csr" and y.dtype == np.float64
    assert x.astype("float32", copy=False) is x
    c = x.copy()
    assert c.stype == "csr" and np.array_equal(c.asnumpy(), DENSE)
    on1 = x.copyto(mx.cpu(1))
    assert on1.context == mx.cpu(1) and on1.stype == "csr"
    assert x.as_in_context(mx.cpu(0)) is x
    dense = mx.nd.zeros(DENSE.shape)
    x.copyto(dense)
    assert np.array_equal(dense.asnumpy(), DENSE)
    target = mx.nd.sparse.zeros("row_sparse", DENSE.shape)
    x.copyto(target)
    assert target.stype == "row_sparse" and np.array_equal(target.asnumpy(), DENSE)
    with pytest.raises(MXNetValueError, match="shape"):
        x.copyto(mx.nd.zeros((2, 2)))


def test_whole_array_assignment_keeps_storage_type():
    x = mx.nd.sparse.zeros("row_sparse", (4, 3))
    x[:] = mx.nd.array(DENSE)
    assert x.stype == "row_sparse" and np.array_equal(x.asnumpy(), DENSE)
    x[:] = 0
    assert x.data.shape == (0, 3)
    with pytest.raises(MXNetError, match="whole array"):
        x[1] = 5
    with pytest.raises(MXNetValueError, match="shape"):
        x[:] = mx.nd.ones((2, 2))


def test_pickle():
    x = mx.nd.array(DENSE).tostype("row_sparse")
    y = pickle.loads(pickle.dumps(x))
    assert y.stype == "row_sparse" and np.array_equal(y.asnumpy(), DENSE)


def test_check_format_and_autograd():
    x = mx.nd.array(DENSE).tostype("csr")
    x.check_format()
    with pytest.raises(MXNetError, match="not supported yet"):
        x.attach_grad()
    assert x.detach().stype == "csr"


def test_csr_row_slicing():
    x = mx.nd.array(DENSE).tostype("csr")
    s = x[1:3]
    assert s.stype == "csr" and np.array_equal(s.asnumpy(), DENSE[1:3])
    assert np.array_equal(x[2].asnumpy(), DENSE[2:3])
    assert x[:].stype == "csr" and np.array_equal(x[:].asnumpy(), DENSE)
    r = mx.nd.array(DENSE).tostype("row_sparse")
    assert r[:] is r
    col = _quiet(lambda: x[:, 1:2])
    assert np.array_equal(col, DENSE[:, 1:2])


# -- the storage fallback ------------------------------------------------------------------------
def test_ops_fall_back_to_dense_and_warn_once_per_op():
    x = mx.nd.array(DENSE).tostype("row_sparse")
    with pytest.warns(StorageFallbackWarning, match="exp: .*row_sparse"):
        y = mx.nd.exp(x)
    assert y.stype == "default" and np.allclose(y.asnumpy(), np.exp(DENSE))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mx.nd.exp(x)  # the second call does not warn again
    with pytest.warns(StorageFallbackWarning, match="max"):
        assert mx.nd.max(x).asscalar() == DENSE.max()


def test_warning_points_at_the_caller():
    x = mx.nd.array(DENSE).tostype("csr")
    with pytest.warns(StorageFallbackWarning) as record:
        mx.nd.sigmoid(x)  # no sparse kernel: sigmoid(0) != 0
    assert record[0].filename == __file__


def test_fallback_warning_can_be_silenced(monkeypatch):
    monkeypatch.setenv("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "0")
    x = mx.nd.array(DENSE).tostype("csr")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(mx.nd.abs(x).asnumpy(), DENSE)


def test_densify_for():
    x = mx.nd.array(DENSE).tostype("csr")
    d = mx.nd.ones((2,))
    with pytest.warns(StorageFallbackWarning, match="my_op: .*csr, default"):
        out = sparse.densify_for("my_op", [x, d])
    assert out[0].stype == "default" and out[1] is d


def test_arithmetic_operators():
    x = mx.nd.array(DENSE).tostype("row_sparse")
    d = mx.nd.ones(DENSE.shape)
    assert np.array_equal(_quiet(lambda: x + d).asnumpy(), DENSE + 1)
    assert np.array_equal(_quiet(lambda: d - x).asnumpy(), 1 - DENSE)
    assert np.array_equal(_quiet(lambda: x * 2).asnumpy(), DENSE * 2)
    assert np.array_equal(_quiet(lambda: x + x).asnumpy(), DENSE * 2)
    assert np.array_equal(_quiet(lambda: x == 0).asnumpy(), (DENSE == 0).astype(np.float32))
    y = x.copy()
    _quiet(y.__iadd__, 1)
    assert y.stype == "row_sparse" and np.array_equal(y.asnumpy(), DENSE + 1)
    assert {x: 1}[x] == 1  # still hashable although it defines __eq__


def test_out_into_sparse_array():
    out = mx.nd.sparse.zeros("csr", DENSE.shape)
    d = mx.nd.array(DENSE)
    result = mx.nd.relu(d, out=out)
    assert result is out and out.stype == "csr" and np.array_equal(out.asnumpy(), DENSE)


def test_sparse_module_forwards_to_dense_ops():
    x = mx.nd.array(DENSE).tostype("csr")
    w = mx.nd.ones((3, 2))
    y = _quiet(mx.nd.sparse.dot, x, w)
    assert np.array_equal(y.asnumpy(), DENSE @ np.ones((3, 2)))
    with pytest.raises(AttributeError):
        mx.nd.sparse.no_such_op  # noqa: B018


def test_csr_from_parts_sorts_columns_and_adds_duplicates():
    x = mx.nd.sparse.csr_matrix(([1.0, 2.0, 3.0, 4.0], [2, 0, 0, 1], [0, 3, 4]), shape=(2, 3))
    assert x.indices.asnumpy().tolist() == [0, 2, 1]
    assert x.data.asnumpy().tolist() == [5.0, 1.0, 4.0]
    assert np.array_equal(x.asnumpy(), [[5, 0, 1], [0, 4, 0]])
    x.check_format()


def test_check_format_full_check_wants_sorted_unique_columns():
    bad = sparse.make_csr(np.ones(2, np.float32), np.array([1, 0]), np.array([0, 2]), (1, 3),
                          mx.cpu(), check=False)
    bad.check_format(full_check=False)
    with pytest.raises(MXNetError, match="sorted and unique"):
        bad.check_format()


def test_csr_row_slices_on_the_device():
    x = mx.nd.array(DENSE).tostype("csr")
    for key in (slice(0, 0), slice(1, 3), slice(3, 10), 0, -1):
        part = x[key]
        assert part.stype == "csr"
        want = DENSE[key] if isinstance(key, slice) else DENSE[key:key + 1 or None]
        assert np.array_equal(part.asnumpy(), want)
        part.check_format()


def test_row_sparse_retain_method():
    x = mx.nd.array(DENSE).tostype("row_sparse")
    kept = x.retain(mx.nd.array([2, 0], dtype="int64"))
    want = np.zeros_like(DENSE)
    want[[0, 2]] = DENSE[[0, 2]]
    assert kept.stype == "row_sparse" and np.array_equal(kept.asnumpy(), want)
