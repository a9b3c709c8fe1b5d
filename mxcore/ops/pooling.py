"""Pooling (max, avg, sum and lp; 1-, 2- and 3-d), as in MXNet 1.x.

Windows come from the ``windows`` primitive. The gradients are the helper ops ``_pool_adjoint``
(sum/avg/lp) and ``_pool_scatter_max`` (max), whose own gradient is ``_pool_gather_max``; each
is itself differentiable, so higher-order gradients work. Only channel-first layouts (NCW, NCHW,
NCDHW) are supported.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .. import autograd as _autograd
from ._nn_common import (
    Ints,
    _check_layout,
    _expand,
    _pad,
    _prod,
    _spatial,
    _spread,
    _window_box,
    to_layout,
)
from .registry import OpDef, Param, one_of, register_op, to_any, to_bool, to_int_or_none, to_shape

AREA = "nn"


def to_bool_or_none(value: Any) -> Optional[bool]:
    value = to_any(value)
    return None if value is None else to_bool(value)


def pool_geometry(shape: Sequence[int], kernel: Ints, global_pool: bool, pooling_convention: str,
                  stride: Ints, pad: Ints) -> Tuple[Ints, Ints, Ints, Ints, Ints]:
    """(kernel, stride, pad_before, pad_after, output size) for pooling ``shape``."""
    nsp = len(shape) - 2
    if nsp not in (1, 2, 3):
        raise ValueError(f"data must be 3-, 4- or 5-d (N, C, *spatial), got shape {tuple(shape)}")
    spatial = tuple(shape[2:])
    if global_pool:
        ones = (1,) * nsp
        return spatial, ones, (0,) * nsp, (0,) * nsp, ones
    if not kernel:
        raise ValueError("kernel is required unless global_pool=True")
    stride, _dil, pad = _spatial(kernel, shape, stride, (), pad)
    lo, hi, out = [], [], []
    for n, k, s, p in zip(spatial, kernel, stride, pad):
        if k > n + 2 * p:
            raise ValueError(f"kernel {kernel} exceeds the input {spatial} padded by {pad}")
        if pooling_convention == "valid":
            o, before, after = (n + 2 * p - k) // s + 1, p, p
        elif pooling_convention == "full":
            o = -(-(n + 2 * p - k) // s) + 1
            before, after = p, p + max(0, (o - 1) * s + k - n - 2 * p)
        else:  # same
            if nsp != 1 or p:
                raise ValueError("pooling_convention='same' supports only 1-d pooling "
                                 "without pad")
            o = -(-n // s)
            total = max(0, (o - 1) * s + k - n)
            before, after = total // 2, total - total // 2
        lo.append(before)
        hi.append(after)
        out.append(o)
    return tuple(kernel), stride, tuple(lo), tuple(hi), tuple(out)


def _lowest(dtype: Any) -> Any:
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _pool_divisor(K, x: Any, kernel: Ints, stride: Ints, lo: Ints, hi: Ints, pad: Ints,
                  count_include_pad: bool) -> Any:
    """Elements averaged per window, shape (1, 1, *out); a scalar when constant."""
    nsp = len(kernel)
    pad = _expand("pad", pad, nsp, 0)
    extra = any(h > p for h, p in zip(hi, pad)) or any(b > p for b, p in zip(lo, pad))
    if not extra and (count_include_pad or not any(pad)):
        return x.dtype.type(_prod(kernel))
    ones = K.full((1, 1) + tuple(x.shape[2:]), 1, x.dtype)
    if count_include_pad:
        ones = _pad(K, ones, pad, pad, 1)
        ones = _pad(K, ones, [b - p for b, p in zip(lo, pad)], [h - p for h, p in zip(hi, pad)])
    else:
        ones = _pad(K, ones, lo, hi)
    win = K.windows(ones, kernel, stride, (1,) * nsp)
    count = K.sum(win, tuple(range(2 + nsp, 2 + 2 * nsp)), False)
    return K.maximum(count, x.dtype.type(1))


def _cbrt(K, x: Any) -> Any:
    return K.multiply(K.sign(x), K.power(K.abs(x), x.dtype.type(1.0 / 3.0)))


def _pooling(K, x, *, kernel, pool_type, global_pool, pooling_convention, stride, pad, p_value,
             count_include_pad, **_):
    kernel, stride, lo, hi, _out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                 stride, pad)
    nsp = len(kernel)
    axes = tuple(range(2 + nsp, 2 + 2 * nsp))
    fill = _lowest(x.dtype) if pool_type == "max" else 0
    win = K.windows(_pad(K, x, lo, hi, fill), kernel, stride, (1,) * nsp)
    if pool_type == "max":
        return K.max(win, axes, False)
    if pool_type == "lp" and p_value != 1:
        if p_value == 2:
            return K.sqrt(K.sum(K.square(win), axes, False))
        return _cbrt(K, K.sum(K.multiply(K.square(win), win), axes, False))
    total = K.sum(win, axes, False)
    if pool_type != "avg":
        return total
    cip = True if count_include_pad is None else count_include_pad
    pad = () if global_pool else pad
    return K.divide(total, _pool_divisor(K, x, kernel, stride, lo, hi, pad, cip))


def _check_pool(shapes, dtypes, *, kernel, pool_type, global_pool, pooling_convention, stride,
                pad, p_value, layout, **_):
    pool_geometry(shapes[0], kernel, global_pool, pooling_convention, stride, pad)
    _check_layout(layout, len(shapes[0]) - 2)
    if pool_type == "lp" and p_value not in (1, 2, 3):
        raise ValueError(f"pool_type='lp' needs p_value 1, 2 or 3, got {p_value}")


def _pool_grad(F, inputs, outputs, out_grads, **attrs):
    x, og = inputs[0], out_grads[0]
    pool_type = attrs["pool_type"]
    if pool_type == "max":
        return [F._pool_scatter_max(og, x, **attrs)]
    if pool_type != "lp":
        return [F._pool_adjoint(og, x, **attrs)]
    p = attrs["p_value"]
    as_sum = dict(attrs, pool_type="sum")
    if p == 1:
        return [F._pool_adjoint(og, x, **as_sum)]
    # d/dx (sum x^p)^(1/p) = x^(p-1) / y^(p-1)
    y = F.Pooling(x, **attrs) if _autograd.is_recording() else outputs[0]
    if p == 2:
        return [F._pool_adjoint(og / y, x, **as_sum) * x]
    return [F._pool_adjoint(og / F.square(y), x, **as_sum) * F.square(x)]


_POOL_PARAMS = (
    Param("kernel", to_shape, (), "window size; ignored with global_pool"),
    Param("pool_type", one_of("max", "avg", "sum", "lp"), "max", "reduction over a window"),
    Param("global_pool", to_bool, False, "pool over all spatial positions"),
    Param("cudnn_off", to_bool, False, "accepted for compatibility; unused"),
    Param("pooling_convention", one_of("valid", "full", "same"), "valid",
          "output size: floor (valid), ceil (full) or ceil(size/stride) (same, 1-d only)"),
    Param("stride", to_shape, (), "step per spatial axis; () = 1"),
    Param("pad", to_shape, (), "padding per spatial axis (both sides); () = 0"),
    Param("p_value", to_int_or_none, None, "p for pool_type='lp' (1, 2 or 3)"),
    Param("count_include_pad", to_bool_or_none, None,
          "avg: count padded positions in the divisor (None = True)"),
    Param("layout", to_layout, None, "only channel-first layouts are supported"),
)

register_op(OpDef(
    "Pooling", ("data",), _POOL_PARAMS, compute=_pooling, gradient=_pool_grad,
    check=_check_pool, area=AREA,
    doc="1-, 2- or 3-d max/avg/sum/lp pooling of (N, C, *spatial) data."))


def _max_positions(K, x: Any, kernel: Ints, stride: Ints, lo: Ints, hi: Ints) -> Tuple[Any, Ints]:
    """Flat int64 index of each window's (first) maximum in the padded, flattened data."""
    nsp = len(kernel)
    xp = _pad(K, x, lo, hi, _lowest(x.dtype))
    win = K.windows(xp, kernel, stride, (1,) * nsp)
    n, c = x.shape[:2]
    out = tuple(win.shape[2:2 + nsp])
    arg = K.argmax(K.reshape(win, (n, c) + out + (_prod(kernel),)), 2 + nsp, False)
    i64 = np.dtype("int64")
    padded = tuple(xp.shape[2:])
    pos = None
    for i in range(nsp):
        k_i = K.mod(K.divide(arg, i64.type(_prod(kernel[i + 1:]))), i64.type(kernel[i]))
        o_i = K.reshape(K.arange(0, out[i], 1, i64),
                        (1, 1) + (1,) * i + (out[i],) + (1,) * (nsp - i - 1))
        coord = K.add(K.multiply(o_i, i64.type(stride[i])), k_i)
        pos = coord if pos is None else K.add(K.multiply(pos, i64.type(padded[i])), coord)
    base = K.multiply(K.arange(0, n * c, 1, i64), i64.type(_prod(padded)))
    pos = K.add(pos, K.reshape(base, (n, c) + (1,) * nsp))
    return K.reshape(pos, (pos.size,)), padded


