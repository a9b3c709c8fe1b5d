"""Reductions: sum, mean, prod, max, min, nansum, nanprod, norm, argmax, argmin.

MXNet 1.x conventions: ``axis`` is None, an int or a tuple (``()`` also means all axes);
``exclude=True`` reduces over every axis *not* listed; a reduction over all axes with
``keepdims=False`` returns shape ``(1,)``, never a 0-d array. ``argmax``/``argmin`` return
indices as floats in the input dtype.

Gradients of ``max``/``min`` go, in full, to every element equal to the result (ties
included), as in MXNet 1.x (apache/mxnet#18563 discusses splitting them instead).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

from ._helpers import normalize_axis, reduce_axes
from .registry import OpDef, Param, register_op, to_axis, to_bool, to_dtype, to_int, to_int_or_none

AREA = "reduce"

_AXIS = Param("axis", to_axis, None, "axis or axes to reduce; None or () means all")
_KEEPDIMS = Param("keepdims", to_bool, False, "keep reduced axes with size 1")
_EXCLUDE = Param("exclude", to_bool, False, "reduce over the axes not in ``axis``")
_PARAMS = (_AXIS, _KEEPDIMS, _EXCLUDE)


# -- shared helpers ------------------------------------------------------------------------
_AXES: dict = {}


def _axes(shape: Sequence[int], axis: Any, exclude: bool = False) -> Tuple[int, ...]:
    """The sorted non-negative axes reduced; None means all axes whatever ``exclude`` is.

    Memoised by (ndim, axis, exclude): reductions sit on every backward pass.
    """
    key = (len(shape), axis, exclude)
    axes = _AXES.get(key)
    if axes is None:
        if axis is None:
            axes = tuple(range(len(shape)))
        else:
            axes = reduce_axes(axis, len(shape), exclude)
        if len(_AXES) < 4096:
            _AXES[key] = axes
    return axes


def _keep_shape(shape: Sequence[int], axes: Sequence[int]) -> Tuple[int, ...]:
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _finish(K: Any, out: Any) -> Any:
    """MXNet never returns 0-d arrays from ops: a full reduction gives shape (1,)."""
    return K.reshape(out, (1,)) if out.ndim == 0 else out


def _require_nonempty(x: Any, axes: Sequence[int], what: str) -> None:
    for a in axes:
        if x.shape[a] == 0:
            raise ValueError(f"cannot take the {what} over axis {a} of size 0")


def _kept(F: Any, g: Any, x: Any, axes: Sequence[int]) -> Any:
    """``g`` (an output-shaped array) reshaped to x's rank with size-1 reduced axes."""
    keep = _keep_shape(x.shape, axes)
    return g if g.shape == keep else F.reshape(g, shape=keep)


def _zero_size_grad(F: Any, x: Any) -> Optional[list]:
    return [F.zeros_like(x)] if x.size == 0 else None


# -- plain reductions --------------------------------------------------------------------------
def _reduction(primitive: str, nonempty: str = "") -> Callable:
    def compute(K, x, axis, keepdims, exclude):
        axes = _axes(x.shape, axis, exclude)
        if nonempty:
            _require_nonempty(x, axes, nonempty)
        return _finish(K, getattr(K, primitive)(x, axes, keepdims))
    return compute


def _mean(K, x, axis, keepdims, exclude):
    axes = _axes(x.shape, axis, exclude)
    count = 1
    for a in axes:
        count *= x.shape[a]
    total = _finish(K, K.sum(x, axes, keepdims))
    return K.divide(total, x.dtype.type(count))


def _nan_filled(K: Any, x: Any, fill: float) -> Any:
    if x.dtype.kind != "f":
        return x
    return K.where(K.isnan(x), K.full((), fill, x.dtype), x)


def _nansum(K, x, axis, keepdims, exclude):
    axes = _axes(x.shape, axis, exclude)
    return _finish(K, K.sum(_nan_filled(K, x, 0), axes, keepdims))


def _nanprod(K, x, axis, keepdims, exclude):
    axes = _axes(x.shape, axis, exclude)
    return _finish(K, K.prod(_nan_filled(K, x, 1), axes, keepdims))


def _reduction_grad(body: Callable) -> Callable:
    """A reduction's gradient from ``body(F, x, g, axes, y) -> dx``: ``g`` is the output
    gradient reshaped to keep the reduced axes, ``y`` the output as returned; a zero-size
    input gets a zero-size gradient."""

    def gradient(F, inputs, outputs, out_grads, axis, keepdims, exclude):
        x = inputs[0]
        zero = _zero_size_grad(F, x)
        if zero:
            return zero
        axes = _axes(x.shape, axis, exclude)
        return [body(F, x, _kept(F, out_grads[0], x, axes), axes, outputs[0])]

    return gradient


@_reduction_grad
def _sum_grad(F, x, g, axes, y):
    return F.broadcast_to(g, shape=x.shape)


@_reduction_grad
def _mean_grad(F, x, g, axes, y):
    count = 1
    for a in axes:
        count *= x.shape[a]
    return F.broadcast_to(g, shape=x.shape) / float(count)


def _product_of_others(F: Any, x: Any, axes: Tuple[int, ...]) -> Any:
    """d prod(x) / dx for every element, exact where x holds zeros (no 0/0)."""
    is_zero = x == 0
    safe = x + is_zero  # zeros replaced by ones
    nonzero_prod = F.prod(safe, axis=axes, keepdims=True)
    zeros = F.sum(is_zero, axis=axes, keepdims=True)
    at_nonzero = (nonzero_prod / safe) * (zeros == 0)
    at_zero = nonzero_prod * (zeros == 1)
    return at_nonzero * (1 - is_zero) + at_zero * is_zero


