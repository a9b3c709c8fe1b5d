"""NDArray as a user meets it: creation, printing, properties, copies, dtype and context
conversion, Python protocols, pickling and the arithmetic operators (MXNet 1.x semantics)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import mxcore as mx


def _eq(actual, expected, dtype=None):
    assert isinstance(actual, mx.nd.NDArray)
    expected = np.asarray(expected)
    np.testing.assert_array_equal(actual.asnumpy(), expected)
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype)


# -- creation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("source", [[1, 2, 3], (1, 2, 3), np.array([1, 2, 3]),
                                    np.array([1, 2, 3], dtype=np.int32),
                                    np.array([1.0, 2.0, 3.0]), range(1, 4)])
def test_array_defaults_to_float32(source):
    """Lists and NumPy arrays of any dtype become float32 unless dtype is given (MXNet 1.x)."""
    a = mx.nd.array(source)
    assert a.dtype is np.float32
    _eq(a, [1, 2, 3])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int8", "int32",
                                   "int64", np.float64, np.int32])
def test_array_with_dtype(dtype):
    a = mx.nd.array([1, 2], dtype=dtype)
    assert a.dtype == np.dtype(dtype)
    assert a.asnumpy().dtype == np.dtype(dtype)
    _eq(a, [1, 2])


def test_array_from_ndarray_keeps_dtype_and_copies():
    src = mx.nd.array([1, 2], dtype="int32")
    a = mx.nd.array(src)
    assert a.dtype is np.int32
    src[:] = 7
    _eq(a, [1, 2])
    assert mx.nd.array(src, dtype="float64").dtype is np.float64
    assert mx.nd.array(src, ctx=mx.cpu(1)).context == mx.cpu(1)


def test_array_copies_numpy_input():
    host = np.array([1.0, 2.0], dtype=np.float32)
    a = mx.nd.array(host)
    host[0] = 100
    _eq(a, [1, 2])


def test_array_rejects_ragged_input_and_unsupported_dtype():
    with pytest.raises(mx.MXNetError):
        mx.nd.array([[1, 2], [3]])
    with pytest.raises(mx.MXNetError):
        mx.nd.array([1, 2], dtype="complex64")
    with pytest.raises(TypeError):
        mx.nd.array([1, 2], dtype="not_a_dtype")


def test_zeros_ones_full_empty():
    _eq(mx.nd.zeros((2, 3)), np.zeros((2, 3)), "float32")
    _eq(mx.nd.zeros(4), np.zeros(4), "float32")
    _eq(mx.nd.ones((2,), dtype="int64"), [1, 1], "int64")
    _eq(mx.nd.full((2, 2), 3.5), np.full((2, 2), 3.5), "float32")
    _eq(mx.nd.full((3,), 7, dtype="int32"), [7, 7, 7], "int32")
    e = mx.nd.empty((3, 2))
    assert e.shape == (3, 2) and e.dtype is np.float32
    assert mx.nd.zeros((0, 3)).shape == (0, 3)
    with pytest.raises(mx.MXNetError):
        mx.nd.zeros((2, -1))


def test_arange_linspace_eye():
    _eq(mx.nd.arange(5), [0, 1, 2, 3, 4], "float32")
    _eq(mx.nd.arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75])
    _eq(mx.nd.arange(3, repeat=2), [0, 0, 1, 1, 2, 2])
    _eq(mx.nd.arange(0, 6, 2, dtype="int32"), [0, 2, 4], "int32")
    np.testing.assert_allclose(mx.nd.linspace(0, 1, 5).asnumpy(), [0, 0.25, 0.5, 0.75, 1])
    _eq(mx.nd.eye(3), np.eye(3), "float32")
    _eq(mx.nd.eye(2, 3, 1), np.eye(2, 3, 1))


def test_zeros_like_ones_like():
    a = mx.nd.array([[1, 2]], dtype="int32", ctx=mx.cpu(1))
    z = mx.nd.zeros_like(a)
    o = mx.nd.ones_like(a)
    _eq(z, [[0, 0]], "int32")
    _eq(o, [[1, 1]], "int32")
    assert z.context == o.context == mx.cpu(1)


# -- printing ---------------------------------------------------------------------------------
def test_print_matches_mxnet(capsys):
    print(mx.nd.array([1, 2]))
    assert capsys.readouterr().out == "\n[1. 2.]\n<NDArray 2 @cpu(0)>\n"


@pytest.mark.parametrize("make, text", [
    (lambda: mx.nd.array([1, 2]), "\n[1. 2.]\n<NDArray 2 @cpu(0)>"),
    (lambda: mx.nd.array([[1, 2], [3, 4]]), "\n[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>"),
    (lambda: mx.nd.zeros((2, 3), dtype="int32"),
     "\n[[0 0 0]\n [0 0 0]]\n<NDArray 2x3 @cpu(0)>"),
    (lambda: mx.nd.array([0.5], ctx=mx.cpu(1)), "\n[0.5]\n<NDArray 1 @cpu(1)>"),
    (lambda: mx.nd.zeros((2, 0)), "\n[]\n<NDArray 2x0 @cpu(0)>"),
    (lambda: mx.nd.ones((1, 1, 2)), "\n[[[1. 1.]]]\n<NDArray 1x1x2 @cpu(0)>"),
])
def test_repr_and_str(make, text):
    a = make()
    assert repr(a) == text
    assert str(a) == text


# -- properties -------------------------------------------------------------------------------
def test_properties():
    a = mx.nd.zeros((2, 3, 4), ctx=mx.cpu(1), dtype="float64")
    assert a.shape == (2, 3, 4)
    assert isinstance(a.shape, tuple)
    assert a.size == 24
    assert a.ndim == 3
    assert a.dtype is np.float64  # a NumPy scalar type, as in MXNet
    assert a.context == mx.cpu(1)
    assert a.ctx == mx.cpu(1)
    assert a.stype == "default"
    assert a.grad is None
    b = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    _eq(b.T, [[1, 4], [2, 5], [3, 6]])
    assert b.T.shape == (3, 2)


def test_asnumpy_returns_an_independent_copy():
    a = mx.nd.array([1, 2])
    host = a.asnumpy()
    assert isinstance(host, np.ndarray) and host.dtype == np.float32
    host[0] = 50
    _eq(a, [1, 2])


def test_numpy_interop():
    a = mx.nd.array([1, 2])
    np.testing.assert_array_equal(np.asarray(a), [1, 2])
    assert np.asarray(a, dtype=np.float64).dtype == np.float64
    # NDArray wins over NumPy in mixed arithmetic (__array_priority__)
    assert isinstance(np.float32(2) * a, mx.nd.NDArray)


# -- scalars and Python protocols ------------------------------------------------------------------
def test_asscalar():
    v = mx.nd.array([3.5]).asscalar()
    assert v == 3.5
    assert isinstance(v, np.float32)
    assert mx.nd.array([7], dtype="int32").asscalar() == 7
    with pytest.raises(ValueError):
        mx.nd.array([1, 2]).asscalar()
    assert float(mx.nd.array([2.5])) == 2.5
    assert int(mx.nd.array([4.0])) == 4


def test_bool():
    assert bool(mx.nd.array([1.0])) is True
    assert bool(mx.nd.array([0.0])) is False
    assert bool(mx.nd.zeros((0,))) is False
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mx.nd.array([1, 2]))
    with pytest.raises(mx.MXNetError):
        if mx.nd.ones((2, 2)):
            pass


def test_len_and_iter():
    a = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    assert len(a) == 3
    rows = list(a)
    assert len(rows) == 3
    for row, expected in zip(rows, [[1, 2], [3, 4], [5, 6]]):
        _eq(row, expected)
    items = list(mx.nd.array([7, 8]))
    assert [x.shape for x in items] == [(1,), (1,)]  # MXNet 1.x: shape (1,), not 0-d
    assert [x.asscalar() for x in items] == [7, 8]
    assert len(mx.nd.zeros((0, 2))) == 0
    assert list(mx.nd.zeros((0, 2))) == []


def test_index():
    seq = ["a", "b", "c"]
    assert seq[mx.nd.array([2], dtype="int32")] == "c"
    with pytest.raises(TypeError):
        seq[mx.nd.array([1.0])]


# -- copies -----------------------------------------------------------------------------------
def test_copy_is_independent():
    a = mx.nd.array([1, 2])
    b = a.copy()
    a[:] = 0
    _eq(b, [1, 2])
    c = copy.copy(a)
    d = copy.deepcopy(b)
    _eq(c, [0, 0])
    _eq(d, [1, 2])


def test_copyto_between_cpu_devices():
    a = mx.nd.array([[1, 2], [3, 4]], ctx=mx.cpu(0))
    b = a.copyto(mx.cpu(1))
    assert b.context == mx.cpu(1)
    _eq(b, [[1, 2], [3, 4]], "float32")
    a[:] = 9  # independent buffers
    _eq(b, [[1, 2], [3, 4]])
    back = b.copyto(mx.cpu(0))
    assert back.context == mx.cpu(0)
    _eq(back, [[1, 2], [3, 4]])


def test_copyto_into_an_existing_array():
    src = mx.nd.array([1, 2, 3], ctx=mx.cpu(0))
    dst = mx.nd.zeros((3,), ctx=mx.cpu(1))
    out = src.copyto(dst)
    assert out is dst
    assert dst.context == mx.cpu(1)
    _eq(dst, [1, 2, 3])
    same = mx.nd.zeros((3,))
    src.copyto(same)
    _eq(same, [1, 2, 3])
    with pytest.raises(mx.MXNetError, match="shape"):
        src.copyto(mx.nd.zeros((4,)))


def test_as_in_context():
    a = mx.nd.array([1, 2])
    assert a.as_in_context(mx.cpu(0)) is a
    b = a.as_in_context(mx.cpu(1))
    assert b is not a and b.context == mx.cpu(1)
    _eq(b, [1, 2])
    assert a.as_in_ctx(mx.cpu(1)).context == mx.cpu(1)


def test_astype():
    a = mx.nd.array([1.7, -2.2, 3.0])
    b = a.astype("int32")
    assert b.dtype is np.int32
    _eq(b, np.array([1.7, -2.2, 3.0], dtype=np.float32).astype(np.int32))
    c = a.astype(np.float64)
    assert c.dtype is np.float64
    np.testing.assert_allclose(c.asnumpy(), [1.7, -2.2, 3.0], rtol=1e-6)
    assert a.astype("float32", copy=False) is a
    same = a.astype("float32")
    assert same is not a
    same[:] = 0
    _eq(a, np.array([1.7, -2.2, 3.0], dtype=np.float32))
    with pytest.raises(mx.MXNetError):
        a.astype("complex128")


def test_pickling_roundtrip():
    for a in (mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([1, 2], dtype="int64"),
              mx.nd.zeros((2, 0)), mx.nd.array([5.0], ctx=mx.cpu(1))):
        b = pickle.loads(pickle.dumps(a))
        assert isinstance(b, mx.nd.NDArray)
        assert b.shape == a.shape and b.dtype == a.dtype and b.context == a.context
        np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())


# -- operators ------------------------------------------------------------------------------
A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
B = np.array([2.0, -1.0, 0.5], dtype=np.float32)


@pytest.mark.parametrize("fn", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: b - a, lambda a, b: b / a, lambda a, b: a % b, lambda a, b: abs(a) ** b,
    lambda a, b: a + 2, lambda a, b: 2 + a, lambda a, b: a - 2.5, lambda a, b: 2.5 - a,
    lambda a, b: a * 3, lambda a, b: 3 * a, lambda a, b: a / 4, lambda a, b: 4 / a,
    lambda a, b: a % 4, lambda a, b: 7 % a, lambda a, b: a ** 2, lambda a, b: 2 ** a,
    lambda a, b: -a, lambda a, b: +a, lambda a, b: abs(b), lambda a, b: a * np.float32(2),
])
def test_arithmetic_matches_numpy(fn):
    expected = fn(A, B)
    got = fn(mx.nd.array(A), mx.nd.array(B))
    assert isinstance(got, mx.nd.NDArray)
    assert got.dtype is np.float32
    np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda a, b: a == b, lambda a, b: a != b, lambda a, b: a > b, lambda a, b: a >= b,
    lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > 2, lambda a, b: a == 3,
    lambda a, b: a <= 4, lambda a, b: a != 5, lambda a, b: a < 1, lambda a, b: a >= 6,
])
def test_comparisons_return_input_dtype(fn):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    b = np.array([1.0, 5.0, 3.0], dtype=np.float32)
    got = fn(mx.nd.array(a), mx.nd.array(b))
    assert got.dtype is np.float32  # 1.0 / 0.0, as MXNet
    np.testing.assert_array_equal(got.asnumpy(), fn(a, b).astype(np.float32))


def test_integer_arithmetic_keeps_dtype():
    a = mx.nd.array([5, 7], dtype="int32")
    b = mx.nd.array([2, 3], dtype="int32")
    assert (a + b).dtype is np.int32
    _eq(a * b, [10, 21], "int32")
    _eq(a - b, [3, 4], "int32")


def test_inplace_operators_write_into_the_same_buffer():
    a = mx.nd.array([1.0, 2.0, 3.0])
    alias = a
    a += 1
    a *= mx.nd.array([2.0, 2.0, 2.0])
    a -= 1
    a /= 2
    assert a is alias
    _eq(a, [1.5, 2.5, 3.5])
    view_holder = mx.nd.array([1.0, 1.0])
    c = view_holder
    c += mx.nd.array([1.0])  # broadcasting in place
    _eq(view_holder, [2, 2])


def test_setitem_whole_array_and_rows():
    a = mx.nd.zeros((2, 3))
    a[:] = 5
    _eq(a, np.full((2, 3), 5.0))
    a[1] = mx.nd.array([1, 2, 3])
    _eq(a, [[5, 5, 5], [1, 2, 3]])
    a[:] = mx.nd.array([7, 8, 9], ctx=mx.cpu(1))  # from another context
    _eq(a, [[7, 8, 9], [7, 8, 9]])


def test_operator_errors():
    a = mx.nd.ones((2, 3))
    with pytest.raises(mx.MXNetError) as info:
        (a + mx.nd.ones((4,))).asnumpy()  # raises here at the latest (async engines)
    message = str(info.value)
    assert "broadcast_add" in message and "cpu_numpy" in message
    assert isinstance(info.value, ValueError)
    with pytest.raises(TypeError):
        a + "text"
    with pytest.raises(TypeError):
        a * [1, 2, 3]


def test_mixed_contexts_in_operators_raise():
    with pytest.raises(mx.MXNetError, match="context"):
        mx.nd.ones((2,), ctx=mx.cpu(0)) + mx.nd.ones((2,), ctx=mx.cpu(1))


def test_wait_to_read_and_waitall():
    try:
        mx.nd.waitall()  # errors other tests left pending under an asynchronous engine
    except mx.MXNetError:
        pass
    a = mx.nd.ones((3,)) * 2
    a.wait_to_read()
    mx.nd.waitall()
    _eq(a, [2, 2, 2])


def test_detach_shares_data_and_drops_autograd():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    d = x.detach()
    assert d._ag is None
    _eq(d, [1, 2])


def test_fluent_methods():
    a = mx.nd.array([[1, -2], [3, -4]])
    _eq(a.abs(), [[1, 2], [3, 4]])
    _eq(a.sum(), [-2])
    _eq(a.reshape((4,)), [1, -2, 3, -4])
    _eq(a.reshape(4), [1, -2, 3, -4])
    _eq(a.reshape(-1, 1), [[1], [-2], [3], [-4]])
