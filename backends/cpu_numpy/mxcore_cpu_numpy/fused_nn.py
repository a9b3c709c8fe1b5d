"""Fused NumPy kernels for the nn composites (checked against their decompositions).

Convolution and its weight gradient gather windows with ``as_strided`` (no copy) and do one
batched BLAS matmul; Deconvolution does one matmul and scatters its columns with one strided
add per kernel offset (col2im); Pooling reduces one strided slice per kernel offset instead
of reducing over small trailing window axes; BatchNorm saves temporaries. float16 data is
computed in float32. The core validates shapes and parameters (the op's ``check``) before any
kernel runs, and the geometry helpers come from the op declarations.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from mxcore.ops.conv import deconv_geometry
from mxcore.ops.pooling import pool_geometry

Ints = Tuple[int, ...]


def _fill(value: Sequence[int], n: int, default: int) -> Ints:
    return tuple(value) if value else (default,) * n


def _work(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _padded(x: np.ndarray, lo: Sequence[int], hi: Sequence[int], value: Any = 0) -> np.ndarray:
    if not any(lo) and not any(hi):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(zip(lo, hi)), constant_values=value)


def _windows(x: np.ndarray, kernel: Ints, stride: Ints, dilate: Ints) -> np.ndarray:
    """View (N, C, *out, *kernel) of ``x`` (N, C, *spatial)."""
    nsp = len(kernel)
    out = tuple((n - d * (k - 1) - 1) // s + 1
                for n, k, s, d in zip(x.shape[2:], kernel, stride, dilate))
    st = x.strides
    strides = (st[:2] + tuple(st[2 + i] * stride[i] for i in range(nsp))
               + tuple(st[2 + i] * dilate[i] for i in range(nsp)))
    return as_strided(x, x.shape[:2] + out + tuple(kernel), strides, writeable=False)


def _columns(win: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, *out, *kernel) windows -> contiguous (N, groups, C/groups * K, P) columns."""
    nsp = (win.ndim - 2) // 2
    n, c = win.shape[:2]
    out, kernel = win.shape[2:2 + nsp], win.shape[2 + nsp:]
    perm = (0, 1) + tuple(range(2 + nsp, 2 + 2 * nsp)) + tuple(range(2, 2 + nsp))
    cols = np.ascontiguousarray(win.transpose(perm))
    return cols.reshape(n, groups, (c // groups) * math.prod(kernel), math.prod(out))


def _columns_by_channel(win: np.ndarray) -> np.ndarray:
    """(N, C, *out, *kernel) windows -> contiguous (C * K, N * P) columns, for one big GEMM."""
    nsp = (win.ndim - 2) // 2
    n, c = win.shape[:2]
    out, kernel = win.shape[2:2 + nsp], win.shape[2 + nsp:]
    perm = (1,) + tuple(range(2 + nsp, 2 + 2 * nsp)) + (0,) + tuple(range(2, 2 + nsp))
    cols = np.ascontiguousarray(win.transpose(perm))
    return cols.reshape(c * math.prod(kernel), n * math.prod(out))


def _batch_major(y: np.ndarray, dtype: Any) -> np.ndarray:
    """(F, N, ...) -> contiguous (N, F, ...)."""
    return np.ascontiguousarray(y.swapaxes(0, 1), dtype=dtype)


def convolution(data, weight, *bias, kernel, stride, dilate, pad, num_filter, num_group, **_):
    """im2col over a strided view, then one GEMM (F, C*K) @ (C*K, N*P) — per group a
    batched matmul (N, g) x (F/g, C/g*K) @ cols."""
    nsp = len(kernel)
    stride, dilate, pad = _fill(stride, nsp, 1), _fill(dilate, nsp, 1), _fill(pad, nsp, 0)
    x, w = _work(data), _work(weight)
    win = _windows(_padded(x, pad, pad), kernel, stride, dilate)
    out = win.shape[2:2 + nsp]
    n, g = x.shape[0], num_group
    if g == 1:
        y = np.matmul(w.reshape(num_filter, -1), _columns_by_channel(win))  # (F, N*P)
        y = y.reshape((num_filter, n) + out)
        if bias:
            y += _work(bias[0]).reshape((num_filter, 1) + (1,) * nsp)
        return _batch_major(y, data.dtype)
    cols = _columns(win, g)
    y = np.matmul(w.reshape(g, num_filter // g, cols.shape[2]), cols)  # (N, g, F/g, P)
    y = y.reshape((n, num_filter) + out)
    if bias:
        y += _work(bias[0]).reshape((1, num_filter) + (1,) * nsp)
    return y.astype(data.dtype, copy=False)


def conv_weight_grad(data, grad, *, kernel, stride, dilate, pad, num_group):
    """Weight gradient: windows of data contracted with the output gradient over N and P."""
    nsp = len(kernel)
    stride, dilate, pad = _fill(stride, nsp, 1), _fill(dilate, nsp, 1), _fill(pad, nsp, 0)
    x, dy = _work(data), _work(grad)
    out = dy.shape[2:]
    win = _windows(_padded(x, pad, pad), kernel, stride, dilate)
    win = win[(slice(None), slice(None)) + tuple(slice(0, o) for o in out)]
    n, c = x.shape[:2]
    f, g = dy.shape[1], num_group
    if g == 1:
        dym = np.ascontiguousarray(dy.swapaxes(0, 1)).reshape(f, n * math.prod(out))
        dw = np.matmul(dym, _columns_by_channel(win).T)  # (F, C*K)
        return dw.reshape((f, c) + tuple(kernel)).astype(data.dtype, copy=False)
    cols = _columns(win, g)  # (N, g, Cg*K, P)
    dym = dy.reshape(n, g, f // g, math.prod(out))
    dw = np.einsum("ngfp,ngkp->gfk", dym, cols, optimize=True)
    return dw.reshape((f, c // g) + tuple(kernel)).astype(data.dtype, copy=False)


def deconvolution(data, weight, *bias, kernel, stride, dilate, pad, adj, target_shape,
                  num_filter, num_group, **_):
    """One matmul to columns (N, F, *kernel, *in), then col2im: a strided add per offset."""
    nsp = len(kernel)
    stride, dilate, pad = _fill(stride, nsp, 1), _fill(dilate, nsp, 1), _fill(pad, nsp, 0)
    pad, adj, out = deconv_geometry(data.shape[2:], kernel, stride, dilate, pad, adj,
                                    target_shape)
    x, w = _work(data), _work(weight)
    n, cin = x.shape[:2]
    spatial = x.shape[2:]
    g = num_group
    cg, fg = cin // g, num_filter // g
    full = tuple((s - 1) * st + d * (k - 1) + 1 + a
                 for s, st, d, k, a in zip(spatial, stride, dilate, kernel, adj))
    crop = tuple(slice(p, p + o) for p, o in zip(pad, out))
    if g == 1:  # one GEMM (F*K, C) @ (C, N*P), then col2im on (F, N, ...) planes
        xm = np.ascontiguousarray(x.swapaxes(0, 1)).reshape(cin, n * math.prod(spatial))
        cols = np.matmul(w.reshape(cin, -1).T, xm)
        cols = cols.reshape((num_filter,) + tuple(kernel) + (n,) + tuple(spatial))
        yt = np.zeros((num_filter, n) + full, dtype=cols.dtype)
        for k in itertools.product(*[range(kk) for kk in kernel]):
            key = tuple(slice(ki * d, ki * d + (s - 1) * st + 1, st)
                        for ki, d, s, st in zip(k, dilate, spatial, stride))
            yt[(slice(None), slice(None)) + key] += cols[(slice(None),) + k]
        yt = yt[(slice(None), slice(None)) + crop]
        if bias:
            yt = yt + _work(bias[0]).reshape((num_filter, 1) + (1,) * nsp)
        return _batch_major(yt, data.dtype)
    wm = w.reshape(g, cg, fg * math.prod(kernel)).transpose(0, 2, 1)  # (g, Fg*K, Cg)
    cols = np.matmul(wm, x.reshape(n, g, cg, math.prod(spatial)))  # (N, g, Fg*K, P_in)
    cols = cols.reshape((n, num_filter) + tuple(kernel) + tuple(spatial))
    y = np.zeros((n, num_filter) + full, dtype=cols.dtype)
    for k in itertools.product(*[range(kk) for kk in kernel]):
        key = tuple(slice(ki * d, ki * d + (s - 1) * st + 1, st)
                    for ki, d, s, st in zip(k, dilate, spatial, stride))
        y[(slice(None), slice(None)) + key] += cols[(slice(None), slice(None)) + k]
    y = y[(slice(None), slice(None)) + crop]
    if bias:
        y = y + _work(bias[0]).reshape((1, num_filter) + (1,) * nsp)
    return np.ascontiguousarray(y, dtype=data.dtype)


def _offsets(xp: np.ndarray, kernel: Ints, stride: Ints, out: Ints):
    """Strided slices of ``xp``, one per kernel offset, each shaped (N, C, *out)."""
    for k in itertools.product(*[range(kk) for kk in kernel]):
        key = tuple(slice(ki, ki + (o - 1) * s + 1, s) for ki, o, s in zip(k, out, stride))
        yield xp[(slice(None), slice(None)) + key]


def _divisor(shape: Sequence[int], kernel: Ints, stride: Ints, lo: Ints, hi: Ints, pad: Ints,
             out: Ints, include_pad: bool) -> Any:
    if all(b == p and h == p for b, h, p in zip(lo, hi, pad)) and (include_pad or not any(pad)):
        return math.prod(kernel)
    ones = np.ones((1, 1) + tuple(shape[2:]))
    if include_pad:
        ones = _padded(ones, pad, pad, 1.0)
        ones = _padded(ones, [b - p for b, p in zip(lo, pad)], [h - p for h, p in zip(hi, pad)])
    else:
        ones = _padded(ones, lo, hi)
    count = sum(_offsets(ones, kernel, stride, out))
    return np.maximum(count, 1.0)


def pooling(data, *, kernel, pool_type, global_pool, pooling_convention, stride, pad, p_value,
            count_include_pad, **_):
    """Max/avg/sum/lp pooling: an element-wise reduction over one strided slice per offset."""
    nsp = data.ndim - 2
    x = _work(data) if pool_type != "max" else data
    if global_pool:
        axes = tuple(range(2, data.ndim))
        if pool_type == "max":
            return data.max(axis=axes, keepdims=True)
        if pool_type in ("sum", "avg") or p_value == 1:
            y = x.mean(axis=axes, keepdims=True) if pool_type == "avg" else \
                x.sum(axis=axes, keepdims=True)
            return y.astype(data.dtype, copy=False)
    kernel, stride, lo, hi, out = pool_geometry(data.shape, kernel, global_pool,
                                                pooling_convention, stride, pad)
    if pool_type == "max":
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        acc = None
        for part in _offsets(_padded(x, lo, hi, fill), kernel, stride, out):
            acc = part.copy() if acc is None else np.maximum(acc, part, out=acc)
        return acc
    power = p_value if pool_type == "lp" else 1
    acc = np.zeros(x.shape[:2] + out, dtype=x.dtype)
    for part in _offsets(_padded(x, lo, hi), kernel, stride, out):
        acc += part if power == 1 else (part * part if power == 2 else part * part * part)
    if power == 2:
        acc = np.sqrt(acc, out=acc)
    elif power == 3:
        acc = np.cbrt(acc, out=acc)
    elif pool_type == "avg":
        include = True if count_include_pad is None else count_include_pad
        pad = (0,) * nsp if global_pool else _fill(pad, nsp, 0)
        acc /= _divisor(data.shape, kernel, stride, lo, hi, pad, out, include)
    return acc.astype(data.dtype, copy=False)


def _tiled_scatter_max(og: np.ndarray, data: np.ndarray, kernel: Ints, out: Ints) -> np.ndarray:
    """Max-pool gradient when windows tile the input exactly (stride = kernel, no pad).

    Seen as (N, C, o0, k0, o1, k1, ...), each kernel offset is a plain strided slice: one
    pass per offset finds the window maximum, a second sends the gradient to the first
    position holding it (as MXNet), writing straight into the result.
    """
    n, c = data.shape[:2]
    tiles = data.reshape((n, c) + tuple(d for o, k in zip(out, kernel) for d in (o, k)))
    grad = np.zeros(tiles.shape, dtype=og.dtype)

    def at(array: np.ndarray, offset: Sequence[int]) -> np.ndarray:
        return array[(slice(None), slice(None))
                     + tuple(i for k in offset for i in (slice(None), k))]

    offsets = list(itertools.product(*[range(k) for k in kernel]))
    best = at(tiles, offsets[0]).copy()
    for offset in offsets[1:]:
        np.maximum(best, at(tiles, offset), out=best)
    taken = np.zeros(best.shape, dtype=bool)
    for offset in offsets:
        hit = at(tiles, offset) == best
        hit &= ~taken
        taken |= hit
        np.multiply(og, hit, out=at(grad, offset))
    return grad.reshape(data.shape)


def pool_scatter_max(og, data, *, kernel, global_pool, pooling_convention, stride, pad, **_):
    """Max-pooling gradient: each window's gradient goes to its first maximum.

    One pass per kernel offset over (N, C, *out) arrays, instead of an argmax over window
    axes and index arithmetic.
    """
    kernel, stride, lo, hi, out = pool_geometry(data.shape, kernel, global_pool,
                                                pooling_convention, stride, pad)
    if (tuple(stride) == tuple(kernel) and not any(lo) and not any(hi)
            and all(o * k == n for o, k, n in zip(out, kernel, data.shape[2:]))):
        return _tiled_scatter_max(og, data, kernel, out)
    fill = -np.inf if data.dtype.kind == "f" else np.iinfo(data.dtype).min
    xp = _padded(data, lo, hi, fill)
    best = None
    for part in _offsets(xp, kernel, stride, out):
        best = part.copy() if best is None else np.maximum(best, part, out=best)
    grad = np.zeros(xp.shape, dtype=og.dtype)
    taken = np.zeros(best.shape, dtype=bool)
    for part, target in zip(_offsets(xp, kernel, stride, out),
                            _offsets(grad, kernel, stride, out)):
        hit = part == best
        hit &= ~taken
        taken |= hit
        target += np.where(hit, og, og.dtype.type(0))
    key = tuple(slice(b, b + n) for b, n in zip(lo, data.shape[2:]))
    return np.ascontiguousarray(grad[(slice(None), slice(None)) + key])


def batch_norm(data, gamma, beta, moving_mean, moving_var, *, eps, momentum, fix_gamma,
               use_global_stats, axis, is_train=False, **_):
    """Batch statistics in two passes over the data and one fused scale-and-shift."""
    ax = axis % data.ndim
    red = tuple(i for i in range(data.ndim) if i != ax)
    c = data.shape[ax]
    bshape = (1,) * ax + (c,) + (1,) * (data.ndim - ax - 1)
    x = _work(data)
    wt = x.dtype
    batch = is_train and not use_global_stats
    if batch:
        mean = x.mean(axis=red, keepdims=True) if x.size else np.zeros(bshape, wt)
        xc = x - mean
        var = np.mean(np.square(xc), axis=red, keepdims=True) if x.size else mean.copy()
    else:
        mean = moving_mean.astype(wt).reshape(bshape)
        var = moving_var.astype(wt).reshape(bshape)
        xc = x - mean
    invstd = 1.0 / np.sqrt(var + wt.type(eps))
    scale = invstd if fix_gamma else invstd * gamma.astype(wt).reshape(bshape)
    xc *= scale
    xc += beta.astype(wt).reshape(bshape)
    sdt = moving_mean.dtype
    result = (xc.astype(data.dtype, copy=False), mean.reshape(c).astype(sdt),
              invstd.reshape(c).astype(sdt))
    if not batch:
        return result
    new_mean = moving_mean * sdt.type(momentum) + mean.reshape(c).astype(sdt) * (1 - momentum)
    new_var = moving_var * sdt.type(momentum) + var.reshape(c).astype(sdt) * (1 - momentum)
    return result + (new_mean.astype(sdt, copy=False),
                     new_var.astype(moving_var.dtype, copy=False))


KERNELS: dict = {
    "Convolution": convolution,
    "_conv_weight_grad": conv_weight_grad,
    "Deconvolution": deconvolution,
    "Pooling": pooling,
    "_pool_scatter_max": pool_scatter_max,
    "BatchNorm": batch_norm,
}
