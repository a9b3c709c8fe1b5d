"""Conformance cases for :mod:`mxcore.ops.indexing`.

Index inputs are float arrays, as MXNet passes them (a few cases use int64). References are
written directly in float64 NumPy, never through mxcore's kernels.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetIndexError
from .case import FLOATS, INTS, Case, ErrorCase, Input

NUMERIC = FLOATS + INTS


def _idx(values, dtype="float32"):
    """A fixed index input (never part of the gradient check)."""
    arr = np.array(values)
    return Input(arr.shape, values=arr, dtype=dtype, grad=False)


def _distinct(shape, seed=0):
    """Values without ties (sorting-based ops are not differentiable at ties)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return Input(shape, values=(rng.permutation(n).reshape(shape) - n / 2) / 4.0)


def _ref_take(a, idx, axis=0, mode="clip"):
    i = np.trunc(idx).astype(np.int64)
    n = a.shape[axis]
    if mode == "clip":
        i = np.clip(i, 0, n - 1)
    elif mode == "wrap":
        i = np.mod(i, n)
    return np.take(a, i, axis=axis)


def _ref_backward_take(g, idx, axis=0, mode="clip", dim=0):
    i = np.clip(np.trunc(idx).astype(np.int64), 0, dim - 1)
    shape = g.shape[:axis] + (dim,) + g.shape[axis + i.ndim:]
    out = np.zeros(shape)
    np.add.at(out, (slice(None),) * axis + (i,), g)
    return out


def _ref_pick(x, idx, axis=-1, keepdims=False, mode="clip"):
    n = x.shape[axis]
    i = np.trunc(idx).astype(np.int64)
    i = np.clip(i, 0, n - 1) if mode == "clip" else np.mod(i, n)
    red = x.shape[:axis % x.ndim] + x.shape[axis % x.ndim + 1:]
    i = np.expand_dims(i.reshape(red), axis)
    out = np.take_along_axis(x, i, axis)
    return out if keepdims else np.squeeze(out, axis).reshape(red or (1,))


def _ref_one_hot(idx, depth, on_value=1.0, off_value=0.0, dtype="float32"):
    i = np.trunc(idx).astype(np.int64)[..., None]
    return np.where(i == np.arange(depth), on_value, off_value)


def _ref_gather_nd(data, idx):
    i = np.trunc(idx).astype(np.int64)
    return data[tuple(i[j] for j in range(i.shape[0]))]


def _ref_scatter_nd(data, idx, shape, add=False):
    i = np.trunc(idx).astype(np.int64)
    out = np.zeros(shape)
    key = tuple(i[j] for j in range(i.shape[0]))
    if add:
        np.add.at(out, key, data)
    else:
        out[key] = data
    return out


