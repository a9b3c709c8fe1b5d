"""Row kernels: reductions, arg-reductions, cumulative sums and stable sorts.

The reduced axes are moved last (a view); if they do not collapse into one strided run the
input is copied first. One work-item handles one output row; long rows with few outputs are
split into chunks and reduced in a second pass.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence, Tuple

import numpy as np

from .array import CLArray, collapse
from .codegen import ctype, elementwise, new_array, pragmas, store
from .movement import flip, transpose

__all__ = ["make", "rows"]

_WALK = ("long r = row; long ox = x_off; LOOP_OUT\n"
         "for (int d = nd - 1; d >= 0; --d) { long c = r % geo[d]; r /= geo[d]; "
         "ox += c * geo[nd + d]; LOOP_OUT_STEP }\n")


def rows(x: CLArray, axes: Sequence[int]) -> Tuple[CLArray, tuple, tuple, int, int]:
    """(x, outer shape, outer strides, row length, row stride) with ``axes`` reduced."""
    axes = tuple(sorted(set(axes)))
    kept = [i for i in range(x.ndim) if i not in axes]
    length = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1
    rs = 1
    if length > 1:
        rshape, (rstr,) = collapse([x.shape[a] for a in axes], [x.strides[a] for a in axes])
        if len(rshape) > 1:  # copy with the reduced axes last, where they are one run
            x = elementwise(x.rt, "a", [transpose(x, kept + list(axes))], x.dtype)
            kept, axes = list(range(len(kept))), tuple(range(len(kept), x.ndim))
            rshape, (rstr,) = collapse([x.shape[a] for a in axes],
                                       [x.strides[a] for a in axes])
        rs = rstr[0]
    oshape, (ostr,) = collapse([x.shape[i] for i in kept], [x.strides[i] for i in kept])
    if any(x.shape[i] == 0 for i in kept):
        oshape, ostr = (0,), (0,)
    return x, oshape, ostr, length, rs


def _acc_type(op: str, dtype: np.dtype) -> np.dtype:
    if dtype.kind == "b" and op in ("sum", "prod"):
        return np.dtype(np.int64)
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype


def _init(op: str, dtype: np.dtype) -> str:
    if op == "sum":
        return "0"
    if op == "prod":
        return "1"
    if dtype.kind == "f":
        return "-INFINITY" if op == "max" else "INFINITY"
    if dtype.kind == "b":
        return "0" if op == "max" else "1"
    info = np.iinfo(dtype)
    value = info.min if op == "max" else info.max
    return f"({value + 1}L - 1)" if value < 0 else f"{value}L"


_UPDATE = {"sum": "acc += v;", "prod": "acc *= v;",
           "max": "acc = (v > acc || v != v) ? v : acc;",
           "min": "acc = (v < acc || v != v) ? v : acc;"}

_REDUCE_SRC = """
__kernel void k(long total, long R, long parts, long chunk, int nd, __global const long* geo,
                __global O* out, __global const T* x, long x_off, long rs) {
    long gid = get_global_id(0);
    if (gid >= total) return;
    long row = gid / parts, part = gid % parts;
    WALK
    long j0 = part * chunk, j1 = min(R, j0 + chunk);
    A acc = INIT;
    for (long j = j0; j < j1; ++j) { A v = (A)x[ox + j * rs]; UPDATE }
    out[gid] = STORE;
}
"""


def _reduce_rows(rt: Any, op: str, x: CLArray, oshape, ostr, length: int, rs: int,
                 out_dtype: np.dtype, acc: np.dtype) -> CLArray:
    nrows = int(np.prod(oshape, dtype=np.int64)) if oshape else 1
    parts = 1
    if nrows < 64 and length >= 8192:
        parts = min(256, length // 2048)
    chunk = (length + parts - 1) // parts if parts > 1 else max(length, 1)
    first_out = acc if parts > 1 else out_dtype
    t, a, o = ctype(x.dtype), ctype(acc), ctype(first_out)
    key = ("reduce", op, t, a, o, first_out.kind == "b")
    src = (_REDUCE_SRC.replace("WALK", _WALK.replace("LOOP_OUT_STEP", "")
                               .replace("LOOP_OUT", ""))
           .replace("INIT", _init(op, acc)).replace("UPDATE", _UPDATE[op])
           .replace("STORE", store("acc", first_out)))
    kern = rt.kernel(key, lambda: pragmas(rt) + f"typedef {t} T; typedef {a} A; "
                     f"typedef {o} O;\n" + _no_nan(src, x.dtype))
    out = new_array(rt, (nrows * parts,), first_out)
    geo = rt.geometry(list(oshape) + list(ostr))
    rt.run(kern, nrows * parts, [np.int64(nrows * parts), np.int64(length), np.int64(parts),
                                 np.int64(chunk), np.int32(len(oshape)), geo, out.buf, x.buf,
                                 np.int64(x.offset), np.int64(rs)])
    if parts == 1:
        return out
    return _reduce_rows(rt, op, out, (nrows,), (parts,), parts, 1, out_dtype, acc)


def _no_nan(src: str, dtype: np.dtype) -> str:
    """Drop the NaN tests (``v != v``) from integer kernels (compilers warn about them)."""
    if dtype.kind == "f":
        return src
    return src.replace(" || v != v", "").replace("best == best && ", "")


def _out_shape(shape: Sequence[int], axes: Sequence[int], keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _norm_axes(x: CLArray, axis: Any) -> tuple:
    if axis is None:
        return tuple(range(x.ndim))
    if isinstance(axis, int):
        return (axis,)
    return tuple(axis)


_ARG_SRC = """
__kernel void k(long nrows, long R, int nd, __global const long* geo, __global long* out,
                __global const T* x, long x_off, long rs) {
    long row = get_global_id(0);
    if (row >= nrows) return;
    WALK
    T best = x[ox];
    long bi = 0;
    for (long j = 1; j < R; ++j) {
        T v = x[ox + j * rs];
        if (best == best && (v CMP best || v != v)) { best = v; bi = j; }
    }
    out[row] = bi;
}
"""

_CUMSUM_SRC = """
__kernel void k(long nrows, long R, int nd, __global const long* geo, __global O* out,
                long o_off, long ors, __global const T* x, long x_off, long rs) {
    long row = get_global_id(0);
    if (row >= nrows) return;
    WALK
    A acc = 0;
    for (long j = 0; j < R; ++j) { acc += (A)x[ox + j * rs]; out[oo + j * ors] = STORE; }
}
"""

_SORT_SRC = """
int lt(T u, T v) { return LESS; }
__kernel void k(long nrows, long R, int nd, __global const long* geo, __global long* outi,
                __global T* outv, int values, __global const T* x, long x_off, long rs,
                __global long* scratch) {
    long row = get_global_id(0);
    if (row >= nrows) return;
    WALK
    __global long* a = outi + row * R;
    __global long* b = scratch + row * R;
    for (long i = 0; i < R; ++i) a[i] = i;
    for (long w = 1; w < R; w *= 2) {
        for (long lo = 0; lo < R; lo += 2 * w) {
            long mid = min(lo + w, R), hi = min(lo + 2 * w, R), i = lo, j = mid, t = lo;
            while (i < mid && j < hi) {
                if (lt(x[ox + a[j] * rs], x[ox + a[i] * rs])) b[t++] = a[j++];
                else b[t++] = a[i++];
            }
            while (i < mid) b[t++] = a[i++];
            while (j < hi) b[t++] = a[j++];
        }
        __global long* tmp = a; a = b; b = tmp;
    }
    if (a != outi + row * R) for (long i = 0; i < R; ++i) outi[row * R + i] = a[i];
    if (values) for (long i = 0; i < R; ++i) outv[row * R + i] = x[ox + outi[row * R + i] * rs];
}
"""


def make(rt: Any) -> Dict[str, Callable]:
    def reduction(op: str) -> Callable:
        def kernel(x: CLArray, axis: Any, keepdims: bool) -> CLArray:
            axes = _norm_axes(x, axis)
            shape = _out_shape(x.shape, axes, keepdims)
            xr, oshape, ostr, length, rs = rows(x, axes)
            out = _reduce_rows(rt, op, xr, oshape, ostr, length, rs, x.dtype,
                               _acc_type(op, x.dtype))
            return CLArray(rt, out.buf, shape, x.dtype)
        return kernel

    def arg(cmp: str) -> Callable:
        def kernel(x: CLArray, axis: int, keepdims: bool) -> CLArray:
            if x.shape[axis] == 0:
                raise ValueError("attempt to get argmax/argmin of an empty sequence")
            shape = _out_shape(x.shape, (axis,), keepdims)
            xr, oshape, ostr, length, rs = rows(x, (axis,))
            nrows = int(np.prod(oshape, dtype=np.int64)) if oshape else 1
            t = ctype(x.dtype)
            src = _ARG_SRC.replace("WALK", _WALK.replace("LOOP_OUT_STEP", "")
                                   .replace("LOOP_OUT", "")).replace("CMP", cmp)
            kern = rt.kernel(("arg", cmp, t), lambda: pragmas(rt) + f"typedef {t} T;\n"
                             + _no_nan(src, x.dtype))
            out = new_array(rt, shape, np.int64)
            rt.run(kern, nrows, [np.int64(nrows), np.int64(length), np.int32(len(oshape)),
                                 rt.geometry(list(oshape) + list(ostr)), out.buf, xr.buf,
                                 np.int64(xr.offset), np.int64(rs)])
            return out
        return kernel

    def _moved(x: CLArray, axis: int) -> Tuple[CLArray, tuple]:
        perm = tuple(i for i in range(x.ndim) if i != axis) + (axis,)
        return transpose(x, perm), perm

    def _restore(y: CLArray, perm: tuple) -> CLArray:
        inv = [0] * len(perm)
        for i, p in enumerate(perm):
            inv[p] = i
        return transpose(y, inv)

    def cumsum(x: CLArray, axis: int) -> CLArray:
        out = new_array(rt, x.shape, x.dtype)
        if x.size == 0:
            return out
        xv, perm = _moved(x, axis)
        ov = transpose(out, perm)
        nd = x.ndim - 1
        nrows = int(np.prod(xv.shape[:-1], dtype=np.int64))
        acc = _acc_type("sum", x.dtype)
        t, a, o = ctype(x.dtype), ctype(acc), ctype(x.dtype)
        walk = _WALK.replace("LOOP_OUT_STEP", "oo += c * geo[2 * nd + d];") \
            .replace("LOOP_OUT", "long oo = o_off;")
        src = _CUMSUM_SRC.replace("WALK", walk).replace("STORE", store("acc", x.dtype))
        kern = rt.kernel(("cumsum", t, a), lambda: pragmas(rt) + f"typedef {t} T; typedef {a} "
                         f"A; typedef {o} O;\n" + src)
        geo = rt.geometry(list(xv.shape[:-1]) + list(xv.strides[:-1]) + list(ov.strides[:-1]))
        rt.run(kern, nrows, [np.int64(nrows), np.int64(xv.shape[-1]), np.int32(nd), geo,
                             out.buf, np.int64(0), np.int64(ov.strides[-1]), xv.buf,
                             np.int64(xv.offset), np.int64(xv.strides[-1])])
        return out

    def _sort(x: CLArray, axis: int, values: bool) -> CLArray:
        xv, perm = _moved(x, axis)
        length = xv.shape[-1]
        nrows = int(np.prod(xv.shape[:-1], dtype=np.int64))
        idx = new_array(rt, xv.shape, np.int64)
        vals = new_array(rt, xv.shape if values else (0,), x.dtype)
        if x.size:
            t = ctype(x.dtype)
            less = "(u < v) || (v != v && u == u)" if x.dtype.kind == "f" else "u < v"
            src = _SORT_SRC.replace("WALK", _WALK.replace("LOOP_OUT_STEP", "")
                                    .replace("LOOP_OUT", "")).replace("LESS", less)
            kern = rt.kernel(("sort", t), lambda: pragmas(rt) + f"typedef {t} T;\n" + src)
            scratch = rt.alloc(x.size * 8)
            rt.run(kern, nrows, [np.int64(nrows), np.int64(length), np.int32(x.ndim - 1),
                                 rt.geometry(list(xv.shape[:-1]) + list(xv.strides[:-1])),
                                 idx.buf, vals.buf, np.int32(values), xv.buf,
                                 np.int64(xv.offset), np.int64(xv.strides[-1]), scratch])
        return _restore(vals if values else idx, perm)

    def sort(x: CLArray, axis: int, descending: bool) -> CLArray:
        out = _sort(x, axis, True)
        return flip(out, (axis,)) if descending else out

    def argsort(x: CLArray, axis: int, descending: bool) -> CLArray:
        if not descending:
            return _sort(x, axis, False)
        rev = _sort(flip(x, (axis,)), axis, False)
        n = x.shape[axis]
        return elementwise(rt, "(T)(n1 - a)", [flip(rev, (axis,))], np.int64,
                           extra="long n1", extra_values=(np.int64(n - 1),))

    k = {name: reduction(name) for name in ("sum", "prod", "max", "min")}
    k.update(argmax=arg(">"), argmin=arg("<"), cumsum=cumsum, sort=sort, argsort=argsort)
    return k


