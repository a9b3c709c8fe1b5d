"""NDArray ``x[key]`` and ``x[key] = value`` as in MXNet 1.x: NumPy's results (with ``(1,)``
instead of 0-d), autograd through indexing, broadcasting assignment and error classes."""

from __future__ import annotations

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetIndexError, MXNetTypeError, MXNetValueError

A = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)

GET_KEYS = [
    0, -1, (1, 2), (1, 2, 3, 4), (-1, -1, -1, -1), slice(None), slice(1, None),
    (slice(None), 1), (Ellipsis, 1), (1, Ellipsis, 2), (None, 0),
    (0, None, slice(None, None, -1)), (slice(None, None, 2), slice(None), slice(3, 0, -2)),
    ([0, 1],), ([1, 0, 1], slice(None), 2), (slice(None), [0, 2], [1, 3]),
    (0, [0, 2], [1, 3]), ([0, 1], slice(None), [0, 3]), (slice(None), [[0], [2]], [1, 3]),
    (np.array([1, 0]),), (Ellipsis, [4, 0]), (1, slice(None), [0, -1]),
    (slice(None), None, [0, 2]), (slice(0, 0),), (slice(None), slice(None), []),
    (np.array([True, False]),), (Ellipsis,), (), (slice(5, 9),), (slice(-100, 100, 3),),
]


@pytest.mark.parametrize("key", GET_KEYS, ids=[repr(k) for k in GET_KEYS])
def test_getitem_matches_numpy(key):
    want = A[key]
    got = mx.nd.array(A)[key].asnumpy()
    if want.ndim == 0:
        want = want.reshape(1)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_every_axis_indexed_by_an_int_gives_shape_1_not_0d():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert x[1, 0].shape == (1,)
    assert x[1, 0].asscalar() == 3.0
    assert mx.nd.array([5.0, 6.0])[1].shape == (1,)


def test_ndarray_and_float_index_arrays():
    x = mx.nd.array(A)
    np.testing.assert_array_equal(x[mx.nd.array([1, 0, 1])].asnumpy(), A[[1, 0, 1]])
    np.testing.assert_array_equal(x[:, mx.nd.array([2.0, 0.0])].asnumpy(), A[:, [2, 0]])
    got = x[mx.nd.array([1, 0]), mx.nd.array([2, 0], dtype="int64")].asnumpy()
    np.testing.assert_array_equal(got, A[[1, 0], [2, 0]])
    assert x[mx.nd.array([1], dtype="int32")].shape == (1, 3, 4, 5)


def test_iteration_yields_rows():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    rows = [r.asnumpy().tolist() for r in x]
    assert rows == [[1.0, 2.0], [3.0, 4.0]]


def _grad_of(key, shape=(4, 3)):
    x = mx.nd.array(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    x.attach_grad()
    with mx.autograd.record():
        y = x[key]
    y.backward()
    return x.grad.asnumpy()


def test_basic_slice_is_recorded_by_autograd():
    want = np.zeros((4, 3))
    want[1:3] = 1
    np.testing.assert_array_equal(_grad_of(slice(1, 3)), want)


def test_int_and_step_slices_backpropagate():
    want = np.zeros((4, 3))
    want[2, ::2] = 1
    np.testing.assert_array_equal(_grad_of((2, slice(None, None, 2))), want)
    want = np.zeros((4, 3))
    want[-1, 0] = 1
    np.testing.assert_array_equal(_grad_of((-1, 0)), want)


def test_repeated_advanced_indices_accumulate_gradients():
    want = np.zeros((4, 3))
    want[0] = 2
    want[3] = 1
    np.testing.assert_array_equal(_grad_of([0, 3, 0]), want)
    want = np.zeros((4, 3))
    want[1, 2] = 2
    want[0, 0] = 1
    np.testing.assert_array_equal(_grad_of(([1, 0, 1], [2, 0, 2])), want)


def test_gradient_through_indexing_then_arithmetic():
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x[1:] * x[:2]
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0, 2.0])


