"""Slicing and other data movement: slice (and its adjoint _slice_assign), slice_axis,
slice_like, tile, repeat, reverse, Pad and diag.

Part of the ``shape`` area (cases in ``mxcore/conformance/cases_shape.py``); index arithmetic
is kept in pure functions (``slice_key``, ``pad_pairs`` ...) for Symbol shape inference.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ._helpers import normalize_axes, normalize_axis
from ._helpers import prod as _prod
from .registry import (
    OpDef,
    Param,
    one_of,
    register_op,
    to_any,
    to_float,
    to_int,
    to_int_or_none,
    to_shape,
)

AREA = "shape"
Shape = Tuple[int, ...]
_INT64 = np.dtype("int64")


# -- slice, slice_axis, slice_like, _slice_assign -------------------------------------------------
def to_opt_ints(value: Any) -> Tuple[Optional[int], ...]:
    """A tuple whose entries are ints or None (MXNet's ``begin``/``end``/``step``)."""
    value = to_any(value)
    if value is None:
        return ()
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"expected a tuple of ints or None, got {value!r}")
    return tuple(None if v is None or v == "None" else to_int(v) for v in value)


def slice_key(shape: Shape, begin: Sequence[Optional[int]], end: Sequence[Optional[int]],
              step: Sequence[Optional[int]] = ()) -> Tuple[slice, ...]:
    """The basic-indexing key of MXNet's ``slice``; ValueError for bad parameters."""
    if len(begin) != len(end):
        raise ValueError(f"begin {tuple(begin)} and end {tuple(end)} differ in length")
    if len(begin) > len(shape):
        raise ValueError(f"begin {tuple(begin)} has more entries than the {len(shape)} axes")
    if step and len(step) != len(begin):
        raise ValueError(f"step {tuple(step)} and begin {tuple(begin)} differ in length")
    key = []
    for i in range(len(begin)):
        s = step[i] if step else None
        if s == 0:
            raise ValueError(f"step[{i}] must not be 0")
        key.append(slice(begin[i], end[i], s))
    return tuple(key)


def sliced_shape(shape: Shape, key: Sequence[slice]) -> Shape:
    out = [len(range(*k.indices(d))) for k, d in zip(key, shape)]
    return tuple(out) + tuple(shape[len(key):])


_SLICE_PARAMS = (
    Param("begin", to_opt_ints, doc="start per axis (None = from the edge)"),
    Param("end", to_opt_ints, doc="stop per axis (None = to the edge)"),
    Param("step", to_opt_ints, (), "step per axis (None = 1)"),
)


def _slice_grad(F, inputs, outputs, out_grads, begin, end, step):
    return [F._slice_assign(F.zeros_like(inputs[0]), out_grads[0], begin=begin, end=end,
                            step=step)]


register_op(OpDef(
    "slice", ("data",), _SLICE_PARAMS,
    compute=lambda K, x, begin, end, step: K.slice(x, slice_key(x.shape, begin, end, step)),
    gradient=_slice_grad, may_alias=True, aliases=("crop",), area=AREA,
    doc="Basic slicing: data[begin:end:step] per axis."))


def _slice_assign(K, lhs, rhs, begin, end, step):
    key = slice_key(lhs.shape, begin, end, step)
    want = sliced_shape(lhs.shape, key)
    if tuple(rhs.shape) != want:
        raise ValueError(f"rhs of shape {tuple(rhs.shape)} does not match the slice shape "
                         f"{want}")
    out = K.copy(lhs)
    K.setitem(out, key, rhs)
    return out


def _slice_assign_grad(F, inputs, outputs, out_grads, begin, end, step):
    og = out_grads[0]
    return [F._slice_assign_scalar(og, scalar=0.0, begin=begin, end=end, step=step),
            F.slice(og, begin=begin, end=end, step=step)]


register_op(OpDef(
    "_slice_assign", ("lhs", "rhs"), _SLICE_PARAMS, compute=_slice_assign,
    gradient=_slice_assign_grad, aliases=("_crop_assign",), area=AREA,
    doc="A copy of lhs with lhs[begin:end:step] replaced by rhs."))


def _slice_assign_scalar(K, x, scalar, begin, end, step):
    out = K.copy(x)
    K.setitem(out, slice_key(x.shape, begin, end, step), x.dtype.type(scalar))
    return out


register_op(OpDef(
    "_slice_assign_scalar", ("data",), (Param("scalar", to_float, 0.0),) + _SLICE_PARAMS,
    compute=_slice_assign_scalar,
    gradient=lambda F, inputs, outputs, out_grads, scalar, begin, end, step: [
        F._slice_assign_scalar(out_grads[0], scalar=0.0, begin=begin, end=end, step=step)],
    aliases=("_crop_assign_scalar",), area=AREA,
    doc="A copy of data with data[begin:end:step] set to scalar."))