def _pool_scatter_max(K, og, x, *, kernel, global_pool, pooling_convention, stride, pad, **_):
    kernel, stride, lo, hi, _out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                 stride, pad)
    pos, padded = _max_positions(K, x, kernel, stride, lo, hi)
    n, c = x.shape[:2]
    flat = K.full((n * c * _prod(padded),), 0, og.dtype)
    flat = K.scatter_add(flat, 0, pos, K.reshape(og, (og.size,)))
    return _window_box(K, K.reshape(flat, (n, c) + padded), lo, x.shape[2:])


def _pool_gather_max(K, g, x, *, kernel, global_pool, pooling_convention, stride, pad, **_):
    kernel, stride, lo, hi, out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                stride, pad)
    pos, _padded = _max_positions(K, x, kernel, stride, lo, hi)
    gp = _pad(K, g, lo, hi)
    return K.reshape(K.take(K.reshape(gp, (gp.size,)), pos, 0), tuple(x.shape[:2]) + out)


def _pool_adjoint(K, og, x, *, kernel, pool_type, global_pool, pooling_convention, stride, pad,
                  count_include_pad, **_):
    """Adjoint of sum (or avg) pooling: spread each output gradient over its window."""
    kernel, stride, lo, hi, _out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                 stride, pad)
    nsp = len(kernel)
    if pool_type == "avg":
        cip = True if count_include_pad is None else count_include_pad
        og = K.divide(og, _pool_divisor(K, x, kernel, stride, lo, hi,
                                        () if global_pool else pad, cip))
    spread = _pad(K, _spread(K, og, stride), [k - 1 for k in kernel], [k - 1 for k in kernel])
    win = K.windows(spread, kernel, (1,) * nsp, (1,) * nsp)
    dxp = K.sum(win, tuple(range(2 + nsp, 2 + 2 * nsp)), False)
    return _window_box(K, dxp, lo, x.shape[2:])


