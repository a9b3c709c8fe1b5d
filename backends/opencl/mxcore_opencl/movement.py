"""Movement kernels: views where the geometry allows (reshape of contiguous data, transpose,
broadcast, slice, flip, windows), strided copies otherwise (concat, pad)."""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence

import numpy as np
import pyopencl as cl

from .array import CLArray, c_strides
from .codegen import ctype, elementwise, new_array, pragmas

__all__ = ["make", "to_host", "as_contiguous", "basic_view"]


def as_contiguous(x: CLArray) -> CLArray:
    return x if x.contiguous else elementwise(x.rt, "a", [x], x.dtype)


def to_host(x: CLArray) -> np.ndarray:
    host = np.empty(x.shape, dtype=x.dtype)
    if x.size == 0:
        return host
    src = as_contiguous(x)
    cl.enqueue_copy(x.rt.queue, host, src.buf, src_offset=src.offset * x.itemsize,
                    is_blocking=True)
    return host


def reshape(x: CLArray, shape: Sequence[int]) -> CLArray:
    src = as_contiguous(x)
    shape = tuple(int(s) for s in shape)
    return CLArray(x.rt, src.buf, shape, x.dtype, c_strides(shape), src.offset)


def transpose(x: CLArray, axes: Sequence[int]) -> CLArray:
    axes = tuple(axes) if axes is not None else tuple(reversed(range(x.ndim)))
    return x.view([x.shape[a] for a in axes], [x.strides[a] for a in axes], x.offset)


def broadcast_to(x: CLArray, shape: Sequence[int]) -> CLArray:
    shape = tuple(int(s) for s in shape)
    lead = len(shape) - x.ndim
    if lead < 0 or any(xn != n and xn != 1 for xn, n in zip(x.shape, shape[lead:])):
        raise ValueError(f"cannot broadcast shape {x.shape} to {shape}")
    strides = [0] * lead + [s if xn == n else 0
                            for xn, n, s in zip(x.shape, shape[lead:], x.strides)]
    return x.view(shape, strides, x.offset)


def basic_view(x: CLArray, key: Sequence[Any]) -> CLArray:
    """``x[key]`` for a tuple of ints and slices, as a view."""
    shape, strides = [], []
    offset = x.offset
    for axis, e in enumerate(key):
        n, s = x.shape[axis], x.strides[axis]
        if isinstance(e, slice):
            start, stop, step = e.indices(n)
            count = len(range(start, stop, step))
            if count:
                offset += start * s
            shape.append(count)
            strides.append(s * step)
        else:
            i = int(e)
            if i < -n or i >= n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            offset += (i + n if i < 0 else i) * s
    shape += x.shape[len(key):]
    strides += x.strides[len(key):]
    return x.view(shape, strides, offset)


def flip(x: CLArray, axes: Any) -> CLArray:
    if axes is None:
        axes = range(x.ndim)
    elif isinstance(axes, int):
        axes = (axes,)
    key = [slice(None)] * x.ndim
    for a in axes:
        key[a] = slice(None, None, -1)
    return basic_view(x, key)


def concat(arrays: Sequence[CLArray], axis: int) -> CLArray:
    first = arrays[0]
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    out = new_array(first.rt, shape, first.dtype)
    at = 0
    for a in arrays:
        n = a.shape[axis]
        if n and a.size:
            key = [slice(None)] * out.ndim
            key[axis] = slice(at, at + n)
            elementwise(first.rt, "a", [a], out.dtype, out=basic_view(out, key))
        at += n
    return out


_PAD_SRC = """
__kernel void k(long n, int nd, __global const long* geo, __global T* out,
                __global const T* x, long x_off, T value) {
    long gid = get_global_id(0);
    if (gid >= n) return;
    long r = gid, src = x_off;
    int inside = 1;
    for (int d = nd - 1; d >= 0; --d) {
        long on = geo[d], xn = geo[nd + d], st = geo[2 * nd + d], before = geo[3 * nd + d];
        long c = r % on - before; r /= on;
        if (c < 0 || c >= xn) {
            MODE
        }
        src += c * st;
    }
    out[gid] = inside ? x[src] : value;
}
"""
_MODES = {
    "constant": "inside = 0; c = 0;",
    "edge": "c = c < 0 ? 0 : xn - 1;",
    "reflect": ("if (xn == 1) { c = 0; } else { long p = 2 * (xn - 1); c = c % p; "
                "if (c < 0) c += p; if (c >= xn) c = p - c; }"),
}


def pad(x: CLArray, pad_width: Any, mode: str, value: Any) -> CLArray:
    rt = x.rt
    widths = [(int(b), int(a)) for b, a in pad_width]
    shape = [n + b + a for n, (b, a) in zip(x.shape, widths)]
    out = new_array(rt, shape, x.dtype)
    if out.size == 0:
        return out
    if x.size == 0:
        return elementwise(rt, "a", [value if value is not None else 0], x.dtype, out=out,
                           compute=x.dtype)
    src = _PAD_SRC.replace("MODE", _MODES[mode])
    t = ctype(x.dtype)
    kern = rt.kernel(("pad", mode, t), lambda: pragmas(rt) + f"typedef {t} T;\n" + src)
    geo = rt.geometry(list(shape) + list(x.shape) + list(x.strides) + [b for b, _ in widths])
    fill = x.dtype.type(value if value is not None else 0) if x.dtype.kind != "b" \
        else np.uint8(bool(value))
    rt.run(kern, out.size, [np.int64(out.size), np.int32(x.ndim), geo, out.buf, x.buf,
                            np.int64(x.offset), fill])
    return out


def windows(x: CLArray, kernel: Sequence[int], stride: Sequence[int],
            dilation: Sequence[int]) -> CLArray:
    nsp = len(kernel)
    spatial = x.shape[2:]
    out = tuple((spatial[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                for i in range(nsp))
    st = x.strides
    strides = (st[:2] + tuple(st[2 + i] * stride[i] for i in range(nsp))
               + tuple(st[2 + i] * dilation[i] for i in range(nsp)))
    return x.view(x.shape[:2] + out + tuple(kernel), strides, x.offset)


def make(rt: Any) -> Dict[str, Callable]:
    return {"reshape": reshape, "transpose": transpose, "broadcast_to": broadcast_to,
            "slice": lambda x, key: basic_view(x, key), "concat": concat, "pad": pad,
            "flip": flip, "windows": windows}
