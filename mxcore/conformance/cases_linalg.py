"""Conformance cases for :mod:`mxcore.ops.linalg`.

References are float64 NumPy written from MXNet 1.x's definitions: ``dot`` contracts the
last axis of lhs (its first axis with ``transpose_a``) with the first axis of rhs (its last
with ``transpose_b``); 1-D · 1-D gives shape ``(1,)``. Invalid parameters fail before any
backend runs and are tested in ``tests/unit/test_linalg.py``.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .case import INTS, Case, ErrorCase, Input

_SMALL_INT = dict(low=0, high=4)


def _dot_ref(a, b, transpose_a=False, transpose_b=False, forward_stype=None):
    if a.ndim == 1 and b.ndim == 1:
        return np.array([np.sum(a * b)])
    if transpose_a:
        a = np.moveaxis(a, 0, -1)
    if transpose_b:
        b = np.moveaxis(b, -1, 0)
    return np.tensordot(a, b, axes=([-1], [0]))


def _batch_dot_ref(a, b, transpose_a=False, transpose_b=False, forward_stype=None):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.einsum("...ij,...jk->...ik", a, b)


def _gemm2_ref(a, b, transpose_a=False, transpose_b=False, alpha=1.0, axis=-2):
    a = np.swapaxes(a, axis, -2)
    b = np.swapaxes(b, axis, -2)
    out = alpha * _batch_dot_ref(a, b, transpose_a, transpose_b)
    return np.swapaxes(out, axis, -2)


def _fc_ref(x, w, b=None, num_hidden=None, no_bias=False, flatten=True):
    if flatten:
        x2 = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
        out_shape = (x.shape[0], w.shape[0])
    else:
        x2 = x.reshape(int(np.prod(x.shape[:-1])), x.shape[-1])
        out_shape = x.shape[:-1] + (w.shape[0],)
    out = np.einsum("ik,jk->ij", x2, w)
    if b is not None:
        out = out + b
    return out.reshape(out_shape)


def _dot(lshape, rshape, name, **kw):
    attrs = {k: kw.pop(k) for k in ("transpose_a", "transpose_b") if k in kw}
    return Case("dot", [Input(lshape, noncontiguous=kw.pop("nc", False)), Input(rshape)],
                _dot_ref, attrs, name=name, **kw)


def _fc(dshape, hidden, name, no_bias=False, flatten=True, **kw):
    in_units = int(np.prod(dshape[1:])) if flatten else dshape[-1]
    data = Input(dshape, kw.pop("low", -2.0), kw.pop("high", 2.0),
                 noncontiguous=kw.pop("nc", False))
    inputs = [data, Input((hidden, in_units))]
    if not no_bias:
        inputs.append(Input((hidden,)))
    attrs = {"num_hidden": hidden, "no_bias": no_bias, "flatten": flatten}
    return Case("FullyConnected", inputs, _fc_ref, attrs, name=name, **kw)


CASES: list = [
    _dot((3, 4), (4, 5), "matrix"),
    _dot((4,), (4,), "inner product to (1,)"),
    _dot((4,), (4, 3), "vector-matrix"),
    _dot((3, 4), (4,), "matrix-vector"),
    _dot((2, 3, 4), (4, 5), "3-d lhs"),
    _dot((3, 4), (4, 2, 3), "3-d rhs"),
    _dot((2, 2, 3), (3, 2, 2), "3-d both"),
    _dot((4, 3), (4, 5), "transpose_a", transpose_a=True),
    _dot((3, 4), (5, 4), "transpose_b", transpose_b=True),
    _dot((4, 3), (5, 4), "both transposed", transpose_a=True, transpose_b=True),
    _dot((4, 2, 3), (4, 5), "3-d transpose_a", transpose_a=True),
    _dot((3, 4), (2, 5, 4), "3-d transpose_b", transpose_b=True),
    _dot((4,), (3, 4), "vector · transposed matrix", transpose_b=True),
    _dot((1, 4), (4, 1), "size-1 dims"),
    _dot((0, 4), (4, 3), "zero rows"),
    _dot((3, 0), (0, 2), "zero contraction gives zeros"),
    _dot((0,), (0,), "empty inner product"),
    _dot((4, 3), (3, 2), "non-contiguous lhs", nc=True),
    Case("dot", [Input((3, 4), **_SMALL_INT), Input((4, 2), **_SMALL_INT)], _dot_ref,
         dtypes=INTS, name="int"),
    Case("batch_dot", [Input((2, 3, 4)), Input((2, 4, 5))], _batch_dot_ref, name="3-d"),
    Case("batch_dot", [Input((2, 4, 3)), Input((2, 4, 5))], _batch_dot_ref,
         {"transpose_a": True}, name="transpose_a"),
    Case("batch_dot", [Input((2, 3, 4)), Input((2, 5, 4))], _batch_dot_ref,
         {"transpose_b": True}, name="transpose_b"),
    Case("batch_dot", [Input((2, 4, 3)), Input((2, 5, 4))], _batch_dot_ref,
         {"transpose_a": True, "transpose_b": True}, name="both transposed"),
    Case("batch_dot", [Input((2, 2, 3, 2)), Input((2, 2, 2, 3))], _batch_dot_ref,
         name="4-d"),
    Case("batch_dot", [Input((1, 1, 4)), Input((1, 4, 1))], _batch_dot_ref, name="size-1"),
    Case("batch_dot", [Input((0, 3, 4)), Input((0, 4, 2))], _batch_dot_ref,
         name="zero batch"),
    Case("batch_dot", [Input((2, 3, 0)), Input((2, 0, 4))], _batch_dot_ref,
         name="zero contraction"),
    Case("batch_dot", [Input((2, 3, 4), noncontiguous=True), Input((2, 4, 2))],
         _batch_dot_ref, name="non-contiguous"),
    Case("batch_dot", [Input((2, 3, 2), **_SMALL_INT), Input((2, 2, 3), **_SMALL_INT)],
         _batch_dot_ref, dtypes=INTS, name="int"),
    Case("linalg_gemm2", [Input((3, 4)), Input((4, 5))], _gemm2_ref, {"alpha": 2.0},
         name="2-d alpha"),
    Case("linalg_gemm2", [Input((4, 3)), Input((5, 4))], _gemm2_ref,
         {"transpose_a": True, "transpose_b": True, "alpha": -0.5}, name="transposed"),
    Case("linalg_gemm2", [Input((2, 3, 4)), Input((2, 4, 2))], _gemm2_ref, name="batched"),
    Case("linalg_gemm2", [Input((3, 2, 4)), Input((3, 2, 2))], _gemm2_ref,
         {"axis": -3, "transpose_a": True}, name="row axis -3"),
    Case("linalg_gemm2", [Input((2, 0, 3)), Input((2, 3, 2))], _gemm2_ref,
         name="zero rows"),
    Case("_linalg_gemm2", [Input((2, 3)), Input((3, 2))], _gemm2_ref, name="alias"),
    Case("linalg_gemm2", [Input((3, 4), noncontiguous=True), Input((2, 4))], _gemm2_ref,
         {"transpose_b": True}, name="non-contiguous"),
    _fc((4, 5), 3, "2-d"),
    _fc((2, 3, 2), 4, "flatten 3-d"),
    _fc((2, 3, 4), 5, "no flatten 3-d", flatten=False),
    _fc((5,), 3, "no flatten 1-d", flatten=False),
    _fc((4, 5), 3, "no bias", no_bias=True),
    _fc((2, 3, 4), 2, "no bias no flatten", no_bias=True, flatten=False),
    _fc((1, 1), 1, "size-1"),
    _fc((0, 5), 3, "zero batch"),
    _fc((3, 0), 2, "zero input units"),
    _fc((4, 5), 3, "non-contiguous data", nc=True),
    _fc((4, 6), 3, "large values", low=-300.0, high=300.0),
]

ERROR_CASES: list = [
    ErrorCase("dot", [Input((3, 4)), Input((5, 6))], {}, MXNetValueError,
              name="misaligned"),
    ErrorCase("dot", [Input((3, 4)), Input((3, 4))], {"transpose_b": True,
                                                      "transpose_a": True},
              MXNetValueError, name="misaligned transposed"),
    ErrorCase("dot", [Input((3,)), Input((4,))], {}, MXNetValueError,
              name="vector lengths differ"),
    ErrorCase("dot", [Input((3,)), Input((3,))], {"transpose_a": True}, MXNetValueError,
              name="transposed vector"),
    ErrorCase("dot", [Input((3, 4)), Input((4, 2), dtype="float64")], {}, MXNetTypeError,
              name="dtype mismatch"),
    ErrorCase("batch_dot", [Input((3, 4)), Input((4, 2))], {}, MXNetValueError,
              name="2-d inputs"),
    ErrorCase("batch_dot", [Input((2, 3, 4)), Input((3, 4, 2))], {}, MXNetValueError,
              name="batch mismatch"),
    ErrorCase("batch_dot", [Input((2, 3, 4)), Input((2, 3, 2))], {}, MXNetValueError,
              name="misaligned"),
    ErrorCase("batch_dot", [Input((2, 3, 4)), Input((2, 2, 4, 2))], {}, MXNetValueError,
              name="ndim mismatch"),
    ErrorCase("linalg_gemm2", [Input((3, 4)), Input((5, 2))], {}, MXNetValueError,
              name="misaligned"),
    ErrorCase("linalg_gemm2", [Input((3, 4)), Input((4, 2))], {"axis": -1},
              MXNetValueError, name="row axis is the column axis"),
    ErrorCase("linalg_gemm2", [Input((4,)), Input((4,))], {}, MXNetValueError,
              name="1-d inputs"),
    ErrorCase("FullyConnected", [Input((4, 5)), Input((3, 4)), Input((3,))],
              {"num_hidden": 3}, MXNetValueError, name="weight in_units"),
    ErrorCase("FullyConnected", [Input((4, 5)), Input((2, 5)), Input((2,))],
              {"num_hidden": 3}, MXNetValueError, name="weight num_hidden"),
    ErrorCase("FullyConnected", [Input((4, 5)), Input((3, 5)), Input((4,))],
              {"num_hidden": 3}, MXNetValueError, name="bias shape"),
    ErrorCase("FullyConnected", [Input((2, 3, 4)), Input((3, 12)), Input((3,))],
              {"num_hidden": 3, "flatten": False}, MXNetValueError,
              name="flatten=False uses last axis"),
    ErrorCase("FullyConnected", [Input((4, 5)), Input((3, 5), dtype="float64"),
                                 Input((3,))], {"num_hidden": 3}, MXNetTypeError,
              name="dtype mismatch"),
]