def _scatter_max_grad(F, inputs, outputs, out_grads, **attrs):
    return [F._pool_gather_max(out_grads[0], inputs[1], **attrs), None]


def _gather_max_grad(F, inputs, outputs, out_grads, **attrs):
    return [F._pool_scatter_max(out_grads[0], inputs[1], **attrs), None]


def _adjoint_grad(F, inputs, outputs, out_grads, **attrs):
    return [F.Pooling(out_grads[0], **attrs), None]


def _check_pool_helper(shapes, dtypes, *, kernel, global_pool, pooling_convention, stride, pad,
                       **_):
    grad, data = shapes
    _k, _s, _lo, _hi, out = pool_geometry(data, kernel, global_pool, pooling_convention, stride,
                                          pad)
    if tuple(grad) != tuple(data[:2]) + out:
        raise ValueError(f"grad must have the pooling output shape {tuple(data[:2]) + out}, "
                         f"got {tuple(grad)}")


def _check_gather_max(shapes, dtypes, **attrs):
    if tuple(shapes[0]) != tuple(shapes[1]):
        raise ValueError(f"grad must have the data's shape {tuple(shapes[1])}, got "
                         f"{tuple(shapes[0])}")
    _check_pool(shapes[1:], dtypes[1:], **attrs)


for _name, _compute, _grad, _check, _doc in (
        ("_pool_scatter_max", _pool_scatter_max, _scatter_max_grad, _check_pool_helper,
         "Max pooling's gradient: route each output gradient to its window's maximum of data."),
        ("_pool_gather_max", _pool_gather_max, _gather_max_grad, _check_gather_max,
         "Pick, per window of data, the value of grad at the window's maximum."),
        ("_pool_adjoint", _pool_adjoint, _adjoint_grad, _check_pool_helper,
         "Sum/avg pooling's gradient: spread each output gradient over its window.")):
    register_op(OpDef(_name, ("grad", "data"), _POOL_PARAMS, compute=_compute, gradient=_grad,
                      check=_check, area=AREA, doc=_doc))