@_reduction_grad
def _prod_grad(F, x, g, axes, y):
    return g * _product_of_others(F, x, axes)


@_reduction_grad
def _nansum_grad(F, x, g, axes, y):
    return g * (x == x)  # NaN positions get 0


@_reduction_grad
def _nanprod_grad(F, x, g, axes, y):
    present = x == x
    filled = F.where(present, x, F.ones_like(x))
    return g * _product_of_others(F, filled, axes) * present


@_reduction_grad
def _extremum_grad(F, x, g, axes, y):
    return g * (x == _kept(F, y, x, axes))


def _reduce_op(name: str, compute: Callable, gradient: Callable, doc: str,
               aliases: Sequence[str] = ()) -> None:
    register_op(OpDef(name, ("data",), _PARAMS, compute=compute, gradient=gradient,
                      aliases=aliases, area=AREA, doc=doc))


_reduce_op("sum", _reduction("sum"), _sum_grad, "Sum over the given axes.", ("sum_axis",))
_reduce_op("mean", _mean, _mean_grad, "Mean over the given axes.")
_reduce_op("prod", _reduction("prod"), _prod_grad, "Product over the given axes.")
_reduce_op("max", _reduction("max", "max"), _extremum_grad,
           "Maximum over the given axes (NaN propagates).", ("max_axis",))
_reduce_op("min", _reduction("min", "min"), _extremum_grad,
           "Minimum over the given axes (NaN propagates).", ("min_axis",))
_reduce_op("nansum", _nansum, _nansum_grad, "Sum over the given axes, NaN counted as 0.")
_reduce_op("nanprod", _nanprod, _nanprod_grad,
           "Product over the given axes, NaN counted as 1.")


# -- norm -------------------------------------------------------------------------------------
def _to_ord(value: Any) -> int:
    order = to_int(value)
    if order not in (1, 2):
        raise ValueError(f"ord must be 1 or 2, got {order}")
    return order


def _norm(K, x, ord, axis, out_dtype, keepdims):
    axes = _axes(x.shape, axis)
    if ord == 1:
        out = K.sum(K.abs(x), axes, keepdims)
    else:
        # float16 squares overflow early: accumulate in float32
        wide = K.cast(x, np.dtype("float32")) if x.dtype == np.float16 else x
        out = K.sqrt(K.sum(K.square(wide), axes, keepdims))
        if out.dtype != x.dtype:
            out = K.cast(out, x.dtype)
    out = _finish(K, out)
    if out_dtype is not None and out.dtype != out_dtype:
        out = K.cast(out, out_dtype)
    return out


def _norm_grad(F, inputs, outputs, out_grads, ord, axis, out_dtype, keepdims):
    x = inputs[0]
    zero = _zero_size_grad(F, x)
    if zero:
        return zero
    axes = _axes(x.shape, axis)
    g, y = out_grads[0], outputs[0]
    if out_dtype is not None:
        g = F.Cast(g, dtype=x.dtype)
        y = F.Cast(y, dtype=x.dtype)
    g = _kept(F, g, x, axes)
    if ord == 1:
        return [g * F.sign(x)]
    y = _kept(F, y, x, axes)
    return [g * x / (y + (y == 0))]  # 0 (not NaN) where the norm is 0


register_op(OpDef(
    "norm", ("data",),
    (Param("ord", _to_ord, 2, "1 (sum of |x|) or 2 (Euclidean)"), _AXIS,
     Param("out_dtype", to_dtype, None, "dtype of the result (default: input dtype)"),
     _KEEPDIMS),
    compute=_norm, gradient=_norm_grad, area=AREA,
    doc="L1 or L2 norm over the given axes (all elements by default). The gradient of the "
        "L2 norm is 0 where the norm is 0 (MXNet gives NaN there)."))


# -- argmax / argmin ------------------------------------------------------------------------------
def _arg_reduction(primitive: str) -> Callable:
    what = primitive

    def compute(K, x, axis, keepdims):
        if axis is None:
            if x.size == 0:
                raise ValueError(f"cannot take the {what} of an empty array")
            out = getattr(K, primitive)(K.reshape(x, (x.size,)), 0, False)
            out = K.reshape(out, (1,) * x.ndim if keepdims and x.ndim else (1,))
        else:
            ax = normalize_axis(axis, x.ndim)
            _require_nonempty(x, (ax,), what)
            out = _finish(K, getattr(K, primitive)(x, ax, keepdims))
        return K.cast(out, x.dtype)
    return compute


_ARG_PARAMS = (Param("axis", to_int_or_none, None, "axis to search; None: the flattened "
                     "input"), _KEEPDIMS)
register_op(OpDef("argmax", ("data",), _ARG_PARAMS, compute=_arg_reduction("argmax"),
                  area=AREA, doc="Index of the maximum, as a float in the input dtype."))
register_op(OpDef("argmin", ("data",), _ARG_PARAMS, compute=_arg_reduction("argmin"),
                  area=AREA, doc="Index of the minimum, as a float in the input dtype."))


def _argmax_channel(K, x):
    if x.ndim == 0:
        raise ValueError("input must have at least one axis")
    _require_nonempty(x, (x.ndim - 1,), "argmax")
    return K.cast(_finish(K, K.argmax(x, x.ndim - 1, False)), x.dtype)


register_op(OpDef("argmax_channel", ("data",), compute=_argmax_channel, area=AREA,
                  doc="Index of the maximum along the last axis, as a float in the input "
                      "dtype."))
