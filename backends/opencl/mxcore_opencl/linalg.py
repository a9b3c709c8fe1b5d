"""Matrix products: a tiled (local-memory) batched matmul over any strides, broadcasting
the batch axes; the fused FullyConnected adds the bias in the same kernel."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np

from .array import CLArray
from .codegen import ctype, new_array, pragmas

__all__ = ["make", "matmul"]

TS = 16
_SRC = """
#define TS %d
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void k(long M, long N, long K, int nb, __global const long* geo, __global T* c,
       __global const T* a, long a_off, long a_r, long a_c,
       __global const T* b, long b_off, long b_r, long b_c,
       __global const T* bias, long bias_off, long bias_s, int has_bias) {
    int lc = get_local_id(0), lr = get_local_id(1);
    long col = get_group_id(0) * TS + lc, row = get_group_id(1) * TS + lr;
    long z = get_global_id(2), r = z, ao = a_off, bo = b_off;
    for (int d = nb - 1; d >= 0; --d) {
        long sh = geo[d]; long cc = r %% sh; r /= sh;
        ao += cc * geo[nb + d]; bo += cc * geo[2 * nb + d];
    }
    __local A As[TS][TS + 1];
    __local A Bs[TS][TS + 1];
    A acc = 0;
    for (long t = 0; t < K; t += TS) {
        As[lr][lc] = (row < M && t + lc < K) ? (A)a[ao + row * a_r + (t + lc) * a_c] : (A)0;
        Bs[lr][lc] = (t + lr < K && col < N) ? (A)b[bo + (t + lr) * b_r + col * b_c] : (A)0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int q = 0; q < TS; ++q) acc += As[lr][q] * Bs[q][lc];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < M && col < N) {
        if (has_bias) acc += (A)bias[bias_off + col * bias_s];
        c[z * M * N + row * N + col] = STORE;
    }
}
""" % TS


def matmul(a: CLArray, b: CLArray, bias: Optional[CLArray] = None) -> CLArray:
    rt = a.rt
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul needs arrays of ndim >= 2, got {a.shape} and {b.shape}")
    m, kk = a.shape[-2:]
    k2, n = b.shape[-2:]
    if kk != k2:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({kk} vs {k2})")
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    out = new_array(rt, batch + (m, n), a.dtype)
    nbatch = int(np.prod(batch, dtype=np.int64)) if batch else 1
    if out.size == 0:
        return out
    t = ctype(a.dtype)
    acc = "float" if t == "half" else t
    store = "(uchar)(acc != 0)" if a.dtype.kind == "b" else "(T)acc"
    kern = rt.kernel(("matmul", t), lambda: pragmas(rt) + f"typedef {t} T; typedef {acc} A;\n"
                     + _SRC.replace("STORE", store))

    def bstrides(x: CLArray) -> list:
        lead = len(batch) - (x.ndim - 2)
        st = [0] * lead
        for n_, xn, s in zip(batch[lead:], x.shape[:-2], x.strides[:-2]):
            st.append(s if xn == n_ and xn != 1 else 0)
        return st

    geo = rt.geometry(list(batch) + bstrides(a) + bstrides(b))
    bias_arr = bias if bias is not None else a
    gm = (m + TS - 1) // TS * TS
    gn = (n + TS - 1) // TS * TS
    kern(rt.queue, (gn, gm, nbatch), (TS, TS, 1), np.int64(m), np.int64(n), np.int64(kk),
         np.int32(len(batch)), geo, out.buf, a.buf, np.int64(a.offset),
         np.int64(a.strides[-2]), np.int64(a.strides[-1]), b.buf, np.int64(b.offset),
         np.int64(b.strides[-2]), np.int64(b.strides[-1]), bias_arr.buf,
         np.int64(bias_arr.offset), np.int64(bias_arr.strides[-1] if bias is not None else 0),
         np.int32(bias is not None))
    return out


def make(rt: Any) -> Dict[str, Callable]:
    return {"matmul": lambda a, b: matmul(a, b)}
