"""Conformance cases for :mod:`mxcore.ops.reduce`.

References are float64 NumPy written from MXNet's definitions: ``axis`` None or ``()`` means
all axes, ``exclude`` inverts the axis set, a full reduction without ``keepdims`` has shape
``(1,)``, and arg-reductions return float indices. NaN inputs are not gradient-checked here
(a finite difference at NaN is NaN); invalid parameters fail before any backend runs and are
tested in ``tests/unit/test_reduce.py``.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetValueError
from .case import FLOATS, INTS, Case, ErrorCase, Input

NAN = float("nan")
_DISTINCT = np.random.default_rng(7).permutation(24).reshape(2, 3, 4)  # no ties, fits uint8


def _axes(x, axis, exclude=False):
    if axis is None or axis == ():
        return tuple(range(x.ndim))
    axes = {a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    if exclude:
        axes = set(range(x.ndim)) - axes
    return tuple(sorted(axes))


def _as_mxnet(out):
    out = np.asarray(out, dtype=np.float64)
    return out.reshape(1) if out.ndim == 0 else out


def _ref(fn):
    def reference(x, axis=None, keepdims=False, exclude=False):
        with np.errstate(all="ignore"):
            return _as_mxnet(fn(x, axis=_axes(x, axis, exclude), keepdims=keepdims))
    return reference


def _norm_ref(x, ord=2, axis=None, keepdims=False):
    axes = _axes(x, axis)
    if ord == 1:
        out = np.sum(np.abs(x), axis=axes, keepdims=keepdims)
    else:
        out = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdims))
    return _as_mxnet(out)


def _arg_ref(fn):
    def reference(x, axis=None, keepdims=False):
        if axis is None:
            idx = fn(x.reshape(-1))
            return np.full((1,) * x.ndim if keepdims else (1,), idx, np.float64)
        out = fn(x, axis=axis)
        if keepdims:
            out = np.expand_dims(out, axis)
        return _as_mxnet(out)
    return reference


def _argmax_channel_ref(x):
    return _as_mxnet(np.argmax(x, axis=-1))


_SUM = _ref(np.sum)
_MEAN = _ref(np.mean)
_PROD = _ref(np.prod)
_MAX = _ref(np.max)
_MIN = _ref(np.min)
_NANSUM = _ref(np.nansum)
_NANPROD = _ref(np.nanprod)
_SMALL_INT = dict(low=0, high=4)
_WITH_ZEROS = [[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5], [1.0, -2.0, 3.0, 0.5]]
_WITH_NANS = [[1.0, NAN, -2.0, 0.5], [NAN, NAN, NAN, NAN], [0.25, 3.0, NAN, -1.5]]
_NAN_MAX = [[1.0, NAN, -2.0], [0.5, 3.0, -1.0]]


def _reduction_cases(op, ref, grad=True):
    """The axis/keepdims/exclude/zero-size/non-contiguous matrix shared by plain reductions."""
    return [
        Case(op, [Input((3, 4, 5))], ref, name="all", grad=grad),
        Case(op, [Input((3, 4, 5))], ref, {"axis": 1}, name="axis1", grad=grad),
        Case(op, [Input((3, 4, 5))], ref, {"axis": -1}, name="negative axis", grad=grad),
        Case(op, [Input((3, 4, 5))], ref, {"axis": (0, 2), "keepdims": True},
             name="tuple keepdims", grad=grad),
        Case(op, [Input((3, 4, 5))], ref, {"axis": 1, "exclude": True}, name="exclude",
             grad=grad),
        Case(op, [Input((3, 4, 5))], ref, {"axis": ()}, name="empty tuple = all", grad=grad),
        Case(op, [Input((3, 4))], ref, {"keepdims": True}, name="all keepdims", grad=grad),
        Case(op, [Input((1, 4, 1))], ref, {"axis": (0, 2)}, name="size-1 axes", grad=grad),
        Case(op, [Input((5,))], ref, {"axis": 0}, name="1-d to (1,)", grad=grad),
        Case(op, [Input((4, 5), noncontiguous=True)], ref, {"axis": 0},
             name="non-contiguous", grad=grad),
        Case(op, [Input((0, 3))], ref, {"axis": 1}, name="zero-size kept axis", grad=grad),
    ]


CASES: list = [
    *_reduction_cases("sum", _SUM),
    Case("sum", [Input((0, 3))], _SUM, {"axis": 0}, name="zero-size reduced axis"),
    Case("sum", [Input((2, 0))], _SUM, name="zero-size all"),
    Case("sum", [Input((3, 4), **_SMALL_INT)], _SUM, {"axis": 1}, dtypes=INTS,
         name="int axis"),
    Case("sum", [Input((2, 3, 2), **_SMALL_INT)], _SUM, dtypes=INTS, name="int all"),
    Case("sum_axis", [Input((3, 4))], _SUM, {"axis": 1}, name="alias"),
    *_reduction_cases("mean", _MEAN),
    Case("mean", [Input((4, 2), low=-1e3, high=1e3)], _MEAN, {"axis": 0}, name="large"),
    *_reduction_cases("prod", _PROD),
    Case("prod", [Input((3, 4), values=_WITH_ZEROS)], _PROD, {"axis": 1},
         name="zeros in rows"),
    Case("prod", [Input((3, 4), values=_WITH_ZEROS)], _PROD, {"axis": 0, "keepdims": True},
         name="zeros in columns"),
    Case("prod", [Input((0, 3))], _PROD, {"axis": 0}, name="zero-size reduced axis"),
    Case("prod", [Input((2, 3), low=1, high=4)], _PROD, {"axis": 1}, dtypes=INTS,
         name="int"),
    *_reduction_cases("max", _MAX),
    Case("max", [Input((2, 3, 4), values=_DISTINCT)], _MAX, {"axis": 2}, dtypes=INTS,
         name="int"),
    Case("max", [Input((2, 3), values=_NAN_MAX)], _MAX, {"axis": 1}, name="NaN propagates",
         grad=False),
    Case("max", [Input((3, 4), low=-1e4, high=1e4)], _MAX, {"axis": 0}, name="large"),
    Case("max_axis", [Input((3, 4))], _MAX, {"axis": 0}, name="alias"),
    *_reduction_cases("min", _MIN),
    Case("min", [Input((2, 3, 4), values=_DISTINCT)], _MIN, {"axis": (0, 1)}, dtypes=INTS,
         name="int"),
    Case("min", [Input((2, 3), values=_NAN_MAX)], _MIN, name="NaN propagates", grad=False),
    Case("min_axis", [Input((3, 4))], _MIN, {"axis": 1, "keepdims": True}, name="alias"),
    *_reduction_cases("nansum", _NANSUM),
    Case("nansum", [Input((3, 4), values=_WITH_NANS)], _NANSUM, {"axis": 1}, name="NaN",
         grad=False),
    Case("nansum", [Input((3, 4), values=_WITH_NANS)], _NANSUM, name="NaN all", grad=False),
    Case("nansum", [Input((3, 4), **_SMALL_INT)], _NANSUM, {"axis": 0}, dtypes=INTS,
         name="int"),
    *_reduction_cases("nanprod", _NANPROD),
    Case("nanprod", [Input((3, 4), values=_WITH_NANS)], _NANPROD, {"axis": 1}, name="NaN",
         grad=False),
    Case("nanprod", [Input((3, 4), values=_WITH_NANS)], _NANPROD,
         {"axis": 0, "keepdims": True}, name="NaN columns", grad=False),
    Case("norm", [Input((3, 4, 5))], _norm_ref, name="l2 all"),
    Case("norm", [Input((3, 4, 5))], _norm_ref, {"axis": 1}, name="l2 axis"),
    Case("norm", [Input((3, 4, 5))], _norm_ref, {"ord": 1, "axis": -1}, name="l1 axis"),
    Case("norm", [Input((3, 4))], _norm_ref, {"ord": 1}, name="l1 all"),
    Case("norm", [Input((3, 4, 5))], _norm_ref, {"axis": (0, 2), "keepdims": True},
         name="l2 tuple keepdims"),
    Case("norm", [Input((4, 5), noncontiguous=True)], _norm_ref, {"axis": 0},
         name="non-contiguous"),
    Case("norm", [Input((0, 3))], _norm_ref, {"axis": 0}, name="zero-size"),
    Case("norm", [Input((4, 5), low=100, high=300)], _norm_ref, {"axis": 1},
         name="large (float16 must not overflow)"),
    Case("argmax", [Input((2, 3, 4))], _arg_ref(np.argmax), {"axis": 1}, name="axis",
         grad=False),
    Case("argmax", [Input((2, 3, 4))], _arg_ref(np.argmax), name="flattened", grad=False),
    Case("argmax", [Input((2, 3, 4))], _arg_ref(np.argmax), {"axis": -1, "keepdims": True},
         name="keepdims", grad=False),
    Case("argmax", [Input((2, 3, 4), values=_DISTINCT)], _arg_ref(np.argmax), {"axis": 0},
         dtypes=FLOATS + INTS, name="int", grad=False),
    Case("argmax", [Input((4, 5), noncontiguous=True)], _arg_ref(np.argmax), {"axis": 1},
         name="non-contiguous", grad=False),
    Case("argmax", [Input((0, 3))], _arg_ref(np.argmax), {"axis": 1}, name="zero-size",
         grad=False),
    Case("argmin", [Input((2, 3, 4))], _arg_ref(np.argmin), {"axis": 2}, name="axis",
         grad=False),
    Case("argmin", [Input((2, 3, 4))], _arg_ref(np.argmin), name="flattened", grad=False),
    Case("argmin", [Input((2, 3, 4), values=_DISTINCT)], _arg_ref(np.argmin),
         {"axis": 1, "keepdims": True}, dtypes=FLOATS + INTS, name="int", grad=False),
    Case("argmax_channel", [Input((3, 5))], _argmax_channel_ref, name="2-d", grad=False),
    Case("argmax_channel", [Input((2, 3, 4), values=_DISTINCT)], _argmax_channel_ref,
         dtypes=FLOATS + INTS, name="3-d int", grad=False),
]

ERROR_CASES: list = [
    ErrorCase("sum", [Input((2, 3))], {"axis": 2}, MXNetValueError, name="axis out of range"),
    ErrorCase("sum", [Input((2, 3))], {"axis": -3}, MXNetValueError,
              name="negative axis out of range"),
    ErrorCase("mean", [Input((2, 3))], {"axis": (1, -1)}, MXNetValueError,
              name="repeated axis"),
    ErrorCase("max", [Input((0, 3))], {"axis": 0}, MXNetValueError, name="empty axis"),
    ErrorCase("min", [Input((2, 0))], {}, MXNetValueError, name="empty all"),
    ErrorCase("max_axis", [Input((0,))], {}, MXNetValueError, name="alias empty"),
    ErrorCase("min_axis", [Input((3, 0))], {"axis": 1}, MXNetValueError, name="alias empty"),
    ErrorCase("nansum", [Input((2, 3))], {"axis": 5}, MXNetValueError, name="bad axis"),
    ErrorCase("nanprod", [Input((2, 3))], {"axis": (0, 3)}, MXNetValueError, name="bad axis"),
    ErrorCase("sum_axis", [Input((2, 3))], {"axis": 4}, MXNetValueError, name="bad axis"),
    ErrorCase("norm", [Input((2, 3))], {"axis": 2}, MXNetValueError, name="bad axis"),
    ErrorCase("argmax", [Input((2, 3))], {"axis": 2}, MXNetValueError, name="bad axis"),
    ErrorCase("argmax", [Input((3, 0))], {"axis": 1}, MXNetValueError, name="empty axis"),
    ErrorCase("argmin", [Input((0, 2))], {}, MXNetValueError, name="empty flattened"),
    ErrorCase("argmax_channel", [Input((2, 0))], {}, MXNetValueError, name="empty channel"),
]