def _ref_topk(x, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    if axis is None:
        x, axis = x.reshape(-1), 0
    n = x.shape[axis]
    k = n if k < 1 else k
    order = np.argsort(x if is_ascend else -x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    values = np.take_along_axis(x, idx, axis)
    if ret_typ == "value":
        return values
    if ret_typ == "both":
        return values, idx.astype(np.float64)
    if ret_typ == "mask":
        mask = np.zeros_like(x)
        np.put_along_axis(mask, idx, 1.0, axis)
        return mask
    return idx.astype(np.float64)


def _ref_sort(x, axis=-1, is_ascend=True, dtype=None, arg=False):
    if axis is None:
        x, axis = x.reshape(-1), 0
    order = np.argsort(x if is_ascend else -x, axis=axis, kind="stable")
    return order.astype(np.float64) if arg else np.take_along_axis(x, order, axis)


def _ref_where(c, x, y):
    c = c.reshape(c.shape + (1,) * (x.ndim - c.ndim))
    return np.where(c != 0, x, y)


def _ref_put_along(g, idx, axis=-1, dim=0):
    out = np.zeros(g.shape[:axis % g.ndim] + (dim,) + g.shape[axis % g.ndim + 1:])
    i = np.clip(np.trunc(idx).astype(np.int64), 0, dim - 1)
    np.add.at(out, _along_key(i, axis % g.ndim), g)
    return out


def _along_key(i, axis):
    grids = list(np.indices(i.shape, sparse=True))
    grids[axis] = i
    return tuple(grids)


CASES: list = [
    # -- take -------------------------------------------------------------------------------------
    Case("take", [Input((4, 3)), _idx([0, 3, 7, -2])], _ref_take, dtypes=NUMERIC,
         name="clip (out-of-range indices)"),
    Case("take", [Input((2, 5)), _idx([[1, 6], [-1, 2]])], _ref_take,
         {"axis": 1, "mode": "wrap"}, name="wrap, 2-D indices"),
    Case("take", [Input((3, 4), noncontiguous=True), _idx([2, -1, 0], "int64")],
         lambda a, i, **k: np.take(a, i.astype(np.int64), axis=-1), {"axis": -1, "mode": "raise"},
         name="raise, negative in range, int64 indices"),
    Case("take", [Input((3, 2)), _idx(np.zeros((0,)))], _ref_take, name="no indices"),
    Case("take", [Input((1,)), _idx([0, 0, 0])], _ref_take, name="size-1, repeated index"),
    Case("_backward_take", [Input((3, 2)), _idx([0, 2, 0])], _ref_backward_take,
         {"axis": 0, "dim": 4}),
    # -- along-axis helpers and pick --------------------------------------------------------------
    Case("_take_along_axis", [Input((2, 4)), _idx([[3, 0], [1, 1]])],
         lambda x, i, axis: np.take_along_axis(x, i.astype(np.int64), axis), {"axis": 1}),
    Case("_put_along_axis", [Input((2, 2)), _idx([[3, 0], [1, 1]])], _ref_put_along,
         {"axis": 1, "dim": 4}),
    Case("pick", [Input((3, 4)), _idx([0, 3, 9])], _ref_pick, dtypes=NUMERIC,
         name="last axis, clip"),
    Case("pick", [Input((3, 4)), _idx([[2, 0, 1, 2]])], _ref_pick,
         {"axis": 0, "keepdims": True}, name="axis 0, keepdims index"),
    Case("pick", [Input((2, 3, 2), noncontiguous=True), _idx([[4, -1], [0, 2]])], _ref_pick,
         {"axis": 1, "mode": "wrap"}, name="middle axis, wrap"),
    Case("pick", [Input((5,)), _idx([3])], _ref_pick, {"axis": 0}, name="1-d data"),
    # -- one_hot ----------------------------------------------------------------------------------
    Case("one_hot", [_idx([0, 2, 3, -1])], _ref_one_hot, {"depth": 3}, grad=False,
         name="out-of-range indices give all off"),
    Case("one_hot", [_idx([[1, 0], [2, 2]])], _ref_one_hot,
         {"depth": 4, "on_value": 5.0, "off_value": -1.0, "dtype": "int32"}, grad=False,
         dtypes=("float32",), name="values and dtype"),
    Case("one_hot", [_idx(np.zeros((0, 2)))], _ref_one_hot, {"depth": 2}, grad=False,
         dtypes=("float32",), name="zero-size"),
    # -- gather_nd, scatter_nd --------------------------------------------------------------------
    Case("gather_nd", [Input((3, 4, 2)), _idx([[0, 2, 2], [1, 3, 3]])], _ref_gather_nd,
         dtypes=NUMERIC, name="duplicate indices"),
    Case("gather_nd", [Input((3, 4)), _idx([[-1, 0], [1, -4]], "int64")], _ref_gather_nd,
         name="negative indices"),
    Case("gather_nd", [Input((3, 2), noncontiguous=True), _idx([[2, 0]])], _ref_gather_nd,
         name="one index axis"),
    Case("_backward_gather_nd", [Input((3, 2)), _idx([[0, 2, 0]])],
         lambda g, i, shape: _ref_scatter_nd(g, i, shape, add=True), {"shape": (4, 2)}),
    Case("scatter_nd", [Input((3,)), _idx([[0, 2, 1], [1, 0, 3]])],
         lambda d, i, shape: _ref_scatter_nd(d, i, shape), {"shape": (3, 4)},
         dtypes=NUMERIC),
    Case("scatter_nd", [Input((2, 3)), _idx([[1, 0]])],
         lambda d, i, shape: _ref_scatter_nd(d, i, shape), {"shape": (2, 3)},
         name="whole rows"),
    # -- topk, sort, argsort ----------------------------------------------------------------------
    Case("topk", [_distinct((3, 4))], _ref_topk, {"k": 2}, name="indices"),
    Case("topk", [_distinct((3, 4))], _ref_topk, {"k": 2, "ret_typ": "value"},
         name="value"),
    Case("topk", [_distinct((4, 3))], _ref_topk,
         {"axis": 0, "k": 3, "ret_typ": "both", "is_ascend": True}, name="both, ascending"),
    Case("topk", [_distinct((3, 4))], _ref_topk, {"k": 2, "ret_typ": "mask"}, name="mask"),
    Case("topk", [_distinct((2, 3))], _ref_topk, {"axis": None, "k": 4, "ret_typ": "value"},
         name="flattened"),
    Case("topk", [_distinct((2, 3))], _ref_topk, {"k": 0, "ret_typ": "value"},
         name="k=0 sorts all"),
    Case("topk", [_distinct((2, 5))], _ref_topk, {"k": 2}, dtypes=INTS, grad=False,
         name="int data"),
    Case("sort", [_distinct((3, 4))], _ref_sort, dtypes=NUMERIC),
    Case("sort", [_distinct((3, 4))], _ref_sort, {"axis": 0, "is_ascend": False},
         name="descending, axis 0"),
    Case("sort", [_distinct((2, 3))], _ref_sort, {"axis": None}, name="flattened"),
    Case("argsort", [_distinct((3, 4))], lambda x, **k: _ref_sort(x, arg=True, **k),
         dtypes=NUMERIC, grad=False),
    Case("argsort", [_distinct((3, 4))], lambda x, **k: _ref_sort(x, arg=True, **k),
         {"axis": 0, "is_ascend": False, "dtype": "int32"}, grad=False, name="descending"),
    # -- Embedding --------------------------------------------------------------------------------
    Case("Embedding", [_idx([[0, 4], [2, 2], [7, 1]]), Input((5, 3))],
         lambda d, w, **k: w[np.clip(d.astype(np.int64), 0, 4)],
         {"input_dim": 5, "output_dim": 3}, name="repeated and out-of-range indices"),
    # -- where, clip ------------------------------------------------------------------------------
    Case("where", [Input((2, 3), values=[[1, 0, 1], [0, 0, 2]], grad=False),
                   Input((2, 3)), Input((2, 3))], _ref_where, dtypes=NUMERIC),
    Case("where", [Input((3,), values=[0, 1, 0], grad=False), Input((3, 2)),
                   Input((3, 2), noncontiguous=True)], _ref_where, name="1-D condition"),
    Case("where", [Input((2,), values=[1, 0], grad=False),
                   Input((2,), values=[np.nan, 1.0]), Input((2,), values=[0.0, np.inf])],
         _ref_where, grad=False, name="NaN/Inf pass through"),
    Case("clip", [Input((3, 4))], lambda x, a_min, a_max: np.clip(x, a_min, a_max),
         {"a_min": -1.0, "a_max": 1.0}, dtypes=NUMERIC),
    Case("clip", [Input((0, 2))], lambda x, a_min, a_max: np.clip(x, a_min, a_max),
         {"a_min": 0.0, "a_max": 1.0}, name="zero-size"),
]

ERROR_CASES: list = [
    ErrorCase("take", [Input((3, 2)), _idx([0, 3])], {"mode": "raise"},
              name="index out of range with mode=raise"),
    ErrorCase("take", [Input((3, 2)), _idx([-4])], {"mode": "raise"},
              name="negative index out of range with mode=raise"),
    ErrorCase("take", [Input((3, 2)), _idx([0])], {"axis": 2}, name="axis out of range"),
    ErrorCase("take", [Input((0, 2)), _idx([0])], name="take from an empty axis"),
    ErrorCase("pick", [Input((3, 4)), _idx([0, 1])], name="index shape mismatch"),
    ErrorCase("pick", [Input((3, 4)), _idx([0, 1, 4])], {"mode": "raise"},
              name="index out of range with mode=raise"),
    ErrorCase("one_hot", [_idx([0, 1])], {"depth": -1}, name="negative depth"),
    ErrorCase("gather_nd", [Input((3, 4)), _idx([[0, 3], [1, 4]])], error=MXNetIndexError,
              name="index out of range"),
    ErrorCase("gather_nd", [Input((3, 4)), _idx([[0], [1], [0]])],
              name="more index rows than axes"),
    ErrorCase("scatter_nd", [Input((3,)), _idx([[0, 1, 2]])], {"shape": (3, 2)},
              name="data shape mismatch"),
    ErrorCase("scatter_nd", [Input((2,)), _idx([[0, 5]])], {"shape": (3,)},
              error=MXNetIndexError, name="index out of range"),
    ErrorCase("topk", [Input((2, 3))], {"k": 4}, name="k larger than the axis"),
    ErrorCase("sort", [Input((2, 3))], {"axis": 2}, name="axis out of range"),
    ErrorCase("argsort", [Input((2, 3))], {"axis": -3}, name="axis out of range"),
    ErrorCase("Embedding", [_idx([0, 1]), Input((4, 3))], {"input_dim": 5, "output_dim": 3},
              name="weight shape mismatch"),
    ErrorCase("where", [Input((2, 3)), Input((2, 3)), Input((3, 2))], name="x/y shapes differ"),
    ErrorCase("where", [Input((3,)), Input((2, 3)), Input((2, 3))],
              name="1-D condition of the wrong length"),
]
