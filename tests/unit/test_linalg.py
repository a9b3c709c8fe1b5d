"""Matrix products beyond the conformance cases: error text, the fused FullyConnected kernel
against its decomposition, and optional bias handling."""

from __future__ import annotations

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetValueError
from mxcore.ndarray.invoke import kernel_namespace
from mxcore.ops.registry import get_op


def test_dot_misalignment_message():
    with pytest.raises(MXNetValueError) as info:
        mx.nd.dot(mx.nd.ones((3, 4)), mx.nd.ones((5, 6)))
    assert str(info.value).startswith(
        "dot: shapes (3,4) and (5,6) do not align on axis 1 vs 0")
    assert "[backend " in str(info.value)


def test_dot_transpose_a_on_3d_matches_mxnet_2d_view():
    # MXNet views lhs (4, 2, 3) as the (4, 6) matrix and transposes that: the result keeps
    # lhs.shape[1:] in order, it does not reverse every axis
    a = np.arange(24.0).reshape(4, 2, 3)
    b = np.arange(20.0).reshape(4, 5)
    got = mx.nd.dot(mx.nd.array(a), mx.nd.array(b), transpose_a=True)
    want = (a.reshape(4, 6).T @ b).reshape(2, 3, 5)
    np.testing.assert_allclose(got.asnumpy(), want)


@pytest.mark.parametrize("dshape,no_bias,flatten", [
    ((4, 5), False, True), ((2, 3, 4), False, True), ((2, 3, 4), True, False),
    ((0, 6), False, True), ((3, 0), False, True), ((5,), False, False),
])
def test_fused_fully_connected_matches_decomposition(dshape, no_bias, flatten):
    backend = mx.cpu().backend
    fused = backend.kernels.get("FullyConnected")
    if fused is None:
        pytest.skip(f"backend {backend.name} has no fused FullyConnected")
    op = get_op("FullyConnected")
    rng = np.random.default_rng(0)
    in_units = int(np.prod(dshape[1:])) if flatten else dshape[-1]
    data = rng.standard_normal(dshape).astype(np.float32)
    arrays = [data, rng.standard_normal((3, in_units)).astype(np.float32)]
    if not no_bias:
        arrays.append(rng.standard_normal(3).astype(np.float32))
    attrs = {"num_hidden": 3, "no_bias": no_bias, "flatten": flatten}
    want = op.compute(kernel_namespace(backend), *arrays, **attrs)
    got = fused(*arrays, **attrs)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_fully_connected_no_bias_accepts_bias_none_and_gives_two_gradients():
    x = mx.nd.ones((2, 3))
    w = mx.nd.ones((4, 3))
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.FullyConnected(x, w, None, num_hidden=4, no_bias=True)
    y.backward()
    assert y.shape == (2, 4)
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 3), 4.0))
    np.testing.assert_array_equal(w.grad.asnumpy(), np.full((4, 3), 2.0))


@pytest.mark.parametrize("call,match", [
    (lambda: mx.nd.dot(mx.nd.ones((3, 4)), mx.nd.ones((4, 2)), forward_stype="dense"),
     "^dot: invalid value for parameter 'forward_stype'"),
    (lambda: mx.nd.FullyConnected(mx.nd.ones((4, 5)), mx.nd.ones((1, 5)), mx.nd.ones((1,)),
                                  num_hidden=0),
     "^FullyConnected: invalid value for parameter 'num_hidden'"),
    (lambda: mx.nd.FullyConnected(mx.nd.ones((4, 5)), mx.nd.ones((3, 5)), num_hidden=3),
     "^FullyConnected: input 'bias' is required"),
])
def test_invalid_parameters_and_missing_inputs_are_rejected(call, match):
    with pytest.raises(MXNetValueError, match=match):
        call()
