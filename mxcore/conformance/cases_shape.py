"""Conformance cases for :mod:`mxcore.ops.shape`.

References are written directly in float64 NumPy, never through mxcore's kernels.
"""

from __future__ import annotations

import numpy as np

from .case import ALL_DTYPES, FLOATS, INTS, Case, ErrorCase, Input

MOVE = ALL_DTYPES  # pure data movement works for every dtype
NUMERIC = FLOATS + INTS


def _np_reshape(shape):
    return lambda x, **attrs: x.reshape(shape)


CASES: list = [
    # -- Reshape and its codes --------------------------------------------------------------------
    Case("Reshape", [Input((2, 3, 4))], _np_reshape((4, 3, 2)), {"shape": (4, 0, 2)},
         dtypes=MOVE, name="code 0"),
    Case("reshape", [Input((2, 3, 4))], _np_reshape((6, 1, 4)), {"shape": (6, 1, -1)},
         dtypes=MOVE, name="code -1"),
    Case("reshape", [Input((2, 3, 4))], _np_reshape((2, 3, 4, 1, 1)),
         {"shape": (-2, 1, 1)}, name="code -2"),
    Case("reshape", [Input((2, 3, 4, 5))], _np_reshape((6, 20)), {"shape": (-3, -3)},
         name="code -3"),
    Case("reshape", [Input((2, 3, 4))], _np_reshape((2, 1, 3, 4)),
         {"shape": (-4, 2, -1, -2)}, name="code -4"),
    Case("reshape", [Input((10, 5, 4))], _np_reshape((50, 4)),
         {"shape": (-1, 0), "reverse": True}, name="reverse"),
    Case("reshape", [Input((3, 8), noncontiguous=True)], _np_reshape((4, 6)),
         {"shape": (4, -1)}, dtypes=NUMERIC, name="non-contiguous"),
    Case("reshape", [Input((0, 3))], _np_reshape((0, 3)), {"shape": (-1, 3)},
         name="zero-size"),
    Case("reshape", [Input((1,))], _np_reshape((1, 1, 1)), {"shape": (1, 1, 1)},
         name="size-1"),
    Case("Reshape", [Input((2, 3, 4))], _np_reshape((2, 12)),
         {"target_shape": (0, 12)}, name="legacy target_shape"),
    Case("reshape_like", [Input((2, 6)), Input((3, 4), grad=False)],
         lambda a, b: a.reshape(3, 4), dtypes=MOVE),
    Case("reshape_like", [Input((6, 2)), Input((1, 2, 3), grad=False)],
         lambda a, b, **k: a.reshape(2, 3, 2), {"lhs_begin": 0, "lhs_end": 1,
                                               "rhs_begin": 1}, name="ranges"),
    # -- transpose, swapaxes, expand_dims, squeeze, Flatten ---------------------------------------
    Case("transpose", [Input((2, 3, 4))], lambda x, **k: x.transpose(), dtypes=MOVE),
    Case("transpose", [Input((2, 3, 4), noncontiguous=True)],
         lambda x, **k: x.transpose(1, 2, 0), {"axes": (1, -1, 0)}, name="axes"),
    Case("transpose", [Input((0, 3))], lambda x, **k: x.T, name="zero-size"),
    Case("SwapAxis", [Input((2, 3, 4))], lambda x, **k: np.swapaxes(x, 0, 2),
         {"dim1": 0, "dim2": 2}, dtypes=MOVE),
    Case("swapaxes", [Input((2, 3, 4))], lambda x, **k: np.swapaxes(x, 1, -1),
         {"dim1": 1, "dim2": -1}),
    Case("expand_dims", [Input((2, 3))], lambda x, **k: x[:, None], {"axis": 1}, dtypes=MOVE),
    Case("expand_dims", [Input((2, 3))], lambda x, **k: x[..., None], {"axis": -1},
         name="negative axis"),
    Case("squeeze", [Input((1, 3, 1, 2))], lambda x, **k: x.reshape(3, 2), dtypes=MOVE),
    Case("squeeze", [Input((1, 3, 1))], lambda x, **k: x.reshape(1, 3), {"axis": 2},
         name="one axis"),
    Case("squeeze", [Input((1, 1))], lambda x, **k: x.reshape(1), name="all ones -> (1,)"),
    Case("Flatten", [Input((2, 3, 2))], lambda x: x.reshape(2, 6), dtypes=MOVE),
    Case("flatten", [Input((4,))], lambda x: x.reshape(4, 1), name="1-d"),
    Case("flatten", [Input((2, 0, 3))], lambda x: x.reshape(2, 0), name="zero-size"),
    # -- concat, stack, split ---------------------------------------------------------------------
    Case("Concat", [Input((2, 3)), Input((2, 1))],
         lambda a, b, **k: np.concatenate([a, b], 1), dtypes=MOVE),
    Case("concat", [Input((1, 2)), Input((2, 2), noncontiguous=True), Input((0, 2))],
         lambda *xs, **k: np.concatenate(xs, 0), {"dim": 0}, name="3 inputs, dim 0"),
    Case("concat", [Input((2, 3)), Input((2, 2))],
         lambda a, b, **k: np.concatenate([a, b], -1), {"dim": -1, "num_args": 2},
         name="num_args"),
    Case("stack", [Input((2, 3)), Input((2, 3))], lambda a, b, **k: np.stack([a, b], 0),
         dtypes=MOVE),
    Case("stack", [Input((2, 3)), Input((2, 3)), Input((2, 3))],
         lambda *xs, **k: np.stack(xs, -1), {"axis": -1}, name="last axis"),
    Case("SliceChannel", [Input((2, 6))], lambda x, **k: tuple(np.split(x, 3, 1)),
         {"num_outputs": 3}, dtypes=MOVE),
    Case("split", [Input((4, 2))], lambda x, **k: tuple(np.split(x, 2, 0)),
         {"num_outputs": 2, "axis": 0}, name="axis 0"),
    Case("split", [Input((2, 3))], lambda x, **k: tuple(p[..., 0] for p in np.split(x, 3, 1)),
         {"num_outputs": 3, "axis": -1, "squeeze_axis": True}, name="squeeze_axis"),
    Case("split", [Input((2, 3))], lambda x, **k: x, {"num_outputs": 1}, name="one output"),
    # -- slicing ----------------------------------------------------------------------------------
    Case("slice", [Input((4, 5))], lambda x, **k: x[1:3, ::2],
         {"begin": (1, None), "end": (3, None), "step": (None, 2)}, dtypes=MOVE),
    Case("slice", [Input((4, 5), noncontiguous=True)], lambda x, **k: x[::-2, -1:0:-1],
         {"begin": (None, -1), "end": (None, 0), "step": (-2, -1)}, name="negative step"),
    Case("crop", [Input((3, 4))], lambda x, **k: x[1:], {"begin": (1,), "end": (None,)},
         name="fewer axes"),
    Case("slice", [Input((3, 4))], lambda x, **k: x[2:1], {"begin": (2,), "end": (1,)},
         name="empty result"),
    Case("_slice_assign", [Input((3, 4)), Input((1, 2))],
         lambda a, b, **k: _assigned(a, (slice(1, 2), slice(0, 4, 2)), b),
         {"begin": (1, 0), "end": (2, 4), "step": (1, 2)}),
    Case("_crop_assign", [Input((3, 4)), Input((3, 1))],
         lambda a, b, **k: _assigned(a, (slice(None), slice(-1, None)), b),
         {"begin": (None, -1), "end": (None, None)}),
    Case("_slice_assign_scalar", [Input((3, 4))],
         lambda a, **k: _assigned(a, (slice(0, 2),), 7.0),
         {"scalar": 7.0, "begin": (0,), "end": (2,)}, dtypes=NUMERIC),
    Case("_crop_assign_scalar", [Input((3, 4))],
         lambda a, **k: _assigned(a, (slice(None), slice(None, None, 3)), -1.0),
         {"scalar": -1.0, "begin": (None, None), "end": (None, None), "step": (1, 3)}),
    Case("slice_axis", [Input((3, 5))], lambda x, **k: x[:, 1:4],
         {"axis": 1, "begin": 1, "end": 4}, dtypes=MOVE),
    Case("slice_axis", [Input((4, 2))], lambda x, **k: x[-3:],
         {"axis": 0, "begin": -3, "end": None}, name="negative begin, end None"),
    Case("slice_like", [Input((3, 4)), Input((2, 3), grad=False)],
         lambda x, y, **k: x[:2, :3], dtypes=MOVE),
    Case("slice_like", [Input((3, 4, 2)), Input((1, 2), grad=False)],
         lambda x, y, **k: x[:, :2], {"axes": (1,)}, name="axes"),
    # -- tile, repeat, reverse, pad ---------------------------------------------------------------
    Case("tile", [Input((2, 3))], lambda x, **k: np.tile(x, (2, 2)), {"reps": (2, 2)},
         dtypes=MOVE),
    Case("tile", [Input((2, 3))], lambda x, **k: np.tile(x, (2, 1, 3)), {"reps": (2, 1, 3)},
         name="more reps than axes"),
    Case("tile", [Input((2, 2, 3))], lambda x, **k: np.tile(x, 2), {"reps": (2,)},
         name="fewer reps"),
    Case("tile", [Input((2, 3))], lambda x, **k: np.tile(x, (0, 1)), {"reps": (0, 1)},
         name="zero reps"),
    Case("repeat", [Input((2, 3))], lambda x, **k: np.repeat(x, 2), {"repeats": 2},
         dtypes=MOVE),
    Case("repeat", [Input((2, 3), noncontiguous=True)], lambda x, **k: np.repeat(x, 3, 1),
         {"repeats": 3, "axis": 1}, name="axis"),
    Case("repeat", [Input((2, 3))], lambda x, **k: np.repeat(x, 2, -2),
         {"repeats": 2, "axis": -2}, name="negative axis"),
    Case("reverse", [Input((2, 3, 4))], lambda x, **k: x[:, ::-1], {"axis": (1,)},
         dtypes=MOVE),
    Case("flip", [Input((2, 3))], lambda x, **k: x[::-1, ::-1], {"axis": (0, -1)}),
    Case("Pad", [Input((1, 2, 3, 3))],
         lambda x, **k: np.pad(x, ((0, 0), (0, 0), (1, 2), (2, 1)), constant_values=2.0),
         {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1), "constant_value": 2.0},
         dtypes=NUMERIC),
    Case("pad", [Input((1, 1, 3, 4))],
         lambda x, **k: np.pad(x, ((0, 0), (0, 0), (2, 1), (1, 3)), mode="edge"),
         {"mode": "edge", "pad_width": (0, 0, 0, 0, 2, 1, 1, 3)}, name="edge"),
    Case("pad", [Input((1, 1, 3, 4))],
         lambda x, **k: np.pad(x, ((0, 0), (0, 0), (2, 1), (1, 3)), mode="reflect"),
         {"mode": "reflect", "pad_width": (0, 0, 0, 0, 2, 1, 1, 3)}, name="reflect"),
    Case("pad", [Input((3,))], lambda x, **k: np.pad(x, (4, 5), mode="reflect"),
         {"mode": "reflect", "pad_width": (4, 5)}, name="reflect wider than input"),
    Case("_backward_pad", [Input((4, 7))],
         lambda g, **k: _np_pad_adjoint(g, (3, 4), ((1, 0), (2, 1)), "reflect"),
         {"mode": "reflect", "pad_width": (1, 0, 2, 1)}),
    Case("_backward_pad", [Input((4, 7))],
         lambda g, **k: _np_pad_adjoint(g, (3, 4), ((1, 0), (2, 1)), "edge"),
         {"mode": "edge", "pad_width": (1, 0, 2, 1)}, name="edge"),
    # -- diag -------------------------------------------------------------------------------------
    Case("diag", [Input((3, 4))], lambda x, **k: np.diagonal(x, 1).copy(), {"k": 1},
         dtypes=MOVE),
    Case("diag", [Input((3,))], lambda x, **k: np.diag(x, -2), {"k": -2}, name="1-d builds"),
    Case("diag", [Input((2, 3, 4), noncontiguous=True)],
         lambda x, **k: np.diagonal(x, -1, 2, 0).copy(), {"k": -1, "axis1": 2, "axis2": 0},
         name="axes"),
    Case("diag", [Input((2, 3))], lambda x, **k: np.zeros((0,)), {"k": 3},
         name="empty diagonal"),
    Case("_backward_diag", [Input((4, 1))],
         lambda g, **k: _np_diag_adjoint(g, (2, 4, 3), 1, 2, 0),
         {"k": 1, "axis1": 2, "axis2": 0, "dim1": 3, "dim2": 2}),
    # -- broadcast family -------------------------------------------------------------------------
    Case("broadcast_to", [Input((1, 3))], lambda x, **k: np.broadcast_to(x, (4, 3)),
         {"shape": (4, 0)}, dtypes=MOVE),
    Case("broadcast_to", [Input((3, 1))], lambda x, **k: np.broadcast_to(x, (2, 3, 2)),
         {"shape": (2, 3, 2)}, name="new leading axis"),
    Case("broadcast_to", [Input((0, 1))], lambda x, **k: np.zeros((0, 3)),
         {"shape": (0, 3)}, name="zero-size"),
    Case("broadcast_axis", [Input((1, 3, 1))], lambda x, **k: np.broadcast_to(x, (2, 3, 4)),
         {"axis": (0, 2), "size": (2, 4)}, dtypes=MOVE),
    Case("broadcast_axes", [Input((3, 1))], lambda x, **k: np.broadcast_to(x, (3, 5)),
         {"axis": (-1,), "size": (5,)}),
    Case("broadcast_like", [Input((1, 3)), Input((2, 3), grad=False)],
         lambda x, y, **k: np.broadcast_to(x, (2, 3)), dtypes=MOVE),
    Case("broadcast_like", [Input((1, 3)), Input((3, 4), grad=False)],
         lambda x, y, **k: np.broadcast_to(x, (4, 3)), {"lhs_axes": (0,), "rhs_axes": (1,)},
         name="axes"),
    # -- shape_array, size_array ------------------------------------------------------------------
    Case("shape_array", [Input((2, 3, 4))], lambda x: np.array(x.shape, dtype=np.float64),
         dtypes=MOVE, grad=False),
    Case("size_array", [Input((2, 0))], lambda x: np.array([x.size], dtype=np.float64),
         dtypes=MOVE, grad=False),
]