def slice_axis_bounds(size: int, begin: int, end: Optional[int]) -> Tuple[int, int]:
    """MXNet's slice_axis range check: negative values count from the end."""
    b = begin + size if begin < 0 else begin
    e = size if end is None else (end + size if end < 0 else end)
    if not 0 <= b <= e <= size:
        raise ValueError(f"begin={begin}, end={end} is not a valid range for an axis of "
                         f"size {size}")
    return b, e


def _axis_slice_params(ndim: int, axis: int, begin: int, end: Optional[int], size: int):
    a = normalize_axis(axis, ndim)
    b, e = slice_axis_bounds(size, begin, end)
    return (None,) * a + (b,), (None,) * a + (e,)


def _slice_axis(K, x, axis, begin, end):
    a = normalize_axis(axis, x.ndim)
    b, e = slice_axis_bounds(x.shape[a], begin, end)
    return K.slice(x, (slice(None),) * a + (slice(b, e),))


def _slice_axis_grad(F, inputs, outputs, out_grads, axis, begin, end):
    x = inputs[0]
    a = normalize_axis(axis, x.ndim)
    b, e = _axis_slice_params(x.ndim, axis, begin, end, x.shape[a])
    return [F._slice_assign(F.zeros_like(x), out_grads[0], begin=b, end=e)]


register_op(OpDef(
    "slice_axis", ("data",), (
        Param("axis", to_int), Param("begin", to_int), Param("end", to_int_or_none)),
    compute=_slice_axis, gradient=_slice_axis_grad, may_alias=True, area=AREA,
    doc="data[begin:end] along one axis."))


def slice_like_shape(shape: Shape, like: Shape, axes: Sequence[int]) -> Shape:
    """Output shape of ``slice_like``."""
    if not axes:
        if len(shape) != len(like):
            raise ValueError(f"shapes {tuple(shape)} and {tuple(like)} differ in rank; "
                             "give axes")
        axes = range(len(shape))
    out = list(shape)
    for axis in axes:
        a = normalize_axis(axis, len(shape))
        if a >= len(like):
            raise ValueError(f"axis {axis} is out of range for shape_like {tuple(like)}")
        if like[a] > shape[a]:
            raise ValueError(f"shape_like {tuple(like)} is larger than data {tuple(shape)} "
                             f"on axis {a}")
        out[a] = like[a]
    return tuple(out)


def _slice_like(K, x, like, axes):
    out = slice_like_shape(x.shape, like.shape, axes)
    return K.slice(x, tuple(slice(0, d) for d in out))


def _slice_like_grad(F, inputs, outputs, out_grads, axes):
    x, like = inputs
    out = slice_like_shape(x.shape, like.shape, axes)
    g = F._slice_assign(F.zeros_like(x), out_grads[0], begin=(0,) * len(out), end=out)
    return [g, F.zeros_like(like)]


register_op(OpDef(
    "slice_like", ("data", "shape_like"), (Param("axes", to_shape, (), "() = all axes"),),
    compute=_slice_like, gradient=_slice_like_grad, may_alias=True, area=AREA,
    doc="Slice data from the start to the shape of shape_like (on the given axes)."))


# -- tile, repeat, reverse ------------------------------------------------------------------------
def _interleave(a: Sequence[int], b: Sequence[int]) -> Shape:
    return tuple(v for pair in zip(a, b) for v in pair)


def tile_shapes(shape: Shape, reps: Sequence[int]) -> Tuple[Shape, Shape]:
    """(input padded to the common rank, reps padded to it), as NumPy's tile."""
    if any(r < 0 for r in reps):
        raise ValueError(f"reps {tuple(reps)} must be non-negative")
    nd = max(len(shape), len(reps))
    return ((1,) * (nd - len(shape)) + tuple(shape), (1,) * (nd - len(reps)) + tuple(reps))


def _tile(K, x, reps):
    shape, reps = tile_shapes(x.shape, reps)
    ones = (1,) * len(shape)
    wide = K.broadcast_to(K.reshape(x, _interleave(ones, shape)), _interleave(reps, shape))
    return K.reshape(wide, tuple(r * d for r, d in zip(reps, shape)))


def _tile_grad(F, inputs, outputs, out_grads, reps):
    x, og = inputs[0], out_grads[0]
    if og.size == 0 or x.size == 0:
        return [F.zeros_like(x)]
    shape, reps = tile_shapes(x.shape, reps)
    wide = F.reshape(og, shape=_interleave(reps, shape))
    summed = F.sum(wide, axis=tuple(range(0, 2 * len(shape), 2)))
    return [F.reshape_like(summed, x)]


register_op(OpDef(
    "tile", ("data",), (Param("reps", to_shape, doc="repetitions per axis"),),
    compute=_tile, gradient=_tile_grad, area=AREA, doc="Repeat the whole array (np.tile)."))


