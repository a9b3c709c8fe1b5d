"""Indexing kernels: take, gather_nd, deterministic scatter-adds (one work-item owns each
target run, so duplicates accumulate in index order without atomics) and setitem."""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence

import numpy as np

from .array import CLArray
from .codegen import ctype, elementwise, new_array, pragmas
from .movement import as_contiguous, basic_view, broadcast_to, reshape

__all__ = ["make", "setitem"]

_TAKE = """
__kernel void k(long n, long J, long A, long Q, __global T* out, __global const T* x,
                long x_off, __global const long* idx, long i_off) {
    long gid = get_global_id(0);
    if (gid >= n) return;
    long q = gid % Q, t = gid / Q, j = t % J, p = t / J;
    out[gid] = x[x_off + (p * A + idx[i_off + j]) * Q + q];
}
"""
_GATHER_ND = """
__kernel void k(long n, long J, long Q, int M, __global const long* geo, __global T* out,
                __global const T* x, long x_off, __global const long* idx, long i_off) {
    long gid = get_global_id(0);
    if (gid >= n) return;
    long q = gid % Q, j = gid / Q, o = x_off + q;
    for (int m = 0; m < M; ++m) o += idx[i_off + m * J + j] * geo[m];
    out[gid] = x[o];
}
"""
_SCATTER = """
__kernel void k(long n, long J, long A, long Q, __global T* out, __global const long* idx,
                long i_off, __global const T* upd, long u_off) {
    long gid = get_global_id(0);
    if (gid >= n) return;
    long q = gid % Q, p = gid / Q;
    for (long j = 0; j < J; ++j)
        out[(p * A + idx[i_off + j]) * Q + q] += upd[u_off + (p * J + j) * Q + q];
}
"""
_SCATTER_ND = """
__kernel void k(long n, long J, int M, __global const long* geo, __global T* out,
                __global const long* idx, long i_off, __global const T* upd, long u_off) {
    long q = get_global_id(0);
    if (q >= n) return;
    for (long j = 0; j < J; ++j) {
        long o = q;
        for (int m = 0; m < M; ++m) o += idx[i_off + m * J + j] * geo[m];
        out[o] += upd[u_off + j * n + q];
    }
}
"""
_PUT = """
__kernel void k(long n, __global T* x, __global const long* offs, __global const T* v) {
    long gid = get_global_id(0);
    if (gid >= n) return;
    x[offs[gid]] = v[gid];
}
"""


def _kernel(rt: Any, name: str, src: str, dtype: Any) -> Any:
    t = ctype(dtype)
    return rt.kernel((name, t), lambda: pragmas(rt) + f"typedef {t} T;\n" + src)


def _prod(shape: Sequence[int]) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def take(x: CLArray, indices: CLArray, axis: int) -> CLArray:
    rt = x.rt
    x = as_contiguous(x)
    idx = as_contiguous(indices)
    shape = x.shape[:axis] + idx.shape + x.shape[axis + 1:]
    out = new_array(rt, shape, x.dtype)
    if out.size:
        q = _prod(x.shape[axis + 1:])
        rt.run(_kernel(rt, "take", _TAKE, x.dtype), out.size,
               [np.int64(out.size), np.int64(idx.size), np.int64(x.shape[axis]), np.int64(q),
                out.buf, x.buf, np.int64(x.offset), idx.buf, np.int64(idx.offset)])
    return out


def gather_nd(x: CLArray, indices: CLArray) -> CLArray:
    rt = x.rt
    x = as_contiguous(x)
    idx = as_contiguous(indices)
    m = idx.shape[0]
    shape = idx.shape[1:] + x.shape[m:]
    out = new_array(rt, shape, x.dtype)
    if out.size:
        rt.run(_kernel(rt, "gather_nd", _GATHER_ND, x.dtype), out.size,
               [np.int64(out.size), np.int64(_prod(idx.shape[1:])),
                np.int64(_prod(x.shape[m:])), np.int32(m), rt.geometry(x.strides[:m]),
                out.buf, x.buf, np.int64(x.offset), idx.buf, np.int64(idx.offset)])
    return out


def _copy(x: CLArray) -> CLArray:
    return elementwise(x.rt, "a", [x], x.dtype)


def scatter_add(x: CLArray, axis: int, indices: CLArray, updates: CLArray) -> CLArray:
    rt = x.rt
    out = _copy(x)
    idx = as_contiguous(indices)
    upd = as_contiguous(updates)
    p, q = _prod(x.shape[:axis]), _prod(x.shape[axis + 1:])
    if p * q and idx.size:
        rt.run(_kernel(rt, "scatter", _SCATTER, x.dtype), p * q,
               [np.int64(p * q), np.int64(idx.size), np.int64(x.shape[axis]), np.int64(q),
                out.buf, idx.buf, np.int64(idx.offset), upd.buf, np.int64(upd.offset)])
    return out


