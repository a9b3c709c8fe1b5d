"""Primitive kernels written once against an array namespace ``xp`` (NumPy, CuPy, ...).

``make_kernels(xp)`` returns a kernel table covering every primitive in
:mod:`mxcore.backend.primitives`. The CPU backend binds it to NumPy and the CUDA backend to
CuPy; a backend overrides single entries where it has something faster.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Optional

import numpy as np

__all__ = ["make_kernels", "quiet"]


def quiet(xp: Any) -> Callable[[], Any]:
    """A context-manager factory that silences floating-point warnings for ``xp``."""
    if xp is np:
        return lambda: np.errstate(all="ignore")
    return contextlib.nullcontext


def _is_int(dtype) -> bool:
    return dtype.kind in "iub"


def _special(xp: Any) -> Optional[Any]:
    """scipy.special (NumPy) or cupyx.scipy.special (CuPy), when present."""
    try:
        if xp is np:
            import scipy.special as special
        else:
            import cupyx.scipy.special as special
        return special
    except ImportError:
        return None


def _vectorized(fn: Callable[[float], float]) -> Callable:
    vec = np.frompyfunc(fn, 1, 1)

    def apply(x):
        x = np.asarray(x)
        return vec(x.astype(np.float64)).astype(x.dtype) if x.size else x.copy()

    return apply


def _erfinv_scalar(y: float) -> float:
    """Inverse error function by Newton iteration on math.erf (float64 accurate)."""
    if math.isnan(y) or y < -1 or y > 1:
        return math.nan
    if y == 1:
        return math.inf
    if y == -1:
        return -math.inf
    # Giles' single-precision approximation as a start, then Newton steps
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p = c + p * w
    x = p * y
    for _ in range(3):
        err = math.erf(x) - y
        x -= err / (2.0 / math.sqrt(math.pi) * math.exp(-x * x))
    return x


def make_kernels(xp: Any) -> dict:
    """Build the primitive kernel table for the array namespace ``xp``."""
    q = quiet(xp)
    special = _special(xp)
    k: dict = {}

    def unary(fn):
        def kernel(x):
            with q():
                out = fn(x)
            # NumPy promotes integers to float for transcendental functions; MXNet keeps dtype
            return out if out.dtype == x.dtype else out.astype(x.dtype)
        return kernel

    # -- unary ------------------------------------------------------------------------
    for name in ("negative", "sign", "exp", "log", "log2", "log10", "log1p", "expm1",
                 "sqrt", "square", "floor", "ceil", "rint", "trunc", "sin", "cos", "tan",
                 "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
                 "arctanh"):
        k[name] = unary(getattr(xp, name))
    k["abs"] = xp.abs

    def reciprocal(x):
        with q():
            if _is_int(x.dtype):
                return (1 / x).astype(x.dtype)
            return xp.reciprocal(x)
    k["reciprocal"] = reciprocal

    if special is not None:
        k["erf"] = unary(special.erf)
        k["erfinv"] = unary(special.erfinv)
        k["gammaln"] = unary(special.gammaln)
    else:
        k["erf"] = _vectorized(math.erf)
        k["erfinv"] = _vectorized(_erfinv_scalar)
        k["gammaln"] = _vectorized(lambda v: math.lgamma(v) if v > 0 or v != int(v)
                                   else math.inf)

    # -- predicates ----------------------------------------------------------------------
    for name in ("isnan", "isinf", "isfinite", "logical_not"):
        k[name] = getattr(xp, name)

    # -- binary ---------------------------------------------------------------------------
    k["add"] = xp.add
    k["subtract"] = xp.subtract
    k["multiply"] = xp.multiply
    k["maximum"] = xp.maximum
    k["minimum"] = xp.minimum

    def divide(a, b):
        with q():
            if _is_int(a.dtype):
                out = xp.trunc(xp.true_divide(a, b))
                return xp.where(xp.isfinite(out), out, 0).astype(a.dtype)
            return xp.true_divide(a, b)
    k["divide"] = divide

    def power(a, b):
        with q():
            if _is_int(a.dtype):
                return xp.power(a.astype(xp.float64), b).astype(a.dtype)
            return xp.power(a, b)
    k["power"] = power

    def mod(a, b):
        with q():
            if _is_int(a.dtype):
                return xp.mod(a, b)
            # written out from fmod so every library agrees at infinities (CuPy's mod
            # gives NaN for mod(-1, inf) where NumPy and Python give inf)
            r = xp.fmod(a, b)
            r = xp.where((r != 0) & ((r < 0) != (b < 0)), r + b, r)
            return xp.where(b == 0, xp.zeros((), a.dtype), r).astype(a.dtype)
    k["mod"] = mod
    k["arctan2"] = lambda a, b: _quiet_call(q, xp.arctan2, a, b)
    k["hypot"] = lambda a, b: _quiet_call(q, xp.hypot, a, b)

    # -- comparisons --------------------------------------------------------------------------
    for name in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
                 "logical_and", "logical_or", "logical_xor"):
        k[name] = getattr(xp, name)

    k["where"] = xp.where
    k["cast"] = lambda x, dtype: _quiet_call(q, x.astype, dtype)

    # -- reductions -----------------------------------------------------------------------------
    add_reduce = getattr(xp.add, "reduce", None) if xp is np else None

    def sum_(x, axis, keepdims):
        if add_reduce is not None:  # NumPy: skips np.sum's Python-level wrapper
            return add_reduce(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        return xp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)

    def prod(x, axis, keepdims):
        with q():
            return xp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)

    def max_(x, axis, keepdims):
        return xp.max(x, axis=axis, keepdims=keepdims)

    def min_(x, axis, keepdims):
        return xp.min(x, axis=axis, keepdims=keepdims)

    def argmax(x, axis, keepdims):
        out = xp.argmax(x, axis=axis)
        if keepdims:
            out = xp.expand_dims(out, axis)
        return out.astype(xp.int64)

    def argmin(x, axis, keepdims):
        out = xp.argmin(x, axis=axis)
        if keepdims:
            out = xp.expand_dims(out, axis)
        return out.astype(xp.int64)

    k.update(sum=sum_, prod=prod, max=max_, min=min_, argmax=argmax, argmin=argmin)
    k["cumsum"] = lambda x, axis: xp.cumsum(x, axis=axis, dtype=x.dtype)

    # -- linear algebra ---------------------------------------------------------------------
    k["matmul"] = xp.matmul

    # -- movement ---------------------------------------------------------------------------
    k["reshape"] = lambda x, shape: x.reshape(shape)
    k["transpose"] = lambda x, axes: x.transpose(axes)
    k["broadcast_to"] = xp.broadcast_to
    k["slice"] = lambda x, key: x[key]
    k["concat"] = lambda arrays, axis: xp.concatenate(arrays, axis=axis)

    def pad(x, pad_width, mode, value):
        if mode == "constant":
            return xp.pad(x, pad_width, mode="constant", constant_values=value)
        return xp.pad(x, pad_width, mode=mode)
    k["pad"] = pad
    k["flip"] = lambda x, axes: xp.flip(x, axis=axes)
    k["copy"] = lambda x: xp.array(x, copy=True, order="C")

    as_strided = xp.lib.stride_tricks.as_strided

    def windows(x, kernel, stride, dilation):
        nsp = len(kernel)
        spatial = x.shape[2:]
        out = tuple((spatial[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                    for i in range(nsp))
        st = x.strides
        shape = x.shape[:2] + out + tuple(kernel)
        strides = (st[:2] + tuple(st[2 + i] * stride[i] for i in range(nsp))
                   + tuple(st[2 + i] * dilation[i] for i in range(nsp)))
        return as_strided(x, shape=shape, strides=strides)
    k["windows"] = windows

    # -- indexing ---------------------------------------------------------------------------
    k["take"] = lambda x, indices, axis: xp.take(x, indices, axis=axis)
    k["gather_nd"] = lambda x, indices: x[tuple(indices[i] for i in range(indices.shape[0]))]

    add_at = _add_at(xp)

    def scatter_add(x, axis, indices, updates):
        out = xp.array(x, copy=True)
        key = (slice(None),) * axis + (indices,)
        add_at(out, key, updates)
        return out

    def scatter_nd_add(x, indices, updates):
        out = xp.array(x, copy=True)
        add_at(out, tuple(indices[i] for i in range(indices.shape[0])), updates)
        return out

    def setitem(x, key, value):
        x[key] = value
        return x

    def sort(x, axis, descending):
        out = xp.sort(x, axis=axis)
        return xp.flip(out, axis=axis) if descending else out

    def argsort(x, axis, descending):
        if not descending:
            return xp.argsort(x, axis=axis, kind="stable").astype(xp.int64)
        n = x.shape[axis]
        rev = xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable")
        return (n - 1 - xp.flip(rev, axis=axis)).astype(xp.int64)

    k.update(scatter_add=scatter_add, scatter_nd_add=scatter_nd_add, setitem=setitem,
             sort=sort, argsort=argsort)

    # -- creation ---------------------------------------------------------------------------
    k["full"] = lambda shape, value, dtype: xp.full(shape, value, dtype=dtype)
    k["arange"] = lambda start, stop, step, dtype: xp.arange(start, stop, step).astype(dtype)

    # -- random (NumPy Generator API; other libraries adapt their generator to it) -----------
    def uniform(rng, low, high, shape, dtype):
        return rng.uniform(low, high, size=shape).astype(dtype)

    def normal(rng, loc, scale, shape, dtype):
        return rng.normal(loc, scale, size=shape).astype(dtype)

    def randint(rng, low, high, shape, dtype):
        return rng.integers(low, high, size=shape).astype(dtype)

    def gamma(rng, alpha, beta, shape, dtype):
        return rng.gamma(alpha, beta, size=shape).astype(dtype)

    def poisson(rng, lam, shape, dtype):
        return rng.poisson(lam, size=shape).astype(dtype)

    def permutation(rng, n):
        return rng.permutation(n).astype(xp.int64)

    k.update(random_uniform=uniform, random_normal=normal, random_randint=randint,
             random_gamma=gamma, random_poisson=poisson, random_permutation=permutation)
    return k


def _quiet_call(q, fn, *args):
    with q():
        return fn(*args)


def _add_at(xp: Any) -> Callable:
    """``target[key] += updates`` with duplicates accumulating."""
    if hasattr(xp.add, "at"):  # NumPy, and CuPy >= 13 (which deprecates cupyx.scatter_add)
        return xp.add.at
    import cupyx

    def add_at(target, key, updates):
        cupyx.scatter_add(target, key, updates)

    return add_at
