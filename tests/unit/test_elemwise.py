"""Frontend behaviour of element-wise ops: Python operators, in-place forms, ``mx.nd`` helpers
that pick the scalar or array op, and dtype rules. The ops' values are in the conformance
suite (``mxcore/conformance/cases_elemwise.py``)."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError


def _arr(values, dtype="float32"):
    return mx.nd.array(values, dtype=dtype)


def _check(result, expected, dtype):
    assert isinstance(result, mx.nd.NDArray)
    assert result.dtype == np.dtype(dtype).type
    np.testing.assert_allclose(result.asnumpy(), np.asarray(expected, dtype=np.float64),
                               rtol=1e-6)


# -- operators with scalars and arrays ------------------------------------------------------
@pytest.mark.parametrize("expr, expected", [
    (lambda a: a + 2, [3, 4, 6]),
    (lambda a: 2 + a, [3, 4, 6]),
    (lambda a: a - 2, [-1, 0, 2]),
    (lambda a: 2 - a, [1, 0, -2]),
    (lambda a: a * 3, [3, 6, 12]),
    (lambda a: 3 * a, [3, 6, 12]),
    (lambda a: a / 2, [0.5, 1, 2]),
    (lambda a: 2 / a, [2, 1, 0.5]),
    (lambda a: a ** 2, [1, 4, 16]),
    (lambda a: 2 ** a, [2, 4, 16]),
    (lambda a: a % 3, [1, 2, 1]),
    (lambda a: 7 % a, [0, 1, 3]),
    (lambda a: -a, [-1, -2, -4]),
    (lambda a: abs(-a), [1, 2, 4]),
    (lambda a: a + np.float64(1), [2, 3, 5]),
])
def test_scalar_operators(expr, expected):
    _check(expr(_arr([1, 2, 4])), expected, "float32")


def test_array_operators_broadcast():
    a = _arr([[1, 2, 3], [4, 5, 6]])
    b = _arr([10, 20, 30])
    _check(a + b, [[11, 22, 33], [14, 25, 36]], "float32")
    _check(b - a, [[9, 18, 27], [6, 15, 24]], "float32")
    _check(a * _arr([[2], [3]]), [[2, 4, 6], [12, 15, 18]], "float32")
    _check(b / a, [[10, 10, 10], [2.5, 4, 5]], "float32")


def test_operator_with_unsupported_operand_raises_type_error():
    a = _arr([1, 2])
    with pytest.raises(TypeError):
        a + "x"
    with pytest.raises(TypeError):
        a * [1, 2]


def test_incompatible_broadcast_raises_mxnet_error_naming_op_and_shapes():
    with pytest.raises(MXNetError, match=r"broadcast_add.*\(2,3\).*\(4,3\)"):
        mx.nd.ones((2, 3)) + mx.nd.ones((4, 3))


# -- in-place operators -----------------------------------------------------------------------
@pytest.mark.parametrize("op, expected", [
    ("__iadd__", [3, 4, 6]), ("__isub__", [-1, 0, 2]), ("__imul__", [2, 4, 8]),
    ("__itruediv__", [0.5, 1, 2]), ("__imod__", [1, 0, 0]), ("__ipow__", [1, 4, 16]),
])
def test_inplace_scalar_keeps_identity(op, expected):
    a = _arr([1, 2, 4])
    result = getattr(a, op)(2)
    assert result is a
    _check(a, expected, "float32")


def test_inplace_statements_and_array_rhs():
    a = _arr([[1, 2], [3, 4]])
    alias = a
    a += 1
    a *= _arr([2, 10])
    a -= _arr([[1], [2]])
    assert a is alias
    _check(a, [[3, 29], [6, 48]], "float32")


def test_inplace_keeps_dtype_of_target():
    a = _arr([1, 2], "float16")
    a += _arr([0.5, 0.25], "float64")
    _check(a, [1.5, 2.25], "float16")
    i = _arr([5, 7], "int32")
    i += 2
    i /= 2
    _check(i, [3, 4], "int32")


def test_inplace_on_recorded_array_raises():
    x = _arr([1, 2])
    x.attach_grad()
    with mx.autograd.record():
        y = x * 2
        with pytest.raises(MXNetError, match="in-place"):
            y += 1


# -- comparisons --------------------------------------------------------------------------
def test_comparisons_return_input_dtype_ones_and_zeros():
    a = _arr([1, 2, 3])
    b = _arr([3, 2, 1])
    _check(a > 1, [0, 1, 1], "float32")
    _check(a >= 2, [0, 1, 1], "float32")
    _check(a < b, [1, 0, 0], "float32")
    _check(a <= b, [1, 1, 0], "float32")
    _check(a == b, [0, 1, 0], "float32")
    _check(a != 2, [1, 0, 1], "float32")
    _check(2 < a, [0, 0, 1], "float32")  # reflected: a > 2
    _check(2 >= a, [1, 1, 0], "float32")
    h = _arr([1, 2], "float16")
    _check(h == 2, [0, 1], "float16")
    _check(_arr([1, 5], "int32") > 2, [0, 1], "int32")


def test_comparison_with_nan():
    a = _arr([np.nan, 1.0])
    _check(a == a, [0, 1], "float32")
    _check(a != a, [1, 0], "float32")
    _check(a > 0, [0, 1], "float32")


def test_comparison_results_are_not_differentiable_but_usable_as_masks():
    x = _arr([-1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x * (x > 0)
    y.backward()
    _check(x.grad, [0, 1, 1], "float32")


# -- mx.nd helpers choosing scalar or array forms -----------------------------------------------
@pytest.mark.parametrize("fn, lhs, rhs, expected", [
    ("maximum", "a", 2, [2, 2, 4]),
    ("maximum", 2, "a", [2, 2, 4]),
    ("maximum", "a", "b", [3, 2, 4]),
    ("minimum", "a", 2, [1, 2, 2]),
    ("minimum", 2.5, "a", [1, 2, 2.5]),
    ("add", 1, "a", [2, 3, 5]),
    ("subtract", 10, "a", [9, 8, 6]),
    ("subtract", "a", "b", [-2, 0, 3]),
    ("multiply", "a", 0.5, [0.5, 1, 2]),
    ("divide", 8, "a", [8, 4, 2]),
    ("true_divide", "a", 2, [0.5, 1, 2]),
    ("modulo", 9, "a", [0, 1, 1]),
    ("power", 3, "a", [3, 9, 81]),
    ("power", "a", "b", [1, 4, 4]),
    ("hypot", "a", 0, [1, 2, 4]),
    ("equal", 2, "a", [0, 1, 0]),
    ("not_equal", "a", "b", [1, 0, 1]),
    ("greater", 2, "a", [1, 0, 0]),
    ("greater_equal", 2, "a", [1, 1, 0]),
    ("lesser", 2, "a", [0, 0, 1]),
    ("lesser_equal", "a", 2, [1, 1, 0]),
    ("logical_and", "a", 0, [0, 0, 0]),
    ("logical_or", 0, "a", [1, 1, 1]),
    ("logical_xor", "a", "z", [1, 1, 0]),
])
def test_nd_helpers_pick_scalar_or_array_op(fn, lhs, rhs, expected):
    arrays = {"a": _arr([1, 2, 4]), "b": _arr([3, 2, 1]), "z": _arr([0, 0, 1])}
    lhs = arrays.get(lhs, lhs) if isinstance(lhs, str) else lhs
    rhs = arrays.get(rhs, rhs) if isinstance(rhs, str) else rhs
    _check(getattr(mx.nd, fn)(lhs, rhs), expected, "float32")


def test_nd_helpers_with_two_scalars_return_python_values():
    assert mx.nd.maximum(2, 3) == 3
    assert mx.nd.add(2, 3) == 5
    assert mx.nd.greater(3, 2) == 1.0


def test_nd_helpers_reject_other_types():
    with pytest.raises(MXNetTypeError, match="maximum"):
        mx.nd.maximum(_arr([1]), "2")
    with pytest.raises(MXNetTypeError):
        mx.nd.add([1, 2], _arr([1, 2]))


def test_nd_helper_gradient_flows_through_scalar_form():
    x = _arr([1.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.maximum(x, 2) * 3
    y.backward()
    _check(x.grad, [0, 3], "float32")


# -- dtypes ------------------------------------------------------------------------------
@pytest.mark.parametrize("da, db, expected", [
    ("float16", "float32", "float32"),
    ("float32", "float16", "float32"),
    ("float16", "float64", "float64"),
    ("float64", "float32", "float64"),
    ("int32", "float32", "float32"),
    ("float16", "int64", "float16"),
    ("int8", "uint8", "int32"),
    ("uint8", "int64", "int64"),
    ("int32", "int64", "int64"),
])
def test_binary_dtype_promotion(da, db, expected):
    a = _arr([[1, 2, 3]], da)
    b = _arr([[2], [1]], db)
    _check(a + b, [[3, 4, 5], [2, 3, 4]], expected)
    _check(mx.nd.broadcast_mul(b, a), [[2, 4, 6], [1, 2, 3]], expected)
    _check(a > b, [[0, 0, 1], [0, 1, 1]], expected)
    _check(mx.nd.maximum(a, b), [[2, 2, 3], [1, 2, 3]], expected)


def test_promoted_gradients_have_input_dtypes():
    a = _arr([1, 2], "float16")
    b = _arr([[3], [4]], "float64")
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        y = a * b
    assert y.dtype == np.float64
    y.backward()
    _check(a.grad, [7, 7], "float16")
    _check(b.grad, [[3], [3]], "float64")


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
def test_scalar_ops_keep_integer_dtype(dtype):
    a = _arr([1, 4, 7], dtype)
    _check(a + 2, [3, 6, 9], dtype)
    _check(a * 2, [2, 8, 14], dtype)
    _check(a - 1, [0, 3, 6], dtype)
    _check(a / 2, [0, 2, 3], dtype)  # integer division truncates
    _check(a % 3, [1, 1, 1], dtype)
    _check(a ** 2, [1, 16, 49], dtype)
    _check(mx.nd.maximum(a, 3), [3, 4, 7], dtype)
    _check(a > 3, [0, 1, 1], dtype)


def test_float_scalar_is_cast_to_integer_array_dtype():
    # as MXNet 1.x: the scalar takes the array's dtype (2.5 -> 2 for int32)
    a = _arr([1, 4], "int32")
    _check(a * 2.5, [2, 8], "int32")
    _check(a + 0.9, [1, 4], "int32")


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_scalar_ops_keep_float_dtype(dtype):
    a = _arr([1, 2], dtype)
    _check(a * 0.5 + 1, [1.5, 2], dtype)
    _check(1 / a, [1, 0.5], dtype)
    _check(2 ** a, [2, 4], dtype)


def test_unary_on_integers_keeps_dtype():
    _check(mx.nd.sqrt(_arr([4, 8, 9], "int32")), [2, 2, 3], "int32")
    _check(mx.nd.cbrt(_arr([27, -64, 10], "int64")), [3, -4, 2], "int64")
    _check(mx.nd.degrees(_arr([1, 2], "int32")), [57, 114], "int32")
    _check(mx.nd.abs(_arr([-3, 2], "int8")), [3, 2], "int8")
