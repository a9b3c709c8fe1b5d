"""Random kernels on a counter-based generator (Philox4x32-10): item ``i`` of call ``c``
draws from the stream keyed by the seed with counter ``(i, c, n)``, so results depend only on
the seed and the call sequence. Gamma and Poisson use per-item rejection loops."""

from __future__ import annotations

from typing import Any, Callable, Dict

import numpy as np

from . import reduce
from .array import CLArray
from .codegen import elementwise

__all__ = ["make"]

_RNG = """
typedef struct { uint k0, k1, c0, c1, c2, c3; uint b[4]; int left; } rng_t;
void rng_fill(rng_t* g) {
    uint k0 = g->k0, k1 = g->k1, x0 = g->c0, x1 = g->c1, x2 = g->c2, x3 = g->c3;
    for (int i = 0; i < 10; ++i) {
        uint h0 = mul_hi(0xD2511F53u, x0), l0 = 0xD2511F53u * x0;
        uint h1 = mul_hi(0xCD9E8D57u, x2), l1 = 0xCD9E8D57u * x2;
        x0 = h1 ^ x1 ^ k0; x1 = l1; x2 = h0 ^ x3 ^ k1; x3 = l0;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    g->b[0] = x0; g->b[1] = x1; g->b[2] = x2; g->b[3] = x3;
    g->left = 4; g->c3 += 1;
}
void rng_init(rng_t* g, uint k0, uint k1, uint call, long item) {
    g->k0 = k0; g->k1 = k1; g->c0 = (uint)item; g->c1 = (uint)(item >> 32);
    g->c2 = call; g->c3 = 0; g->left = 0;
}
uint rng_u32(rng_t* g) { if (g->left == 0) rng_fill(g); g->left -= 1; return g->b[g->left]; }
W rng_u(rng_t* g) {
#ifdef cl_khr_fp64
    ulong v = ((ulong)rng_u32(g) << 32 | rng_u32(g)) >> 11;
    return ((W)v + (W)0.5) * (W)1.1102230246251565e-16;
#else
    return ((W)(rng_u32(g) >> 8) + (W)0.5) * (W)5.960464477539063e-08;
#endif
}
W rng_normal(rng_t* g) {
    W u1 = rng_u(g), u2 = rng_u(g);
    return sqrt((W)-2 * log(u1)) * cos((W)6.283185307179586 * u2);
}
W rng_gamma(rng_t* g, W alpha) {
    if (!(alpha > 0)) return 0;
    W boost = 1;
    if (alpha < 1) { boost = pow(rng_u(g), (W)1 / alpha); alpha += 1; }
    W d = alpha - (W)1 / 3, c = (W)1 / sqrt(9 * d);
    for (;;) {
        W x, v;
        do { x = rng_normal(g); v = 1 + c * x; } while (v <= 0);
        v = v * v * v;
        W u = rng_u(g);
        if (u < 1 - (W)0.0331 * x * x * x * x) return d * v * boost;
        if (log(u) < (W)0.5 * x * x + d * (1 - v + log(v))) return d * v * boost;
    }
}
W rng_poisson(rng_t* g, W lam) {
    if (!(lam > 0)) return 0;
    if (lam < 10) {
        W limit = exp(-lam), p = 1;
        long k = -1;
        do { k += 1; p *= rng_u(g); } while (p > limit);
        return (W)k;
    }
    W slam = sqrt(lam), loglam = log(lam), b = (W)0.931 + (W)2.53 * slam;
    W a = (W)-0.059 + (W)0.02483 * b, inva = (W)1.1239 + (W)1.1328 / (b - (W)3.4);
    W vr = (W)0.9277 - (W)3.6224 / (b - 2);
    for (;;) {
        W u = rng_u(g) - (W)0.5, v = rng_u(g), us = (W)0.5 - fabs(u);
        W k = floor((2 * a / us + b) * u + lam + (W)0.43);
        if (us >= (W)0.07 && v <= vr) return k;
        if (k < 0 || (us < (W)0.013 && v > us)) continue;
        if (log(v) + log(inva) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1))
            return k;
    }
}
W mx_uniform(uint k0, uint k1, uint call, long i, W lo, W hi) {
    rng_t g; rng_init(&g, k0, k1, call, i); return lo + (hi - lo) * rng_u(&g);
}
W mx_normal(uint k0, uint k1, uint call, long i, W loc, W scale) {
    rng_t g; rng_init(&g, k0, k1, call, i); return loc + scale * rng_normal(&g);
}
long mx_randint(uint k0, uint k1, uint call, long i, long lo, long hi) {
    rng_t g; rng_init(&g, k0, k1, call, i);
    ulong span = (ulong)(hi - lo);
    ulong v = ((ulong)rng_u32(&g) << 32) | rng_u32(&g);
    return lo + (long)(v % span);
}
W mx_gamma(uint k0, uint k1, uint call, long i, W alpha, W scale) {
    rng_t g; rng_init(&g, k0, k1, call, i); return rng_gamma(&g, alpha) * scale;
}
W mx_poisson(uint k0, uint k1, uint call, long i, W lam) {
    rng_t g; rng_init(&g, k0, k1, call, i); return rng_poisson(&g, lam);
}
long mx_bits(uint k0, uint k1, uint call, long i) {
    rng_t g; rng_init(&g, k0, k1, call, i);
    return (long)(((ulong)rng_u32(&g) << 31) ^ rng_u32(&g));
}
"""
_EXTRA = "uint k0, uint k1, uint call"


def _param(x: Any) -> Any:
    if isinstance(x, CLArray):
        return x
    return float(x.item() if isinstance(x, np.generic) else x)


def make(rt: Any) -> Dict[str, Callable]:
    wdt = np.float64 if rt.fp64 else np.float32

    def draw(fn: str, params: list, shape: Any, dtype: Any, rng: Any, compute=wdt) -> CLArray:
        shape = tuple(int(s) for s in shape) if shape is not None else ()
        args = ", ".join(["k0, k1, call, gid"] + [f"(W){v}" if compute is wdt else v
                                                  for v in "ab"[:len(params)]])
        return elementwise(rt, f"{fn}({args})", params, np.dtype(dtype), shape=shape,
                           compute=compute, preamble=_RNG, extra=_EXTRA,
                           extra_values=rng.next_call())

    def uniform(rng, low, high, shape, dtype):
        return draw("mx_uniform", [_param(low), _param(high)], shape, dtype, rng)

    def normal(rng, loc, scale, shape, dtype):
        return draw("mx_normal", [_param(loc), _param(scale)], shape, dtype, rng)

    def randint(rng, low, high, shape, dtype):
        return draw("mx_randint", [int(low), int(high)], shape, dtype, rng,
                    compute=np.int64)

    def gamma(rng, alpha, beta, shape, dtype):
        return draw("mx_gamma", [_param(alpha), _param(beta)], shape, dtype, rng)

    def poisson(rng, lam, shape, dtype):
        return draw("mx_poisson", [_param(lam)], shape, dtype, rng)

    argsort = reduce.make(rt)["argsort"]

    def permutation(rng, n):
        keys = draw("mx_bits", [], (int(n),), np.int64, rng, compute=np.int64)
        return argsort(keys, 0, False)

    return {"random_uniform": uniform, "random_normal": normal, "random_randint": randint,
            "random_gamma": gamma, "random_poisson": poisson,
            "random_permutation": permutation}
