"""Reductions as a user meets them beyond the conformance cases: tie and zero gradients,
``out_dtype``, MXNet's string parameter forms, fluent methods and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetTypeError, MXNetValueError


def _grad(fn, values, dtype="float64"):
    x = mx.nd.array(values, dtype=dtype)
    x.attach_grad()
    with mx.autograd.record():
        y = fn(x)
    y.backward()
    return x.grad.asnumpy()


@pytest.mark.parametrize("op", ["max", "min"])
def test_extremum_gradient_goes_to_every_tie_as_in_mxnet(op):
    values = [[2.0, 2.0, 1.0], [5.0, 5.0, 5.0]] if op == "max" else \
        [[1.0, 1.0, 2.0], [5.0, 5.0, 5.0]]
    grad = _grad(lambda x: getattr(mx.nd, op)(x, axis=1), values)
    np.testing.assert_array_equal(grad, [[1, 1, 0], [1, 1, 1]])


def test_l2_norm_gradient_is_zero_not_nan_at_zero():
    grad = _grad(lambda x: mx.nd.norm(x, axis=1), [[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(grad, [[0, 0], [0.6, 0.8]])


def test_norm_out_dtype_and_its_gradient():
    x = mx.nd.array([[3.0, 4.0]], dtype="float32")
    y = mx.nd.norm(x, out_dtype="float64")
    assert y.dtype == np.float64 and y.shape == (1,)
    assert y.asscalar() == 5.0
    grad = _grad(lambda v: mx.nd.norm(v, out_dtype="float64"), [[3.0, 4.0]], "float32")
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, [[0.6, 0.8]])


def test_prod_gradient_with_a_single_zero_is_the_product_of_the_others():
    grad = _grad(lambda x: mx.nd.prod(x), [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(grad, [0.0, 6.0, 0.0])


def test_string_parameter_forms_from_symbol_json():
    x = mx.nd.array(np.arange(24).reshape(2, 3, 4))
    got = mx.nd.sum(x, axis="(0, 2)", keepdims="True", exclude="False")
    np.testing.assert_array_equal(got.asnumpy(), np.arange(24).reshape(2, 3, 4)
                                  .sum(axis=(0, 2), keepdims=True))
    assert mx.nd.argmax(x, axis="1").shape == (2, 4)
    assert mx.nd.norm(x, ord="1", axis="()").shape == (1,)


def test_fluent_methods_forward_to_the_ops():
    x = mx.nd.array([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]])
    assert x.sum(axis=1).asnumpy().tolist() == [8.0, 7.0]
    assert x.max().asnumpy().tolist() == [5.0]
    assert x.argmin(axis=1).asnumpy().tolist() == [0.0, 1.0]
    assert x.argmax_channel().asnumpy().tolist() == [1.0, 0.0]
    assert x.mean(axis=0, keepdims=True).shape == (1, 3)


def test_argmax_returns_float_indices_in_the_input_dtype():
    x = mx.nd.array([[1, 7, 3]], dtype="int32")
    out = mx.nd.argmax(x, axis=1)
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [1]
    assert mx.nd.argmax(x.astype("float16")).dtype == np.float16


def test_empty_reduction_error_names_op_shape_and_backend():
    with pytest.raises(MXNetValueError) as info:
        mx.nd.max(mx.nd.zeros((0, 3)), axis=0)
    message = str(info.value)
    assert message.startswith("max: ") and "axis 0" in message
    assert "(0,3)" in message and "[backend " in message


@pytest.mark.parametrize("op,want", [
    ("nansum", [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
    ("nanprod", [[-3.0, 0.0, 2.0], [0.0, 0.0, 0.0]]),
])
def test_nan_reductions_give_zero_gradient_at_nan(op, want):
    nan = float("nan")
    grad = _grad(lambda x: getattr(mx.nd, op)(x, axis=1), [[2.0, nan, -3.0], [nan, nan, nan]])
    np.testing.assert_array_equal(grad, want)


@pytest.mark.parametrize("op,kwargs,error", [
    ("prod", {"keepdims": "maybe"}, MXNetTypeError),
    ("sum", {"axes": 1}, MXNetValueError),
    ("norm", {"ord": 3}, MXNetValueError),
    ("argmax", {"axis": (0, 1)}, MXNetTypeError),
])
def test_invalid_parameters_are_rejected_before_dispatch(op, kwargs, error):
    with pytest.raises(error, match=f"^{op}: "):
        getattr(mx.nd, op)(mx.nd.ones((2, 3)), **kwargs)