def scatter_nd_add(x: CLArray, indices: CLArray, updates: CLArray) -> CLArray:
    rt = x.rt
    out = _copy(x)
    idx = as_contiguous(indices)
    upd = as_contiguous(updates)
    m = idx.shape[0]
    q = _prod(x.shape[m:])
    j = _prod(idx.shape[1:])
    if q and j:
        rt.run(_kernel(rt, "scatter_nd", _SCATTER_ND, x.dtype), q,
               [np.int64(q), np.int64(j), np.int32(m), rt.geometry(out.strides[:m]), out.buf,
                idx.buf, np.int64(idx.offset), upd.buf, np.int64(upd.offset)])
    return out


def _fit(value: Any, shape: Sequence[int]) -> Any:
    if isinstance(value, CLArray):
        while value.ndim > len(shape) and value.shape[0] == 1:
            value = reshape(value, value.shape[1:])
    return value


def setitem(x: CLArray, key: Sequence[Any], value: Any) -> CLArray:
    """Write ``value`` into ``x[key]`` in place (ints, slices and int64 index arrays)."""
    rt = x.rt
    key = tuple(Ellipsis if e is Ellipsis else e for e in key)
    if any(e is Ellipsis for e in key):
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (x.ndim - len(key) + 1) + key[i + 1:]
    if isinstance(value, CLArray) and value.buf is x.buf:
        value = _copy(value)
    if not any(isinstance(e, CLArray) for e in key):
        view = basic_view(x, key)
        value = _fit(value, view.shape)
        if isinstance(value, np.generic):
            value = value.item()
        elementwise(rt, "a", [value], x.dtype, out=view, compute=x.dtype)
        return x
    _advanced_put(x, key, value)
    return x


def _advanced_put(x: CLArray, key: Sequence[Any], value: Any) -> None:
    rt = x.rt
    key = tuple(key) + (slice(None),) * (x.ndim - len(key))
    arrays = [e for e in key if isinstance(e, CLArray)]
    bshape = tuple(np.broadcast_shapes(*[a.shape for a in arrays]))
    adv = [i for i, e in enumerate(key) if not isinstance(e, slice)]
    adjacent = adv == list(range(adv[0], adv[0] + len(adv)))
    slices = [(i, e) for i, e in enumerate(key) if isinstance(e, slice)]
    before = sum(1 for i, _ in slices if i < adv[0]) if adjacent else 0
    counts = [len(range(*e.indices(x.shape[i]))) for i, e in slices]
    target = tuple(counts[:before]) + bshape + tuple(counts[before:])
    nt = len(target)
    base = x.offset + sum(int(e) * x.strides[i] for i, e in enumerate(key)
                          if not isinstance(e, (slice, CLArray)))
    offs = elementwise(rt, "a", [base], np.int64, shape=target, compute=np.int64)
    for k, (i, e) in enumerate(slices):
        start, _, step = e.indices(x.shape[i])
        comp = elementwise(rt, "(T)(s0 + gid * s1)", [], np.int64, shape=(counts[k],),
                           compute=np.int64, extra="long s0, long s1",
                           extra_values=(np.int64(start * x.strides[i]),
                                         np.int64(step * x.strides[i])))
        pos = k if k < before else k + len(bshape)
        shape = [1] * nt
        shape[pos] = counts[k]
        offs = elementwise(rt, "a + b", [offs, reshape(comp, shape)], np.int64, out=offs)
    for i, e in enumerate(key):
        if isinstance(e, CLArray):
            scaled = elementwise(rt, "a * (long)s", [e], np.int64, extra="long s",
                                 extra_values=(np.int64(x.strides[i]),))
            full = reshape(scaled, (1,) * (len(bshape) - e.ndim) + e.shape)
            shape = [1] * before + list(full.shape) + [1] * (nt - before - len(bshape))
            offs = elementwise(rt, "a + b", [offs, reshape(full, shape)], np.int64, out=offs)
    value = _fit(value, target)
    if isinstance(value, np.generic):
        value = value.item()
    vals = elementwise(rt, "a", [value if not isinstance(value, CLArray)
                                 else broadcast_to(value, target)], x.dtype, shape=target,
                       compute=x.dtype)
    if vals.size:
        rt.run(_kernel(rt, "put", _PUT, x.dtype), vals.size,
               [np.int64(vals.size), x.buf, offs.buf, vals.buf])


def make(rt: Any) -> Dict[str, Callable]:
    return {"take": take, "gather_nd": gather_nd, "scatter_add": scatter_add,
            "scatter_nd_add": scatter_nd_add, "setitem": setitem}