def _assigned(a, key, value):
    out = np.array(a, dtype=np.float64)
    out[key] = value
    return out


def _np_diag_adjoint(g, shape, k, axis1, axis2):
    """Zeros of ``shape`` with g written on diagonal k of the (axis1, axis2) planes."""
    out = np.zeros(shape)
    probe = np.arange(out.size).reshape(shape)
    np.add.at(out.reshape(-1), np.diagonal(probe, k, axis1, axis2).reshape(-1), g.reshape(-1))
    return out


def _np_pad_adjoint(g, shape, pairs, mode):
    """Sum of g over every padded position that copies each input position (brute force)."""
    out = np.zeros(shape)
    probe = np.arange(int(np.prod(shape))).reshape(shape)
    padded = np.pad(probe, pairs, mode=mode)
    np.add.at(out.reshape(-1), padded.reshape(-1), g.reshape(-1))
    return out


ERROR_CASES: list = [
    ErrorCase("Reshape", [Input((2, 3))], {"shape": (4, -1)}, name="size mismatch"),
    ErrorCase("Reshape", [Input((2, 3))], {"shape": (-1, -1)}, name="two -1"),
    ErrorCase("Reshape", [Input((2, 3))], {"shape": (-5, 6)}, name="unknown code"),
    ErrorCase("Reshape", [Input((2, 3))], {"shape": (-4, 4, -1, 3)}, name="bad -4 split"),
    ErrorCase("Reshape", [Input((2, 3))], {"shape": (0, 0, 0)}, name="0 past the last axis"),
    ErrorCase("Reshape", [Input((2, 3))], {}, name="shape missing"),
    ErrorCase("reshape_like", [Input((2, 3)), Input((4, 2))], name="sizes differ"),
    ErrorCase("transpose", [Input((2, 3, 4))], {"axes": (0, 0, 1)}, name="not a permutation"),
    ErrorCase("transpose", [Input((2, 3))], {"axes": (0, 1, 2)}, name="too many axes"),
    ErrorCase("SwapAxis", [Input((2, 3))], {"dim1": 0, "dim2": 2}, name="axis out of range"),
    ErrorCase("expand_dims", [Input((2, 3))], {"axis": 3}, name="axis out of range"),
    ErrorCase("squeeze", [Input((1, 3))], {"axis": 1}, name="axis not of size 1"),
    ErrorCase("Concat", [Input((2, 3)), Input((3, 3))], {"dim": 1}, name="shape mismatch"),
    ErrorCase("Concat", [Input((2, 3)), Input((2, 3))], {"dim": 2}, name="dim out of range"),
    ErrorCase("stack", [Input((2, 3)), Input((3, 2))], name="shape mismatch"),
    ErrorCase("SliceChannel", [Input((2, 5))], {"num_outputs": 2}, name="not divisible"),
    ErrorCase("SliceChannel", [Input((2, 4))], {"num_outputs": 2, "squeeze_axis": True},
              name="squeeze_axis with parts larger than 1"),
    ErrorCase("SliceChannel", [Input((2, 4))], {"num_outputs": 0}, name="num_outputs 0"),
    ErrorCase("slice", [Input((3, 4))], {"begin": (0, 0), "end": (2,)}, name="length mismatch"),
    ErrorCase("slice", [Input((3, 4))], {"begin": (0, 0, 0), "end": (1, 1, 1)},
              name="too many axes"),
    ErrorCase("slice", [Input((3, 4))], {"begin": (0,), "end": (2,), "step": (0,)},
              name="step 0"),
    ErrorCase("_slice_assign", [Input((3, 4)), Input((2, 2))], {"begin": (0,), "end": (1,)},
              name="rhs shape mismatch"),
    ErrorCase("slice_axis", [Input((3, 4))], {"axis": 1, "begin": 2, "end": 7},
              name="end out of range"),
    ErrorCase("slice_axis", [Input((3, 4))], {"axis": 2, "begin": 0, "end": 1},
              name="axis out of range"),
    ErrorCase("slice_like", [Input((2, 3)), Input((3, 3))], name="shape_like larger"),
    ErrorCase("slice_like", [Input((2, 3)), Input((2, 3, 1))], name="rank differs"),
    ErrorCase("tile", [Input((2, 3))], {"reps": (-1, 2)}, name="negative reps"),
    ErrorCase("repeat", [Input((2, 3))], {"repeats": -1}, name="negative repeats"),
    ErrorCase("repeat", [Input((2, 3))], {"repeats": 2, "axis": 2}, name="axis out of range"),
    ErrorCase("reverse", [Input((2, 3))], {"axis": (2,)}, name="axis out of range"),
    ErrorCase("Pad", [Input((1, 1, 3, 3))], {"mode": "constant", "pad_width": (1, 1)},
              name="pad_width length"),
    ErrorCase("Pad", [Input((1, 1, 3, 3))],
              {"mode": "constant", "pad_width": (0, 0, 0, 0, -1, 1, 1, 1)},
              name="negative pad"),
    ErrorCase("Pad", [Input((1, 0))], {"mode": "edge", "pad_width": (0, 0, 1, 1)},
              name="edge padding of an empty axis"),
    ErrorCase("diag", [Input((2, 3))], {"axis1": 1, "axis2": -1}, name="same axes"),
    ErrorCase("diag", [Input((2, 3))], {"axis1": 0, "axis2": 2}, name="axis out of range"),
    ErrorCase("broadcast_to", [Input((2, 3))], {"shape": (4, 3)}, name="not broadcastable"),
    ErrorCase("broadcast_to", [Input((2, 3))], {"shape": (3,)}, name="fewer axes"),
    ErrorCase("broadcast_axis", [Input((2, 3))], {"axis": (0,), "size": (4,)},
              name="axis not of size 1"),
    ErrorCase("broadcast_axis", [Input((1, 3))], {"axis": (0,), "size": (4, 2)},
              name="axis/size lengths differ"),
    ErrorCase("broadcast_like", [Input((2, 3)), Input((4, 3))], name="not broadcastable"),
]
