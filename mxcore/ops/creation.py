"""Creation operators: zeros, ones, full, arange, linspace, eye (no array inputs).

The context comes from the caller (``ctx=`` or the current context), not from inputs.
"""

from __future__ import annotations

import numpy as np

from .registry import (
    OpDef,
    Param,
    register_op,
    to_bool,
    to_dtype,
    to_float,
    to_float_or_none,
    to_int,
    to_shape,
)

AREA = "creation"
_DTYPE = Param("dtype", to_dtype, np.dtype("float32"), "element type")
_SHAPE = Param("shape", to_shape, (), "shape of the result")


def _full(K, shape, value, dtype):
    for d in shape:
        if d < 0:
            raise ValueError(f"negative dimension in shape {shape}")
    return K.full(shape, value, dtype)


register_op(OpDef("_zeros", (), (_SHAPE, _DTYPE), area=AREA,
                  compute=lambda K, shape, dtype: _full(K, shape, 0, dtype),
                  doc="An array of zeros."))
register_op(OpDef("_ones", (), (_SHAPE, _DTYPE), area=AREA,
                  compute=lambda K, shape, dtype: _full(K, shape, 1, dtype),
                  doc="An array of ones."))
register_op(OpDef("_full", (), (_SHAPE, _DTYPE, Param("value", to_float, 0.0)), area=AREA,
                  compute=lambda K, shape, dtype, value: _full(K, shape, value, dtype),
                  doc="An array filled with ``value``."))


def _arange(K, start, stop, step, repeat, infer_range, dtype):
    if stop is None:
        start, stop = 0.0, start
    if step == 0:
        raise ValueError("step must not be 0")
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    n = max(0, int(np.ceil((stop - start) / step)))
    out = K.add(K.multiply(K.arange(0, n, 1, np.dtype("float64")), step), start)
    if repeat > 1:
        out = K.reshape(K.broadcast_to(K.reshape(out, (n, 1)), (n, repeat)), (n * repeat,))
    return K.cast(out, dtype)


register_op(OpDef("_arange", (), (
    Param("start", to_float, 0.0), Param("stop", to_float_or_none, None),
    Param("step", to_float, 1.0), Param("repeat", to_int, 1),
    Param("infer_range", to_bool, False), _DTYPE), compute=_arange, area=AREA,
    doc="Evenly spaced values in [start, stop), each repeated ``repeat`` times."))


def _linspace(K, start, stop, num, endpoint, dtype):
    if num < 0:
        raise ValueError(f"num must be >= 0, got {num}")
    div = (num - 1) if endpoint else num
    step = (stop - start) / div if div > 0 else 0.0
    out = K.add(K.multiply(K.arange(0, num, 1, np.dtype("float64")), step), start)
    if endpoint and num > 1:
        out = K.where(K.equal(K.arange(0, num, 1, np.dtype("int64")), num - 1),
                      K.full((num,), stop, np.dtype("float64")), out)
    return K.cast(out, dtype)


register_op(OpDef("_linspace", (), (
    Param("start", to_float), Param("stop", to_float), Param("num", to_int),
    Param("endpoint", to_bool, True), _DTYPE), compute=_linspace, area=AREA,
    doc="``num`` evenly spaced values from start to stop."))


def _eye(K, N, M, k, dtype):
    if N < 0 or M < 0:
        raise ValueError(f"N and M must be >= 0, got {N}, {M}")
    cols = M if M > 0 else N
    rows = K.reshape(K.arange(0, N, 1, np.dtype("int64")), (N, 1))
    colv = K.reshape(K.arange(0, cols, 1, np.dtype("int64")), (1, cols))
    return K.cast(K.equal(K.subtract(colv, rows), np.int64(k)), dtype)


register_op(OpDef("_eye", (), (
    Param("N", to_int), Param("M", to_int, 0), Param("k", to_int, 0), _DTYPE),
    compute=_eye, area=AREA, doc="A 2-D array with ones on the k-th diagonal."))