def _repeat_layout(shape: Shape, repeats: int, axis: Optional[int]):
    """(input shape to use, axis, shape with a repeat axis after ``axis``)."""
    if repeats < 0:
        raise ValueError(f"repeats must be >= 0, got {repeats}")
    if axis is None:
        shape, a = (_prod(shape),), 0
    else:
        a = normalize_axis(axis, len(shape))
    return shape, a, tuple(shape[:a + 1]) + (repeats,) + tuple(shape[a + 1:])


def _repeat(K, x, repeats, axis):
    shape, a, wide = _repeat_layout(x.shape, repeats, axis)
    ones = tuple(shape[:a + 1]) + (1,) + tuple(shape[a + 1:])
    out = K.broadcast_to(K.reshape(x, ones), wide)
    return K.reshape(out, tuple(shape[:a]) + (shape[a] * repeats,) + tuple(shape[a + 1:]))


def _repeat_grad(F, inputs, outputs, out_grads, repeats, axis):
    x, og = inputs[0], out_grads[0]
    if og.size == 0 or x.size == 0:
        return [F.zeros_like(x)]
    _, a, wide = _repeat_layout(x.shape, repeats, axis)
    return [F.reshape_like(F.sum(F.reshape(og, shape=wide), axis=a + 1), x)]


register_op(OpDef(
    "repeat", ("data",), (Param("repeats", to_int), Param("axis", to_int_or_none, None)),
    compute=_repeat, gradient=_repeat_grad, area=AREA,
    doc="Repeat each element (along ``axis``, or of the flattened array)."))


register_op(OpDef(
    "reverse", ("data",), (Param("axis", to_shape, doc="axes to reverse"),),
    compute=lambda K, x, axis: K.flip(x, normalize_axes(axis, x.ndim)),
    gradient=lambda F, inputs, outputs, out_grads, axis: [F.reverse(out_grads[0], axis=axis)],
    may_alias=True, aliases=("flip",), area=AREA, doc="Reverse the order along axes."))


# -- pad ------------------------------------------------------------------------------------------
def pad_pairs(shape: Shape, pad_width: Sequence[int], mode: str) -> Tuple[Tuple[int, int], ...]:
    """MXNet's flat ``pad_width`` as ((before, after), ...) per axis, validated."""
    if len(pad_width) != 2 * len(shape):
        raise ValueError(f"pad_width {tuple(pad_width)} must have 2*ndim = {2 * len(shape)} "
                         "entries")
    pairs = tuple((pad_width[2 * i], pad_width[2 * i + 1]) for i in range(len(shape)))
    for d, (b, a) in zip(shape, pairs):
        if b < 0 or a < 0:
            raise ValueError(f"pad_width {tuple(pad_width)} must be non-negative")
        if mode != "constant" and d == 0 and (a or b):
            raise ValueError(f"mode {mode!r} cannot pad an axis of size 0")
    return pairs


def _pad(K, x, mode, pad_width, constant_value):
    pairs = pad_pairs(x.shape, pad_width, mode)
    return K.pad(x, pairs, mode, x.dtype.type(constant_value))


def _source_index(K, n: int, before: int, after: int, mode: str):
    """For each padded position along an axis, the input position it copies (int64)."""
    rel = K.arange(-before, n + after, 1, _INT64)
    if mode == "edge" or n == 1:
        return K.minimum(K.maximum(rel, _INT64.type(0)), _INT64.type(n - 1))
    period = _INT64.type(2 * (n - 1))
    m = K.mod(rel, period)
    return K.where(K.greater_equal(m, _INT64.type(n)), K.subtract(period, m), m)


def _backward_pad(K, g, mode, pad_width):
    nd = g.ndim
    pairs = tuple((pad_width[2 * i], pad_width[2 * i + 1]) for i in range(nd))
    if mode == "constant":
        return K.copy(K.slice(g, tuple(slice(b, g.shape[i] - a)
                                       for i, (b, a) in enumerate(pairs))))
    for axis, (b, a) in enumerate(pairs):
        if not (b or a):
            continue
        n = g.shape[axis] - b - a
        shape = g.shape[:axis] + (n,) + g.shape[axis + 1:]
        g = K.scatter_add(K.full(shape, 0, g.dtype), axis, _source_index(K, n, b, a, mode), g)
    return g


_PAD_PARAMS = (
    Param("mode", one_of("constant", "edge", "reflect"), "constant"),
    Param("pad_width", to_shape, doc="(before_0, after_0, before_1, after_1, ...)"),
)


def _pad_grad(F, inputs, outputs, out_grads, mode, pad_width, constant_value):
    return [F._backward_pad(out_grads[0], mode=mode, pad_width=pad_width)]


