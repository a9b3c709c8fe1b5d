"""Shape operators: Reshape (MXNet's special codes), reshape_like, transpose, expand_dims,
squeeze, Flatten, concat/stack/split and the broadcast_* family. Slicing, tile, repeat,
reverse and Pad live in :mod:`mxcore.ops.slicing` (same area).

Shape arithmetic lives in pure functions (``reshape_shape``, ``concat_shape`` ...) so that
Symbol shape inference can reuse them without arrays.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ._helpers import normalize_axes, normalize_axis, unbroadcast
from ._helpers import prod as _prod
from .registry import (
    OpDef,
    Param,
    register_op,
    to_axis,
    to_bool,
    to_int,
    to_int_or_none,
    to_shape,
)

AREA = "shape"
Shape = Tuple[int, ...]
_INT64 = np.dtype("int64")


# -- Reshape --------------------------------------------------------------------------------------
def _infer_one(out: List[int], infer_at: Optional[int], total: int, src: Shape,
               codes: Sequence[int]) -> None:
    if infer_at is None:
        return
    known = _prod(d for i, d in enumerate(out) if i != infer_at)
    if known == 0:
        raise ValueError(f"cannot infer the -1 dimension of shape {tuple(codes)} for input "
                         f"{src}: the other dimensions have size 0")
    if total % known:
        raise ValueError(f"cannot reshape {src} into {tuple(codes)}: size {total} is not "
                         f"divisible by {known}")
    out[infer_at] = total // known


def _split_dim(d: int, a: int, b: int, src: Shape, codes: Sequence[int]) -> Tuple[int, int]:
    if a == -1 and b == -1:
        raise ValueError(f"-4 in shape {tuple(codes)} is followed by two -1")
    if a == -1:
        a = d // b if b else 0
    elif b == -1:
        b = d // a if a else 0
    if a < 0 or b < 0 or a * b != d:
        raise ValueError(f"-4 in shape {tuple(codes)} cannot split dimension {d} of {src} "
                         f"into ({a}, {b})")
    return a, b


def reshape_shape(src: Shape, shape: Sequence[int], reverse: bool = False) -> Shape:
    """The output shape of MXNet's ``Reshape(shape=..., reverse=...)`` for input ``src``.

    Codes: ``0`` copies a dimension, ``-1`` infers one, ``-2`` copies all remaining ones,
    ``-3`` merges two, ``-4 a b`` splits one into ``a*b`` (one of them may be -1).
    With ``reverse`` the codes are matched from the right. Raises ValueError.
    """
    src = tuple(src)
    dims = list(src[::-1] if reverse else src)
    codes = list(shape)[::-1] if reverse else list(shape)
    out: List[int] = []
    infer_at: Optional[int] = None
    pos = 0  # next input dimension
    i = 0

    def take(n: int, code: int) -> List[int]:
        if pos + n > len(dims):
            raise ValueError(f"code {code} in shape {tuple(shape)} has no input dimension "
                             f"left in {src}")
        return dims[pos:pos + n]

    while i < len(codes):
        code = codes[i]
        if code > 0:
            out.append(code)
            pos += 1
        elif code == 0:
            out.append(take(1, code)[0])
            pos += 1
        elif code == -1:
            if infer_at is not None:
                raise ValueError(f"shape {tuple(shape)} has more than one -1")
            infer_at = len(out)
            out.append(1)
            pos += 1
        elif code == -2:
            out.extend(dims[pos:])
            pos = len(dims)
        elif code == -3:
            a, b = take(2, code)
            out.append(a * b)
            pos += 2
        elif code == -4:
            if i + 2 >= len(codes):
                raise ValueError(f"-4 in shape {tuple(shape)} must be followed by two values")
            d = take(1, code)[0]
            out.extend(_split_dim(d, codes[i + 1], codes[i + 2], src, shape))
            pos += 1
            i += 2
        else:
            raise ValueError(f"invalid code {code} in shape {tuple(shape)}")
        i += 1
    total = _prod(src)
    _infer_one(out, infer_at, total, src, shape)
    if reverse:
        out.reverse()
    if _prod(out) != total:
        raise ValueError(f"cannot reshape array of shape {src} (size {total}) into shape "
                         f"{tuple(shape)} (size {_prod(out)})")
    return tuple(out)


def _legacy_target_shape(src: Shape, target: Shape, keep_highest: bool) -> Shape:
    """The deprecated ``target_shape`` form: 0 marks the one inferred dimension."""
    codes = [(-1 if d == 0 else d) for d in target]
    if keep_highest:
        codes = [src[0] if src else 1] + codes
    return reshape_shape(src, codes)


def reshape_params_shape(src: Shape, shape: Sequence[int], reverse: bool,
                         target_shape: Sequence[int] = (), keep_highest: bool = False
                         ) -> Shape:
    """Output shape of ``Reshape`` from all its parameters (new and legacy forms)."""
    if len(shape) == 0 and len(target_shape):
        return _legacy_target_shape(tuple(src), tuple(target_shape), keep_highest)
    if len(shape) == 0:
        raise ValueError("parameter 'shape' is required")
    return reshape_shape(src, shape, reverse)


def _reshape(K, x, shape, reverse, target_shape, keep_highest):
    return K.reshape(x, reshape_params_shape(x.shape, shape, reverse, target_shape,
                                             keep_highest))


def _reshape_grad(F, inputs, outputs, out_grads, **attrs):
    return [F.reshape_like(out_grads[0], inputs[0])]


register_op(OpDef(
    "Reshape", ("data",), (
        Param("shape", to_shape, (), "target shape with MXNet's codes 0, -1, -2, -3, -4"),
        Param("reverse", to_bool, False, "match the special codes from the right"),
        Param("target_shape", to_shape, (), "deprecated: target shape, 0 = infer"),
        Param("keep_highest", to_bool, False, "deprecated: keep the first dimension"),
    ), compute=_reshape, gradient=_reshape_grad, may_alias=True, aliases=("reshape",),
    area=AREA, doc="Give the array a new shape without changing its data."))


def _span(begin: Optional[int], end: Optional[int], ndim: int, which: str) -> Tuple[int, int]:
    b = 0 if begin is None else begin
    e = ndim if end is None else end
    if b < 0:
        b += ndim
    if e < 0:
        e += ndim
    if not (0 <= b <= e <= ndim):
        raise ValueError(f"{which}_begin/{which}_end ({begin}, {end}) are out of range for "
                         f"{ndim}-d input")
    return b, e


def reshape_like_shape(lhs: Shape, rhs: Shape, lhs_begin: Optional[int] = None,
                       lhs_end: Optional[int] = None, rhs_begin: Optional[int] = None,
                       rhs_end: Optional[int] = None) -> Shape:
    """Output shape of ``reshape_like``: lhs[lb:le] replaced by rhs[rb:re]."""
    lb, le = _span(lhs_begin, lhs_end, len(lhs), "lhs")
    rb, re_ = _span(rhs_begin, rhs_end, len(rhs), "rhs")
    out = tuple(lhs[:lb]) + tuple(rhs[rb:re_]) + tuple(lhs[le:])
    if _prod(out) != _prod(lhs):
        raise ValueError(f"cannot reshape {tuple(lhs)} like {tuple(rhs)}: sizes differ")
    return out


def _reshape_like(K, lhs, rhs, lhs_begin, lhs_end, rhs_begin, rhs_end):
    return K.reshape(lhs, reshape_like_shape(lhs.shape, rhs.shape, lhs_begin, lhs_end,
                                             rhs_begin, rhs_end))


def _reshape_like_grad(F, inputs, outputs, out_grads, **attrs):
    return [F.reshape_like(out_grads[0], inputs[0]), F.zeros_like(inputs[1])]


register_op(OpDef(
    "reshape_like", ("lhs", "rhs"), (
        Param("lhs_begin", to_int_or_none, None), Param("lhs_end", to_int_or_none, None),
        Param("rhs_begin", to_int_or_none, None), Param("rhs_end", to_int_or_none, None),
    ), compute=_reshape_like, gradient=_reshape_like_grad, may_alias=True, area=AREA,
    doc="Reshape lhs to the shape of rhs (or of the given axis ranges)."))


def _same_shape_grad(F, inputs, outputs, out_grads, **attrs):
    """Gradient of a pure reshape (expand_dims, squeeze, Flatten ...)."""
    return [F.reshape_like(out_grads[0], inputs[0])]


# -- transpose, swapaxes --------------------------------------------------------------------------
def transpose_axes(ndim: int, axes: Sequence[int]) -> Shape:
    """The permutation ``transpose(axes=...)`` applies; ``()`` reverses the axes."""
    if not axes:
        return tuple(range(ndim - 1, -1, -1))
    if len(axes) != ndim:
        raise ValueError(f"axes {tuple(axes)} must list all {ndim} axes")
    perm = tuple(normalize_axis(a, ndim) for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"axes {tuple(axes)} is not a permutation of {ndim} axes")
    return perm


def _transpose_grad(F, inputs, outputs, out_grads, axes):
    perm = transpose_axes(inputs[0].ndim, axes)
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return [F.transpose(out_grads[0], axes=tuple(inverse))]


register_op(OpDef(
    "transpose", ("data",), (Param("axes", to_shape, (), "permutation; () reverses"),),
    compute=lambda K, x, axes: K.transpose(x, transpose_axes(x.ndim, axes)),
    gradient=_transpose_grad, may_alias=True, area=AREA, doc="Permute the axes."))


def _swap_perm(ndim: int, dim1: int, dim2: int) -> List[int]:
    perm = list(range(ndim))
    a, b = normalize_axis(dim1, ndim), normalize_axis(dim2, ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return perm


register_op(OpDef(
    "SwapAxis", ("data",), (Param("dim1", to_int, 0), Param("dim2", to_int, 0)),
    compute=lambda K, x, dim1, dim2: K.transpose(x, tuple(_swap_perm(x.ndim, dim1, dim2))),
    gradient=lambda F, inputs, outputs, out_grads, dim1, dim2: [
        F.swapaxes(out_grads[0], dim1=dim1, dim2=dim2)],
    may_alias=True, aliases=("swapaxes",), area=AREA, doc="Interchange two axes."))


# -- expand_dims, squeeze, Flatten ----------------------------------------------------------------
def expand_dims_shape(shape: Shape, axis: int) -> Shape:
    a = normalize_axis(axis, len(shape) + 1)
    return tuple(shape[:a]) + (1,) + tuple(shape[a:])


register_op(OpDef(
    "expand_dims", ("data",), (Param("axis", to_int, doc="position of the new axis"),),
    compute=lambda K, x, axis: K.reshape(x, expand_dims_shape(x.shape, axis)),
    gradient=_same_shape_grad, may_alias=True, area=AREA,
    doc="Insert an axis of size 1."))


def squeeze_shape(shape: Shape, axis: Any = None) -> Shape:
    """Drop size-1 axes (all, or the given ones); MXNet keeps ``(1,)`` instead of 0-d."""
    if axis is None:
        out = tuple(d for d in shape if d != 1)
    else:
        axes = normalize_axes(axis, len(shape))
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"cannot squeeze axis {a} of size {shape[a]}")
        out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return out if out or not shape else (1,)


register_op(OpDef(
    "squeeze", ("data",), (Param("axis", to_axis, None, "axes to drop; None = all size-1"),),
    compute=lambda K, x, axis: K.reshape(x, squeeze_shape(x.shape, axis)),
    gradient=_same_shape_grad, may_alias=True, area=AREA, doc="Remove axes of size 1."))


def flatten_shape(shape: Shape) -> Shape:
    if not shape:
        return (1, 1)
    return (shape[0], _prod(shape[1:]))


register_op(OpDef(
    "Flatten", ("data",), compute=lambda K, x: K.reshape(x, flatten_shape(x.shape)),
    gradient=_same_shape_grad, may_alias=True, aliases=("flatten",), area=AREA,
    doc="Collapse all axes but the first: (d1, d2, ..., dk) -> (d1, d2*...*dk)."))


# -- concat, stack, split -------------------------------------------------------------------------
def concat_shape(shapes: Sequence[Shape], dim: int) -> Shape:
    """Output shape of ``concat``; ValueError when the inputs do not fit together."""
    if not shapes:
        raise ValueError("needs at least one input")
    first = tuple(shapes[0])
    ndim = len(first)
    if ndim == 0:
        raise ValueError("cannot concatenate 0-d arrays")
    axis = normalize_axis(dim, ndim)
    total = 0
    for s in shapes:
        s = tuple(s)
        if len(s) != ndim or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:]:
            raise ValueError(f"input shapes must match except on axis {axis}")
        total += s[axis]
    return first[:axis] + (total,) + first[axis + 1:]


def _check_concat(shapes, dtypes, dim, num_args):
    if num_args and num_args != len(shapes):
        raise ValueError(f"num_args={num_args} but {len(shapes)} inputs were given")
    concat_shape(shapes, dim)
    if len(set(dtypes)) > 1:
        raise TypeError("inputs must share one dtype")


def _concat_grad(F, inputs, outputs, out_grads, dim, num_args):
    axis = normalize_axis(dim, inputs[0].ndim)
    grads = []
    start = 0
    for x in inputs:
        n = x.shape[axis]
        grads.append(F.slice_axis(out_grads[0], axis=axis, begin=start, end=start + n))
        start += n
    return grads


_NUM_ARGS = Param("num_args", to_int, 0, "number of inputs (taken from the call)")

register_op(OpDef(
    "Concat", ("data",), (Param("dim", to_int, 1, "axis to join along"), _NUM_ARGS),
    compute=lambda K, *xs, dim, num_args: K.concat(list(xs), normalize_axis(dim, xs[0].ndim)),
    gradient=_concat_grad, check=_check_concat, variadic=True,
    aliases=("concat", "_rnn_param_concat"),
    area=AREA, doc="Join arrays along an existing axis (_rnn_param_concat: the name MXNet's "
                   "exported recurrent layers use to join their flattened weights)."))


def _check_stack(shapes, dtypes, axis, num_args):
    if num_args and num_args != len(shapes):
        raise ValueError(f"num_args={num_args} but {len(shapes)} inputs were given")
    if not shapes:
        raise ValueError("needs at least one input")
    if any(tuple(s) != tuple(shapes[0]) for s in shapes):
        raise ValueError("all inputs must have the same shape")
    normalize_axis(axis, len(shapes[0]) + 1)
    if len(set(dtypes)) > 1:
        raise TypeError("inputs must share one dtype")


def _stack(K, *xs, axis, num_args):
    shape = expand_dims_shape(xs[0].shape, axis)
    return K.concat([K.reshape(x, shape) for x in xs], normalize_axis(axis, xs[0].ndim + 1))


def _stack_grad(F, inputs, outputs, out_grads, axis, num_args):
    a = normalize_axis(axis, inputs[0].ndim + 1)
    parts = F.split(out_grads[0], num_outputs=len(inputs), axis=a)
    parts = [parts] if len(inputs) == 1 else parts
    return [F.reshape_like(p, x) for p, x in zip(parts, inputs)]


register_op(OpDef(
    "stack", ("data",), (Param("axis", to_int, 0, "position of the new axis"), _NUM_ARGS),
    compute=_stack, gradient=_stack_grad, check=_check_stack, variadic=True, area=AREA,
    doc="Join arrays of one shape along a new axis."))


def split_shapes(shape: Shape, num_outputs: int, axis: int, squeeze_axis: bool
                 ) -> List[Shape]:
    """Output shapes of ``split``; ValueError when the axis does not divide evenly."""
    a = normalize_axis(axis, len(shape))
    if num_outputs < 1:
        raise ValueError(f"num_outputs must be >= 1, got {num_outputs}")
    if shape[a] % num_outputs:
        raise ValueError(f"axis {a} of size {shape[a]} does not split into {num_outputs} "
                         "equal parts")
    n = shape[a] // num_outputs
    if squeeze_axis and n != 1:
        raise ValueError(f"squeeze_axis needs parts of size 1 on axis {a}, got {n}")
    piece = shape[:a] + (n,) + shape[a + 1:]
    if squeeze_axis:
        piece = squeeze_shape(piece, a)
    return [piece] * num_outputs


def _split(K, x, num_outputs, axis, squeeze_axis):
    shapes = split_shapes(x.shape, num_outputs, axis, squeeze_axis)
    a = normalize_axis(axis, x.ndim)
    n = x.shape[a] // num_outputs
    lead = (slice(None),) * a
    out = []
    for i in range(num_outputs):
        out.append(K.reshape(K.slice(x, lead + (slice(i * n, (i + 1) * n),)), shapes[i]))
    return out[0] if num_outputs == 1 else out


def _split_grad(F, inputs, outputs, out_grads, num_outputs, axis, squeeze_axis):
    x = inputs[0]
    a = normalize_axis(axis, x.ndim)
    grads = out_grads
    if squeeze_axis:
        grads = [F.expand_dims(g, axis=a) if g.ndim == x.ndim - 1 else
                 F.reshape(g, shape=x.shape[:a] + (1,) + x.shape[a + 1:]) for g in grads]
    if num_outputs == 1:
        return [F.reshape_like(grads[0], x)]
    return [F.concat(*grads, dim=a)]


register_op(OpDef(
    "SliceChannel", ("data",), (
        Param("num_outputs", to_int, doc="number of equal parts"),
        Param("axis", to_int, 1, "axis to split"),
        Param("squeeze_axis", to_bool, False, "drop the split axis (parts must have size 1)"),
    ), compute=_split, gradient=_split_grad, num_outputs=lambda attrs: attrs["num_outputs"],
    may_alias=True, aliases=("split",), area=AREA,
    doc="Split an array into equal parts along an axis."))


# -- broadcast_to, broadcast_axis, broadcast_like -------------------------------------------------
def _check_broadcastable(src: Shape, target: Shape) -> Shape:
    lead = len(target) - len(src)
    if lead < 0:
        raise ValueError(f"cannot broadcast {tuple(src)} to fewer axes {tuple(target)}")
    for i, d in enumerate(src):
        if d != 1 and d != target[lead + i]:
            raise ValueError(f"cannot broadcast {tuple(src)} to {tuple(target)}")
    return tuple(target)


def broadcast_to_shape(src: Shape, shape: Sequence[int]) -> Shape:
    """Target of ``broadcast_to``: 0 keeps the input dimension (aligned from the right)."""
    lead = len(shape) - len(src)
    target = tuple(src[i - lead] if d == 0 and i >= lead else d for i, d in enumerate(shape))
    if any(d < 0 for d in target):
        raise ValueError(f"negative dimension in shape {tuple(shape)}")
    return _check_broadcastable(src, target)


def _unbroadcast_grad(F, inputs, outputs, out_grads, **attrs):
    grads = [unbroadcast(F, out_grads[0], inputs[0].shape)]
    return grads + [F.zeros_like(x) for x in inputs[1:]]


register_op(OpDef(
    "broadcast_to", ("data",), (Param("shape", to_shape, (), "target; 0 keeps a dim"),),
    compute=lambda K, x, shape: K.broadcast_to(x, broadcast_to_shape(x.shape, shape)),
    gradient=_unbroadcast_grad, may_alias=True, area=AREA,
    doc="Broadcast to a shape (size-1 axes are repeated)."))


def broadcast_axis_shape(src: Shape, axis: Sequence[int], size: Sequence[int]) -> Shape:
    if len(axis) != len(size):
        raise ValueError(f"axis {tuple(axis)} and size {tuple(size)} differ in length")
    out = list(src)
    for a, s in zip(axis, size):
        a = normalize_axis(a, len(src))
        if src[a] != 1:
            raise ValueError(f"axis {a} has size {src[a]}, broadcast_axis needs size 1")
        if s < 0:
            raise ValueError(f"size {tuple(size)} must be non-negative")
        out[a] = s
    return tuple(out)


def _broadcast_axis_grad(F, inputs, outputs, out_grads, axis, size):
    x = inputs[0]
    axes = normalize_axes(axis, x.ndim)
    if not axes:
        return [out_grads[0]]
    return [F.sum(out_grads[0], axis=axes, keepdims=True)]


register_op(OpDef(
    "broadcast_axis", ("data",), (Param("axis", to_shape, ()), Param("size", to_shape, ())),
    compute=lambda K, x, axis, size: K.broadcast_to(x, broadcast_axis_shape(x.shape, axis,
                                                                            size)),
    gradient=_broadcast_axis_grad, may_alias=True, aliases=("broadcast_axes",), area=AREA,
    doc="Broadcast size-1 axes to the given sizes."))


def broadcast_like_shape(lhs: Shape, rhs: Shape, lhs_axes: Any = None, rhs_axes: Any = None
                         ) -> Shape:
    if lhs_axes is None and rhs_axes is None:
        return _check_broadcastable(lhs, tuple(rhs))
    lhs_axes = () if lhs_axes is None else (lhs_axes,) if isinstance(lhs_axes, int) \
        else tuple(lhs_axes)
    rhs_axes = () if rhs_axes is None else (rhs_axes,) if isinstance(rhs_axes, int) \
        else tuple(rhs_axes)
    if len(lhs_axes) != len(rhs_axes):
        raise ValueError(f"lhs_axes {lhs_axes} and rhs_axes {rhs_axes} differ in length")
    sizes = [rhs[normalize_axis(a, len(rhs))] for a in rhs_axes]
    return broadcast_axis_shape(lhs, lhs_axes, sizes)


register_op(OpDef(
    "broadcast_like", ("lhs", "rhs"), (
        Param("lhs_axes", to_axis, None), Param("rhs_axes", to_axis, None)),
    compute=lambda K, x, y, lhs_axes, rhs_axes: K.broadcast_to(
        x, broadcast_like_shape(x.shape, y.shape, lhs_axes, rhs_axes)),
    gradient=_unbroadcast_grad, may_alias=True, area=AREA,
    doc="Broadcast lhs to the shape of rhs (or of the given axes)."))


# -- shape_array, size_array ----------------------------------------------------------------------
def _shape_array(K, x):
    if x.ndim == 0:
        return K.full((0,), 0, _INT64)
    return K.concat([K.full((1,), d, _INT64) for d in x.shape], 0)


register_op(OpDef("shape_array", ("data",), compute=_shape_array, area=AREA,
                  doc="The shape as a 1-D int64 array."))
register_op(OpDef("size_array", ("data",), compute=lambda K, x: K.full((1,), x.size, _INT64),
                  area=AREA, doc="The number of elements as a (1,) int64 array."))
