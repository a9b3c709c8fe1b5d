"""Indexing operators: take, pick, one_hot, gather_nd/scatter_nd, topk/sort/argsort, Embedding,
where and clip, plus the private adjoint ops their gradients use.

MXNet passes index arrays as floats; compute casts them to int64 (truncating toward zero) and
applies ``mode`` ('clip', 'wrap' or 'raise') itself, so primitives only see in-range indices.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from ._helpers import normalize_axis
from ._helpers import prod as _prod
from .registry import (
    OpDef,
    Param,
    one_of,
    register_op,
    to_bool,
    to_dtype,
    to_float,
    to_int,
    to_int_or_none,
    to_shape,
)

AREA = "indexing"
_INT64 = np.dtype("int64")
_MODE = Param("mode", one_of("clip", "wrap", "raise"), "clip",
              "out-of-range indices: clip to the edge, wrap around, or raise")


def _as_index(K, idx):
    """Index array as int64 (float indices truncate toward zero, as MXNet casts them)."""
    return idx if idx.dtype == _INT64 else K.cast(idx, _INT64)


def _bounds_error(K, idx, low: int, high: int, what: str) -> None:
    """Raise IndexError when some entry of ``idx`` lies outside [low, high)."""
    if idx.size == 0:
        return
    lo = int(K.min(idx, None, False))
    hi = int(K.max(idx, None, False))
    if lo < low or hi >= high:
        bad = lo if lo < low else hi
        raise IndexError(f"index {bad} is out of bounds for {what}")


def fix_indices(K, idx, n: int, mode: str):
    """Cast ``idx`` to int64 and bring it into [0, n) according to ``mode``."""
    idx = _as_index(K, idx)
    if n == 0:
        if idx.size:
            raise IndexError("cannot index into an axis of size 0")
        return idx
    if mode == "clip":
        return K.minimum(K.maximum(idx, _INT64.type(0)), _INT64.type(n - 1))
    if mode == "wrap":
        return K.mod(idx, _INT64.type(n))
    _bounds_error(K, idx, -n, n, f"an axis of size {n}")
    return K.where(K.less(idx, _INT64.type(0)), K.add(idx, _INT64.type(n)), idx)


# -- take -----------------------------------------------------------------------------------------
def take_shape(shape: Tuple[int, ...], index_shape: Tuple[int, ...], axis: int
               ) -> Tuple[int, ...]:
    a = normalize_axis(axis, len(shape))
    return tuple(shape[:a]) + tuple(index_shape) + tuple(shape[a + 1:])


def _take(K, a, indices, axis, mode):
    if a.ndim == 0:
        raise ValueError("cannot take from a 0-d array")
    ax = normalize_axis(axis, a.ndim)
    return K.take(a, fix_indices(K, indices, a.shape[ax], mode), ax)


def _take_grad(F, inputs, outputs, out_grads, axis, mode):
    a, indices = inputs
    ax = normalize_axis(axis, a.ndim)
    g = F._backward_take(out_grads[0], indices, axis=ax, mode=mode, dim=a.shape[ax])
    return [g, F.zeros_like(indices)]


register_op(OpDef(
    "take", ("a", "indices"), (Param("axis", to_int, 0), _MODE),
    compute=_take, gradient=_take_grad, area=AREA,
    doc="Elements of ``a`` at ``indices`` along ``axis``."))


def _backward_take(K, g, indices, axis, mode, dim):
    if dim < 0:
        raise ValueError(f"dim must be >= 0, got {dim}")
    ax = normalize_axis(axis, g.ndim - indices.ndim + 1)
    shape = tuple(g.shape[:ax]) + (dim,) + tuple(g.shape[ax + indices.ndim:])
    return K.scatter_add(K.full(shape, 0, g.dtype), ax, fix_indices(K, indices, dim, mode), g)


register_op(OpDef(
    "_backward_take", ("data", "indices"), (Param("axis", to_int, 0), _MODE,
                                            Param("dim", to_int, doc="size of the axis")),
    compute=_backward_take,
    gradient=lambda F, inputs, outputs, out_grads, axis, mode, dim: [
        F.take(out_grads[0], inputs[1], axis=axis, mode=mode), F.zeros_like(inputs[1])],
    area=AREA, doc="Adjoint of take: add data into zeros at indices along axis."))


# -- along-axis gather/scatter (pick, topk, sort) -------------------------------------------------
def _flat_along(K, shape, idx, ax: int):
    """Flat positions in an array of ``shape`` of ``idx`` (int64, in range) along ``ax``."""
    lead, n, trail = _prod(shape[:ax]), shape[ax], _prod(shape[ax + 1:])
    k = idx.size // (lead * trail) if lead * trail else 0
    idx3 = K.reshape(idx, (lead, k, trail))
    rows = K.reshape(K.arange(0, lead, 1, _INT64), (lead, 1, 1))
    cols = K.reshape(K.arange(0, trail, 1, _INT64), (1, 1, trail))
    flat = K.add(K.add(K.multiply(rows, _INT64.type(n * trail)),
                       K.multiply(idx3, _INT64.type(trail))), cols)
    return K.reshape(flat, (flat.size,))


def take_along_axis(K, x, idx, ax: int):
    """out[..., j, ...] = x[..., idx[..., j, ...], ...] (idx int64 in range)."""
    flat = _flat_along(K, x.shape, idx, ax)
    return K.reshape(K.take(K.reshape(x, (x.size,)), flat, 0), idx.shape)


def put_along_axis_add(K, g, idx, ax: int, n: int):
    """Zeros with ``n`` entries on ``ax``, ``g`` added at ``idx`` (adjoint of take_along)."""
    shape = tuple(g.shape[:ax]) + (n,) + tuple(g.shape[ax + 1:])
    flat = _flat_along(K, shape, idx, ax)
    out = K.scatter_add(K.full((_prod(shape),), 0, g.dtype), 0, flat, K.reshape(g, (g.size,)))
    return K.reshape(out, shape)


def _along_check(shapes, dtypes, axis, **attrs):
    data, index = shapes
    ax = normalize_axis(axis, len(data))
    if len(index) != len(data) or any(d != i for j, (d, i) in enumerate(zip(data, index))
                                      if j != ax):
        raise ValueError(f"indices {tuple(index)} must match data {tuple(data)} except on "
                         f"axis {ax}")


register_op(OpDef(
    "_take_along_axis", ("data", "indices"), (Param("axis", to_int, -1),),
    compute=lambda K, x, idx, axis: take_along_axis(
        K, x, fix_indices(K, idx, x.shape[normalize_axis(axis, x.ndim)], "clip"),
        normalize_axis(axis, x.ndim)),
    gradient=lambda F, inputs, outputs, out_grads, axis: [
        F._put_along_axis(out_grads[0], inputs[1], axis=axis,
                          dim=inputs[0].shape[normalize_axis(axis, inputs[0].ndim)]),
        F.zeros_like(inputs[1])],
    check=_along_check, area=AREA, doc="data gathered along axis at indices (clipped)."))


def _put_along(K, g, idx, axis, dim):
    ax = normalize_axis(axis, g.ndim)
    return put_along_axis_add(K, g, fix_indices(K, idx, dim, "clip"), ax, dim)


register_op(OpDef(
    "_put_along_axis", ("data", "indices"), (Param("axis", to_int, -1), Param("dim", to_int)),
    compute=_put_along,
    gradient=lambda F, inputs, outputs, out_grads, axis, dim: [
        F._take_along_axis(out_grads[0], inputs[1], axis=axis), F.zeros_like(inputs[1])],
    check=lambda shapes, dtypes, axis, dim: _along_check(shapes, dtypes, axis),
    area=AREA, doc="Adjoint of _take_along_axis: add data into zeros of size dim on axis."))


# -- pick -----------------------------------------------------------------------------------------
def _pick_layout(shape, index_shape, axis: Optional[int]):
    """(data shape used, axis, output shape without keepdims) for pick."""
    if axis is None:
        shape, ax = (_prod(shape),), 0
    else:
        ax = normalize_axis(axis, len(shape))
    reduced = tuple(shape[:ax]) + tuple(shape[ax + 1:])
    kept = tuple(shape[:ax]) + (1,) + tuple(shape[ax + 1:])
    if tuple(index_shape) not in (reduced, kept) and not (
            reduced == () and tuple(index_shape) == (1,)):
        raise ValueError(f"index shape {tuple(index_shape)} must be {reduced} (or {kept})")
    return shape, ax, reduced


def _pick(K, x, index, axis, keepdims, mode):
    shape, ax, reduced = _pick_layout(x.shape, index.shape, axis)
    x = K.reshape(x, shape)
    idx = K.reshape(fix_indices(K, index, shape[ax], mode), reduced[:ax] + (1,) + reduced[ax:])
    out = take_along_axis(K, x, idx, ax)
    if keepdims:
        return out
    return K.reshape(out, reduced if reduced else (1,))


def _pick_grad(F, inputs, outputs, out_grads, axis, keepdims, mode, needed=(True, True)):
    x, index = inputs
    index_grad = F.zeros_like(index) if needed[1] else None
    if x.size == 0:
        return [F.zeros_like(x), index_grad]
    shape, ax, _ = _pick_layout(x.shape, index.shape, axis)
    n = shape[ax]
    rows = (_prod(shape[:ax]), 1, _prod(shape[ax + 1:]))
    idx = F.reshape(index, shape=rows)
    if mode != "clip":  # _put_along_axis clips; wrap first
        idx = F.fix(idx) % n
    g = F._put_along_axis(F.reshape(out_grads[0], shape=rows), idx, axis=1, dim=n)
    return [F.reshape_like(g, x), index_grad]


register_op(OpDef(
    "pick", ("data", "index"), (
        Param("axis", to_int_or_none, -1, "axis to pick from; None flattens"),
        Param("keepdims", to_bool, False), _MODE),
    compute=_pick, gradient=_pick_grad, area=AREA, partial_gradient=True,
    doc="One element per position along an axis: out[i, j] = data[i, index[i, j], j]."))


# -- one_hot --------------------------------------------------------------------------------------
def _one_hot(K, indices, depth, on_value, off_value, dtype):
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    idx = K.reshape(_as_index(K, indices), tuple(indices.shape) + (1,))
    hot = K.equal(idx, K.arange(0, depth, 1, _INT64))
    return K.where(hot, K.full((), on_value, dtype), K.full((), off_value, dtype))


register_op(OpDef(
    "one_hot", ("indices",), (
        Param("depth", to_int), Param("on_value", to_float, 1.0),
        Param("off_value", to_float, 0.0), Param("dtype", to_dtype, np.dtype("float32"))),
    compute=_one_hot, area=AREA,
    doc="A new last axis of size depth: on_value at each index, off_value elsewhere "
        "(indices out of range give all off_value)."))


# -- gather_nd, scatter_nd ------------------------------------------------------------------------
def _nd_indices(K, shape, indices, op: str):
    """int64 (M, ...) indices for the leading M axes of ``shape``, negatives wrapped."""
    if indices.ndim == 0 or indices.shape[0] > len(shape):
        raise ValueError(f"indices of shape {tuple(indices.shape)} need 1 <= shape[0] <= "
                         f"{len(shape)} (the indexed array's rank)")
    idx = _as_index(K, indices)
    m = idx.shape[0]
    if idx.size == 0:
        return idx
    dims = K.concat([K.full((1,), d, _INT64) for d in shape[:m]], 0)
    dims = K.reshape(dims, (m,) + (1,) * (idx.ndim - 1))
    wrapped = K.where(K.less(idx, _INT64.type(0)), K.add(idx, dims), idx)
    bad = K.logical_or(K.less(wrapped, _INT64.type(0)), K.greater_equal(wrapped, dims))
    worst = int(K.max(K.where(bad, K.abs(idx), _INT64.type(-1)), None, False))
    if worst >= 0:
        raise IndexError(f"indices out of bounds for shape {tuple(shape)} (an index of "
                         f"magnitude {worst})")
    return wrapped


def _gather_nd(K, data, indices):
    return K.gather_nd(data, _nd_indices(K, data.shape, indices, "gather_nd"))


register_op(OpDef(
    "gather_nd", ("data", "indices"), compute=_gather_nd,
    gradient=lambda F, inputs, outputs, out_grads: [
        F._backward_gather_nd(out_grads[0], inputs[1], shape=inputs[0].shape),
        F.zeros_like(inputs[1])],
    area=AREA,
    doc="out[y...] = data[indices[0][y...], ..., indices[M-1][y...]] (negatives wrap)."))


def _scatter_shape_check(data_shape, index_shape, shape) -> None:
    m = index_shape[0] if index_shape else 0
    want = tuple(index_shape[1:]) + tuple(shape[m:])
    if tuple(data_shape) != want:
        raise ValueError(f"data of shape {tuple(data_shape)} does not fit indices "
                         f"{tuple(index_shape)} and shape {tuple(shape)}: expected {want}")


def _backward_gather_nd(K, g, indices, shape):
    _scatter_shape_check(g.shape, indices.shape, shape)
    idx = _nd_indices(K, shape, indices, "_backward_gather_nd")
    return K.scatter_nd_add(K.full(shape, 0, g.dtype), idx, g)


register_op(OpDef(
    "_backward_gather_nd", ("data", "indices"), (Param("shape", to_shape),),
    compute=_backward_gather_nd,
    gradient=lambda F, inputs, outputs, out_grads, shape: [
        F.gather_nd(out_grads[0], inputs[1]), F.zeros_like(inputs[1])],
    area=AREA, doc="Adjoint of gather_nd: add data into zeros of ``shape`` at indices."))


def _scatter_nd(K, data, indices, shape):
    _scatter_shape_check(data.shape, indices.shape, shape)
    idx = _nd_indices(K, shape, indices, "scatter_nd")
    out = K.full(shape, 0, data.dtype)
    m = idx.shape[0]
    K.setitem(out, tuple(K.reshape(K.slice(idx, (slice(i, i + 1),)), idx.shape[1:])
                         for i in range(m)), data)
    return out


register_op(OpDef(
    "scatter_nd", ("data", "indices"), (Param("shape", to_shape),), compute=_scatter_nd,
    gradient=lambda F, inputs, outputs, out_grads, shape: [
        F.gather_nd(out_grads[0], inputs[1]), F.zeros_like(inputs[1])],
    area=AREA, doc="Zeros of ``shape`` with data written at indices (gather_nd's layout)."))


# -- topk, sort, argsort --------------------------------------------------------------------------
def _sort_layout(K, x, axis: Optional[int]):
    if axis is None:
        return K.reshape(x, (x.size,)), 0
    if x.ndim == 0:
        raise ValueError("cannot sort a 0-d array")
    return x, normalize_axis(axis, x.ndim)


def _topk(K, x, axis, k, ret_typ, is_ascend, dtype):
    x, ax = _sort_layout(K, x, axis)
    n = x.shape[ax]
    kk = n if k < 1 else k
    if kk > n:
        raise ValueError(f"k={k} is larger than the {n} elements along axis {ax}")
    order = K.argsort(x, ax, not is_ascend)
    idx = K.slice(order, (slice(None),) * ax + (slice(0, kk),))
    if ret_typ == "indices":
        return K.cast(idx, dtype)
    if ret_typ == "mask":
        return put_along_axis_add(K, K.full(idx.shape, 1, x.dtype), idx, ax, n)
    values = take_along_axis(K, x, idx, ax)
    if ret_typ == "value":
        return values
    return values, K.cast(idx, dtype)


def _topk_grad(F, inputs, outputs, out_grads, axis, k, ret_typ, is_ascend, dtype):
    x = inputs[0]
    if ret_typ in ("indices", "mask") or x.size == 0:
        return [F.zeros_like(x)]
    if ret_typ == "both":
        idx = outputs[1]
    else:
        idx = F.topk(x, axis=axis, k=k, ret_typ="indices", is_ascend=is_ascend,
                     dtype="int64")
    ax = -1 if axis is None else axis
    n = x.size if axis is None else x.shape[normalize_axis(axis, x.ndim)]
    g = F._put_along_axis(out_grads[0], idx, axis=ax, dim=n)
    return [g if axis is not None else F.reshape_like(g, x)]


register_op(OpDef(
    "topk", ("data",), (
        Param("axis", to_int_or_none, -1, "None = over the flattened array"),
        Param("k", to_int, 1, "how many; k < 1 means all"),
        Param("ret_typ", one_of("value", "indices", "mask", "both"), "indices"),
        Param("is_ascend", to_bool, False, "take the smallest instead of the largest"),
        Param("dtype", to_dtype, np.dtype("float32"), "dtype of returned indices")),
    compute=_topk, gradient=_topk_grad,
    num_outputs=lambda attrs: 2 if attrs["ret_typ"] == "both" else 1, area=AREA,
    doc="The k largest (or smallest) entries along an axis: values, indices, both or a "
        "mask."))


def _sort(K, x, axis, is_ascend):
    x, ax = _sort_layout(K, x, axis)
    return K.sort(x, ax, not is_ascend)


def _sort_grad(F, inputs, outputs, out_grads, axis, is_ascend):
    x = inputs[0]
    if x.size == 0:
        return [F.zeros_like(x)]
    idx = F.argsort(x, axis=axis, is_ascend=is_ascend, dtype="int64")
    ax = -1 if axis is None else axis
    n = x.size if axis is None else x.shape[normalize_axis(axis, x.ndim)]
    g = F._put_along_axis(out_grads[0], idx, axis=ax, dim=n)
    return [g if axis is not None else F.reshape_like(g, x)]


_SORT_PARAMS = (Param("axis", to_int_or_none, -1, "None = over the flattened array"),
                Param("is_ascend", to_bool, True))

register_op(OpDef(
    "sort", ("data",), _SORT_PARAMS, compute=_sort, gradient=_sort_grad, area=AREA,
    doc="Sorted values along an axis."))
register_op(OpDef(
    "argsort", ("data",), _SORT_PARAMS + (Param("dtype", to_dtype, np.dtype("float32")),),
    compute=lambda K, x, axis, is_ascend, dtype: K.cast(
        K.argsort(*_sort_layout(K, x, axis), not is_ascend), dtype),
    area=AREA, doc="Indices that sort an axis (stable), in ``dtype``."))


# -- Embedding ------------------------------------------------------------------------------------
def _embedding_check(shapes, dtypes, input_dim, output_dim, dtype, sparse_grad):
    if tuple(shapes[1]) != (input_dim, output_dim):
        raise ValueError(f"weight must have shape (input_dim, output_dim) = "
                         f"({input_dim}, {output_dim}), got {tuple(shapes[1])}")


def _embedding(K, data, weight, input_dim, output_dim, dtype, sparse_grad):
    return K.take(weight, fix_indices(K, data, input_dim, "clip"), 0)


def _embedding_grad(F, inputs, outputs, out_grads, input_dim, output_dim, dtype,
                    sparse_grad):
    data = inputs[0]
    if sparse_grad and getattr(F, "sparse", None) is not None and hasattr(data, "stype"):
        from .sparse_updates import embedding_row_sparse_grad  # a row_sparse weight gradient

        return [F.zeros_like(data), embedding_row_sparse_grad(out_grads[0], data, input_dim)]
    g = F._backward_take(out_grads[0], data, axis=0, mode="clip", dim=input_dim)
    return [F.zeros_like(data), g]


register_op(OpDef(
    "Embedding", ("data", "weight"), (
        Param("input_dim", to_int, doc="vocabulary size"),
        Param("output_dim", to_int, doc="embedding size"),
        Param("dtype", to_dtype, np.dtype("float32")),
        Param("sparse_grad", to_bool, False,
              "the weight gradient is row_sparse (only the rows looked up)")),
    compute=_embedding, gradient=_embedding_grad, check=_embedding_check, area=AREA,
    doc="Rows of weight for each index in data (indices clipped to the vocabulary)."))


# -- where, clip ----------------------------------------------------------------------------------
def _where_check(shapes, dtypes):
    cond, x, y = (tuple(s) for s in shapes)
    if x != y:
        raise ValueError(f"x {x} and y {y} must have the same shape")
    if cond != x and not (len(cond) == 1 and x and cond[0] == x[0]):
        raise ValueError(f"condition {cond} must have the shape of x {x} or be 1-D of "
                         "length x.shape[0]")
    if dtypes[1] != dtypes[2]:
        raise TypeError("x and y must have the same dtype")


def _where(K, cond, x, y):
    mask = K.not_equal(cond, cond.dtype.type(0))
    if tuple(cond.shape) != tuple(x.shape):
        mask = K.reshape(mask, tuple(cond.shape) + (1,) * (x.ndim - 1))
    return K.where(mask, x, y)


def _where_grad(F, inputs, outputs, out_grads):
    cond = inputs[0]
    og = out_grads[0]
    zeros = F.zeros_like(og)
    return [F.zeros_like(cond), F.where(cond, og, zeros), F.where(cond, zeros, og)]


register_op(OpDef(
    "where", ("condition", "x", "y"), compute=_where, gradient=_where_grad,
    check=_where_check, area=AREA,
    doc="x where condition is non-zero, else y (condition may be 1-D over x's first axis)."))


def _scalar_for(dtype: np.dtype, value: float):
    """``value`` in ``dtype``; integer dtypes saturate instead of overflowing."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return dtype.type(min(max(int(value), info.min), info.max))
    return dtype.type(value)


def _clip(K, x, a_min, a_max):
    return K.minimum(K.maximum(x, _scalar_for(x.dtype, a_min)), _scalar_for(x.dtype, a_max))


def _clip_grad(F, inputs, outputs, out_grads, a_min, a_max):
    x = inputs[0]
    return [out_grads[0] * ((x >= a_min) * (x <= a_max))]


register_op(OpDef(
    "clip", ("data",), (Param("a_min", to_float), Param("a_max", to_float)),
    compute=_clip, gradient=_clip_grad, area=AREA,
    doc="Limit values to [a_min, a_max]."))