register_op(OpDef(
    "Pad", ("data",), _PAD_PARAMS + (Param("constant_value", to_float, 0.0),),
    compute=_pad, gradient=_pad_grad, aliases=("pad",), area=AREA,
    doc="Pad with a constant, the edge values or a reflection (any rank)."))
register_op(OpDef(
    "_backward_pad", ("data",), _PAD_PARAMS, compute=_backward_pad,
    gradient=lambda F, inputs, outputs, out_grads, mode, pad_width: [
        F.pad(out_grads[0], mode=mode, pad_width=pad_width)],
    area=AREA, doc="Adjoint of Pad: sum the padded gradient back onto the input."))


# -- diag -----------------------------------------------------------------------------------------
def diag_length(d1: int, d2: int, k: int) -> int:
    """Length of diagonal ``k`` of a (d1, d2) matrix."""
    return max(0, min(d1, d2 - k) if k >= 0 else min(d1 + k, d2))


def _diag_axes(ndim: int, axis1: int, axis2: int) -> Tuple[int, int, list]:
    a1, a2 = normalize_axis(axis1, ndim), normalize_axis(axis2, ndim)
    if a1 == a2:
        raise ValueError(f"axis1 and axis2 must differ, got {axis1} and {axis2}")
    return a1, a2, [i for i in range(ndim) if i not in (a1, a2)]


def _diag_flat(K, d1: int, d2: int, k: int):
    i = K.arange(0, diag_length(d1, d2, k), 1, _INT64)
    rows = K.add(i, _INT64.type(max(0, -k)))
    return K.add(K.multiply(rows, _INT64.type(d2)), K.add(i, _INT64.type(max(0, k))))


def _place_diag(K, g, k: int, d1: int, d2: int):
    """Zeros of shape lead + (d1, d2) with g (lead + (L,)) on diagonal k."""
    lead = tuple(g.shape[:-1])
    out = K.scatter_add(K.full(lead + (d1 * d2,), 0, g.dtype), len(lead),
                        _diag_flat(K, d1, d2, k), g)
    return K.reshape(out, lead + (d1, d2))


def _diag(K, x, k, axis1, axis2):
    if x.ndim == 0:
        raise ValueError("diag needs an input with at least 1 dimension")
    if x.ndim == 1:
        m = x.shape[0] + abs(k)
        return _place_diag(K, x, k, m, m)
    a1, a2, others = _diag_axes(x.ndim, axis1, axis2)
    xt = K.transpose(x, tuple(others) + (a1, a2))
    lead = tuple(xt.shape[:-2])
    d1, d2 = x.shape[a1], x.shape[a2]
    return K.take(K.reshape(xt, lead + (d1 * d2,)), _diag_flat(K, d1, d2, k), len(lead))


def _diag_grad(F, inputs, outputs, out_grads, k, axis1, axis2):
    x = inputs[0]
    if x.ndim == 1:
        return [F.diag(out_grads[0], k=k)]
    a1, a2, _ = _diag_axes(x.ndim, axis1, axis2)
    return [F._backward_diag(out_grads[0], k=k, axis1=axis1, axis2=axis2,
                             dim1=x.shape[a1], dim2=x.shape[a2])]


_DIAG_PARAMS = (Param("k", to_int, 0, "diagonal offset (> 0 above, < 0 below)"),
                Param("axis1", to_int, 0), Param("axis2", to_int, 1))

register_op(OpDef(
    "diag", ("data",), _DIAG_PARAMS, compute=_diag, gradient=_diag_grad, area=AREA,
    doc="1-D input: a matrix with it on diagonal k. N-D input: diagonal k of the "
        "(axis1, axis2) planes, as a new last axis."))


def _backward_diag(K, g, k, axis1, axis2, dim1, dim2):
    ndim = g.ndim + 1
    a1, a2, others = _diag_axes(ndim, axis1, axis2)
    if g.shape[-1] != diag_length(dim1, dim2, k):
        raise ValueError(f"last axis {g.shape[-1]} is not the length of diagonal {k} of a "
                         f"({dim1}, {dim2}) matrix")
    out = _place_diag(K, g, k, dim1, dim2)
    perm = list(others) + [a1, a2]
    inverse = [perm.index(i) for i in range(ndim)]
    return K.copy(K.transpose(out, tuple(inverse)))


register_op(OpDef(
    "_backward_diag", ("data",), _DIAG_PARAMS + (Param("dim1", to_int), Param("dim2", to_int)),
    compute=_backward_diag,
    gradient=lambda F, inputs, outputs, out_grads, k, axis1, axis2, dim1, dim2: [
        F.diag(out_grads[0], k=k, axis1=axis1, axis2=axis2)],
    area=AREA, doc="Adjoint of N-D diag: put the diagonals back into zero planes."))