SET_ITEMS = [
    ((0,), 7.0), ((slice(None), 1), np.arange(20).reshape(4, 5)),
    ((Ellipsis, 2), "nd_ones_1x4"), (([0, 1], 0, [1, 2]), np.array([[10.0], [20.0]])),
    ((1, [0, 2]), 3), ((slice(None, None, -1),), "nd_ones_3x4x5"),
    ((None, 0, 1), [1, 2, 3, 4, 5]), ((np.array([True, False]), 0), -1.0),
    (([1, -1],), 5.0), ((slice(None), slice(None), slice(None), 0), np.float32(2.5)),
]


@pytest.mark.parametrize("key,value", SET_ITEMS, ids=[repr(k) for k, _ in SET_ITEMS])
def test_setitem_matches_numpy_with_broadcasting(key, value):
    if isinstance(value, str):
        shape = tuple(int(d) for d in value.split("_")[-1].split("x"))
        nd_value, np_value = mx.nd.ones(shape), np.ones(shape)
    else:
        nd_value = np_value = value
    want = A.copy()
    want[key] = np_value
    x = mx.nd.array(A)
    x[key] = nd_value
    np.testing.assert_array_equal(x.asnumpy(), want)


def test_setitem_casts_values_to_the_array_dtype():
    x = mx.nd.zeros((2, 2), dtype="int32")
    x[0] = mx.nd.array([1.7, -2.2])
    x[1] = np.array([3.9, 4.1])
    assert x.dtype == np.int32
    np.testing.assert_array_equal(x.asnumpy(), [[1, -2], [3, 4]])


def test_setitem_whole_array():
    x = mx.nd.zeros((2, 3))
    x[:] = 1
    np.testing.assert_array_equal(x.asnumpy(), np.ones((2, 3)))
    x[:] = mx.nd.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.asnumpy(), [[1, 2, 3], [1, 2, 3]])


@pytest.mark.parametrize("key", [5, -6, (0, 3), (slice(None), 7)])
def test_out_of_range_int_raises_index_error(key):
    x = mx.nd.zeros((5, 3))
    with pytest.raises(MXNetIndexError, match="out of bounds"):
        x[key]
    with pytest.raises(MXNetIndexError):
        x[key] = 1.0


@pytest.mark.parametrize("key", [[0, 5], (slice(None), [3]), ([0, 1], [0, 9])])
def test_out_of_range_index_array_raises_index_error(key):
    x = mx.nd.zeros((5, 3))
    with pytest.raises(MXNetIndexError):
        x[key].wait_to_read()
    with pytest.raises(MXNetIndexError):
        x[key] = 1.0


def test_index_errors_are_mxnet_errors_and_builtin_index_errors():
    x = mx.nd.zeros((2, 2))
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(MXNetIndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(MXNetIndexError, match="broadcast"):
        x[[0, 1], [0, 1, 0]]


@pytest.mark.parametrize("key", ["a", 1.5, True, {0: 1}])
def test_unsupported_index_types_raise_type_error(key):
    with pytest.raises(MXNetTypeError):
        mx.nd.zeros((2, 2))[key]


def test_zero_step_raises_value_error():
    x = mx.nd.zeros((4,))
    with pytest.raises(MXNetValueError, match="step"):
        x[::0]
    with pytest.raises(MXNetValueError, match="step"):
        x[::0] = 1.0


def test_setitem_shape_mismatch_raises_value_error():
    x = mx.nd.zeros((4, 3))
    with pytest.raises(MXNetValueError, match="shape"):
        x[0:2] = np.ones((3, 3))
    with pytest.raises(MXNetValueError, match="shape"):
        x[:, 0] = mx.nd.ones((3,))
    with pytest.raises(MXNetTypeError):
        x[0] = "abc"


def test_setitem_on_a_recorded_array_is_refused_while_recording():
    x = mx.nd.zeros((3,))
    x.attach_grad()
    with mx.autograd.record():
        with pytest.raises(MXNetError, match="in-place"):
            x[0] = 1.0
