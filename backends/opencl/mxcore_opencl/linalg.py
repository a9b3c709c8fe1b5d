"""Matrix products: a tiled (local-memory) batched matmul over any strides, broadcasting
the batch axes; the fused FullyConnected adds the bias in the same kernel."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np
import pyopencl as cl

from .array import CLArray
from .codegen import ctype, new_array, pragmas
from .movement import as_contiguous

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

_BLOCKED = """
#define CW VW
__kernel void k(long M, long N, long K, int nb, __global const long* geo, __global T* c,
                __global const T* a, long a_off, long a_r, long a_c,
                __global const T* b, long b_off, long b_r,
                __global const T* bias, long bias_off, long bias_s, int has_bias) {
    long col = get_global_id(0) * CW, row = get_global_id(1) * RB, z = get_global_id(2);
    if (col >= N || row >= M) return;
    long r = z, ao = a_off, bo = b_off;
    for (int d = nb - 1; d >= 0; --d) {
        long sh = geo[d]; long cc = r % sh; r /= sh;
        ao += cc * geo[nb + d]; bo += cc * geo[2 * nb + d];
    }
    __global T* cz = c + z * M * N;
    __global const T* ar[RB];
    for (int i = 0; i < RB; ++i) ar[i] = a + ao + min(row + i, M - 1) * a_r;
    if (col + CW <= N) {
        V s[RB];
        for (int i = 0; i < RB; ++i) s[i] = 0;
        __global const T* bp = b + bo + col;
        for (long q = 0; q < K; ++q) {
            __global const T* bq = bp + q * b_r;
            V bv = VLOAD(0, bq);
            long qa = q * a_c;
            for (int i = 0; i < RB; ++i) {
                T av = ar[i][qa];
                s[i] += av * bv;
            }
        }
        T bb[CW];
        for (int j = 0; j < CW; ++j) bb[j] = has_bias ? bias[bias_off + (col + j) * bias_s] : 0;
        V b0 = VLOAD(0, bb);
        for (int i = 0; i < RB; ++i) {
            if (row + i >= M) break;
            __global T* dst = cz + (row + i) * N + col;
            VSTORE(s[i] + b0, 0, dst);
        }
        return;
    }
    for (long j = col; j < N; ++j) {
        T s[RB];
        for (int i = 0; i < RB; ++i) s[i] = 0;
        for (long q = 0; q < K; ++q) {
            T bv = b[bo + q * b_r + j];
            long qa = q * a_c;
            for (int i = 0; i < RB; ++i) s[i] += ar[i][qa] * bv;
        }
        T bb = has_bias ? bias[bias_off + j * bias_s] : (T)0;
        for (int i = 0; i < RB; ++i)
            if (row + i < M) cz[(row + i) * N + j] = s[i] + bb;
    }
}
"""


def _block_shape(rt: Any, dtype: np.dtype) -> "tuple[int, int]":
    """(vector width, rows) of one work-item's block: the device's native vector width for
    the dtype (4..16 lanes) and 8 rows on CPUs, 4 elsewhere."""
    dev = rt.device
    native = {"f": dev.native_vector_width_double if dtype.itemsize == 8
              else dev.native_vector_width_float}.get(dtype.kind)
    if native is None:
        native = {1: dev.native_vector_width_char, 4: dev.native_vector_width_int,
                  8: dev.native_vector_width_long}.get(dtype.itemsize, 4)
    width = max(4, min(16, int(native) or 4))
    width = 1 << (width.bit_length() - 1)
    return width, (8 if dev.type & cl.device_type.CPU else 4)


def _blocked(a: CLArray, b: CLArray, out: CLArray, batch: tuple, geo: Any,
             bias: Optional[CLArray]) -> None:
    """Each work-item computes a 4x8 block with 8-wide vector FMAs (no local memory:
    fastest on CPU devices, fine on GPUs)."""
    rt = a.rt
    m, kk = a.shape[-2:]
    n = b.shape[-1]
    t = ctype(a.dtype)
    VW, RB = _block_shape(rt, a.dtype)
    kern = rt.kernel(("matmul_blocked", t, VW, RB), lambda: pragmas(rt)
                     + f"typedef {t} T; typedef {t}{VW} V;\n"
                     f"#define VW {VW}\n#define RB {RB}\n#define VLOAD vload{VW}\n"
                     f"#define VSTORE vstore{VW}\n" + _BLOCKED)
    nbatch = int(np.prod(batch, dtype=np.int64)) if batch else 1
    g0, g1 = (n + VW - 1) // VW, (m + RB - 1) // RB
    l0, l1 = min(8, g0), min(8, g1)
    g0, g1 = (g0 + l0 - 1) // l0 * l0, (g1 + l1 - 1) // l1 * l1
    bias_arr = bias if bias is not None else a
    kern(rt.queue, (g0, g1, nbatch), (l0, l1, 1), np.int64(m), np.int64(n), np.int64(kk),
         np.int32(len(batch)), geo, out.buf, a.buf, np.int64(a.offset),
         np.int64(a.strides[-2]), np.int64(a.strides[-1]), b.buf, np.int64(b.offset),
         np.int64(b.strides[-2]), bias_arr.buf, np.int64(bias_arr.offset),
         np.int64(bias_arr.strides[-1] if bias is not None else 0),
         np.int32(bias is not None))


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
    if a.dtype.kind in "fiu" and a.dtype != np.float16:
        if b.strides[-1] != 1 and b.shape[-1] > 1:
            b = as_contiguous(b)
        geo = rt.geometry(list(batch) + _batch_strides(a, batch) + _batch_strides(b, batch))
        _blocked(a, b, out, batch, geo, bias)
        return out
    t = ctype(a.dtype)
    acc = "float" if t == "half" else t
    store = "(uchar)(acc != 0)" if a.dtype.kind == "b" else "(T)acc"
    kern = rt.kernel(("matmul", t), lambda: pragmas(rt) + f"typedef {t} T; typedef {acc} A;\n"
                     + _SRC.replace("STORE", store))

    geo = rt.geometry(list(batch) + _batch_strides(a, batch) + _batch_strides(b, batch))
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


def _batch_strides(x: CLArray, batch: tuple) -> list:
    lead = len(batch) - (x.ndim - 2)
    st = [0] * lead
    for n_, xn, s in zip(batch[lead:], x.shape[:-2], x.strides[:-2]):
        st.append(s if xn == n_ and xn != 1 else 0)
    return st


def make(rt: Any) -> Dict[str, Callable]:
    return {"matmul": lambda a, b: matmul(a, b)}
