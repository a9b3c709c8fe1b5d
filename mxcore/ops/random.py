"""Random sampling operators, as in MXNet 1.x.

Three families, all drawing from the backend's per-device random state (``uses_rng``):

* ``_random_<dist>(params..., shape, dtype)``: scalar parameters, no inputs; the context comes
  from the caller (``ctx=``), like creation ops.
* ``_sample_<dist>(param_arrays..., shape, dtype)``: one distribution per parameter element;
  the output has shape ``param.shape + shape``.
* ``_random_<dist>_like(data, params...)``: scalar parameters, the shape of ``data``.

plus ``_sample_multinomial`` (category indices from probability rows) and ``_shuffle``.
Sampling ops are not differentiable, except the log-probability output of
``_sample_multinomial(get_prob=True)``.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Sequence, Tuple

import numpy as np

from .registry import (
    OpDef,
    Param,
    register_op,
    to_bool,
    to_dtype,
    to_float,
    to_int,
    to_shape,
)

AREA = "random"
_F64 = np.dtype("float64")
_I64 = np.dtype("int64")


def _dtype_or(default: str):
    """A dtype converter where ``None`` means ``default`` (the kind is checked at dispatch,
    so that the error names the backend like every other op error)."""

    def convert(value: Any) -> np.dtype:
        dt = to_dtype(value)
        return np.dtype(default) if dt is None else dt

    convert.__name__ = f"dtype_or_{default}"
    return convert


def _check_dtype(allowed: str, what: str):
    """An OpDef ``check`` accepting dtypes whose kind is in ``allowed``."""

    def check(shapes, dtypes, dtype, **attrs):
        if dtype.kind not in allowed:
            raise TypeError(f"dtype must be {what}, got {dtype}")

    return check


def _check_randint_dtype(shapes, dtypes, dtype, **attrs):
    if dtype.name not in ("int32", "int64"):
        raise TypeError(f"dtype must be int32 or int64, got {dtype}")


_SHAPE = Param("shape", to_shape, (), "shape of the samples")
_FDTYPE = Param("dtype", _dtype_or("float32"), np.dtype("float32"),
                "element type (float16, float32 or float64)")
_CHECK_FLOAT = _check_dtype("f", "float16, float32 or float64")


def _out_shape(shape: Tuple[int, ...]) -> Tuple[int, ...]:
    for d in shape:
        if d < 0:
            raise ValueError(f"negative dimension in shape {shape}")
    return shape if shape else (1,)  # MXNet 1.x ops never return 0-d arrays


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


# -- distributions: checks on scalar parameters and a sampler on scalars or arrays -----------
def _check_uniform(low: float, high: float) -> None:
    _require(low <= high, f"low must be <= high, got low={low}, high={high}")


def _check_normal(loc: float, scale: float) -> None:
    _require(scale > 0, f"scale must be > 0, got {scale}")


def _check_gamma(alpha: float, beta: float) -> None:
    _require(alpha > 0, f"alpha must be > 0, got {alpha}")
    _require(beta > 0, f"beta must be > 0, got {beta}")


def _check_exponential(lam: float) -> None:
    _require(lam > 0, f"lam must be > 0, got {lam}")


def _check_poisson(lam: float) -> None:
    _require(lam >= 0, f"lam must be >= 0, got {lam}")


def _check_negative_binomial(k: float, p: float) -> None:
    _require(k > 0, f"k must be > 0, got {k}")
    _require(0 < p <= 1, f"p must be in (0, 1], got {p}")


def _check_gen_negative_binomial(mu: float, alpha: float) -> None:
    _require(mu >= 0, f"mu must be >= 0, got {mu}")
    _require(alpha >= 0, f"alpha must be >= 0, got {alpha}")


def _sample_uniform(K, rng, shape, dtype, low, high):
    return K.random_uniform(rng, low, high, shape, dtype)


def _sample_normal(K, rng, shape, dtype, loc, scale):
    return K.random_normal(rng, loc, scale, shape, dtype)


def _sample_gamma(K, rng, shape, dtype, alpha, beta):
    return K.random_gamma(rng, alpha, beta, shape, dtype)


def _sample_exponential(K, rng, shape, dtype, lam):
    scale = K.reciprocal(lam) if hasattr(lam, "shape") else 1.0 / lam
    return K.random_gamma(rng, 1.0, scale, shape, dtype)


def _sample_poisson(K, rng, shape, dtype, lam):
    return K.random_poisson(rng, lam, shape, dtype)


def _sample_negative_binomial(K, rng, shape, dtype, k, p):
    # failures before the k-th success: Poisson(Gamma(k, (1 - p) / p))
    if hasattr(p, "shape"):
        scale = K.divide(K.subtract(K.full((), 1.0, _F64), p), p)
    else:
        scale = (1.0 - p) / p
    lam = K.random_gamma(rng, k, scale, shape, _F64)
    return K.random_poisson(rng, lam, shape, dtype)


def _sample_gen_negative_binomial(K, rng, shape, dtype, mu, alpha):
    # Poisson(Gamma(1 / alpha, alpha * mu)); alpha == 0 is Poisson(mu)
    if not hasattr(alpha, "shape"):  # scalar parameters
        if alpha == 0:
            return K.random_poisson(rng, mu, shape, dtype)
        lam = K.random_gamma(rng, 1.0 / alpha, alpha * mu, shape, _F64)
        return K.random_poisson(rng, lam, shape, dtype)
    positive = K.greater(alpha, K.full((), 0.0, _F64))
    safe = K.where(positive, alpha, K.full((), 1.0, _F64))
    lam = K.random_gamma(rng, K.reciprocal(safe), K.multiply(safe, mu), shape, _F64)
    lam = K.where(K.broadcast_to(positive, shape), lam, K.broadcast_to(mu, shape))
    return K.random_poisson(rng, lam, shape, dtype)


# name: (parameter names, defaults, scalar check, sampler, doc)
_DISTRIBUTIONS: Dict[str, tuple] = {
    "uniform": (("low", "high"), (0.0, 1.0), _check_uniform, _sample_uniform,
                "uniform distribution on [low, high)"),
    "normal": (("loc", "scale"), (0.0, 1.0), _check_normal, _sample_normal,
               "normal distribution with mean loc and standard deviation scale"),
    "gamma": (("alpha", "beta"), (1.0, 1.0), _check_gamma, _sample_gamma,
              "gamma distribution with shape alpha and scale beta"),
    "exponential": (("lam",), (1.0,), _check_exponential, _sample_exponential,
                    "exponential distribution with rate lam (mean 1/lam)"),
    "poisson": (("lam",), (1.0,), _check_poisson, _sample_poisson,
                "Poisson distribution with rate lam (counts as floats)"),
    "negative_binomial": (("k", "p"), (1, 1.0), _check_negative_binomial,
                          _sample_negative_binomial,
                          "negative binomial distribution: failures before k successes "
                          "with success probability p"),
    "generalized_negative_binomial": (("mu", "alpha"), (1.0, 1.0),
                                      _check_gen_negative_binomial,
                                      _sample_gen_negative_binomial,
                                      "generalized negative binomial distribution with mean "
                                      "mu and dispersion alpha"),
}


def _scalar_param(name: str, default: Any) -> Param:
    convert = to_int if isinstance(default, int) else to_float
    return Param(name, convert, default)


def _random_op(dist: str) -> OpDef:
    names, defaults, check, sampler, doc = _DISTRIBUTIONS[dist]

    def compute(K, rng, shape, dtype, **params):
        values = [params[n] for n in names]
        check(*values)
        return sampler(K, rng, _out_shape(shape), dtype, *values)

    params = [_scalar_param(n, d) for n, d in zip(names, defaults)] + [_SHAPE, _FDTYPE]
    return OpDef(f"_random_{dist}", (), params, compute=compute, uses_rng=True, area=AREA,
                 check=_CHECK_FLOAT,
                 aliases=(f"random_{dist}",) + ((dist,) if dist in ("uniform", "normal")
                                                 else ()),
                 doc=f"Samples from a {doc}.")


def _sample_op(dist: str) -> OpDef:
    names, _, _, sampler, doc = _DISTRIBUTIONS[dist]

    def compute(K, *arrays, rng, shape, dtype):
        first = arrays[0].shape
        for name, a in zip(names, arrays):
            if a.shape != first:
                raise ValueError(f"parameter arrays must have one shape; {names[0]} has "
                                 f"{first}, {name} has {a.shape}")
        for d in shape:
            if d < 0:
                raise ValueError(f"negative dimension in shape {shape}")
        expanded = first + (1,) * len(shape)
        values = [K.reshape(K.cast(a, _F64), expanded) for a in arrays]
        return sampler(K, rng, first + tuple(shape), dtype, *values)

    return OpDef(f"_sample_{dist}", names, (_SHAPE, _FDTYPE), compute=compute, uses_rng=True,
                 area=AREA, aliases=(f"sample_{dist}",), check=_CHECK_FLOAT,
                 doc=f"Samples from a {doc}, one distribution per element of the "
                     "parameter arrays; the output has shape param.shape + shape.")


def _like_op(dist: str) -> OpDef:
    names, defaults, check, sampler, doc = _DISTRIBUTIONS[dist]

    def compute(K, data, rng, **params):
        values = [params[n] for n in names]
        check(*values)
        dtype = data.dtype if data.dtype.kind == "f" else np.dtype("float32")
        return sampler(K, rng, tuple(data.shape), dtype, *values)

    params = [_scalar_param(n, d) for n, d in zip(names, defaults)]
    return OpDef(f"_random_{dist}_like", ("data",), params, compute=compute, uses_rng=True,
                 area=AREA, doc=f"Samples from a {doc}, in the shape and dtype of data.")


for _dist in _DISTRIBUTIONS:
    register_op(_random_op(_dist))
    register_op(_sample_op(_dist))
    register_op(_like_op(_dist))


# -- randint ---------------------------------------------------------------------------------
def _randint(K, rng, low, high, shape, dtype):
    _require(low < high, f"low must be < high, got low={low}, high={high}")
    info = np.iinfo(dtype)
    _require(info.min <= low and high - 1 <= info.max,
             f"[low, high) = [{low}, {high}) does not fit {dtype}")
    return K.random_randint(rng, low, high, _out_shape(shape), dtype)


register_op(OpDef("_random_randint", (), (
    Param("low", to_int), Param("high", to_int), _SHAPE,
    Param("dtype", _dtype_or("int32"), np.dtype("int32"), "int32 or int64")),
    compute=_randint, uses_rng=True, area=AREA, aliases=("random_randint",),
    check=_check_randint_dtype,
    doc="Samples integers uniformly from [low, high)."))


# -- multinomial -----------------------------------------------------------------------------
def _multinomial_shape(data_shape: Tuple[int, ...], shape: Tuple[int, ...]) -> Tuple[int, ...]:
    if len(data_shape) == 1:
        return shape if shape else (1,)
    return tuple(data_shape[:-1]) + tuple(shape)


def _multinomial(K, data, rng, shape, get_prob, dtype):
    if data.ndim < 1 or data.shape[-1] < 1:
        raise ValueError(f"data must have a last axis of at least one category, got shape "
                         f"{tuple(data.shape)}")
    for d in shape:
        if d < 0:
            raise ValueError(f"negative dimension in shape {shape}")
    k = data.shape[-1]
    out_shape = _multinomial_shape(tuple(data.shape), tuple(shape))
    rows = math.prod(data.shape[:-1])
    draws = math.prod(shape) if shape else 1
    probs = K.reshape(K.cast(data, _F64), (rows, 1, k))
    cdf = K.cumsum(probs, 2)
    total = K.slice(cdf, (slice(None), slice(None), slice(k - 1, k)))
    # rows that do not sum to one are normalised (MXNet assumed they do)
    u = K.multiply(K.random_uniform(rng, 0.0, 1.0, (rows, draws, 1), _F64), total)
    index = K.sum(K.cast(K.less_equal(cdf, u), _I64), (2,), False)
    index = K.minimum(index, np.int64(k - 1))
    samples = K.cast(K.reshape(index, out_shape), dtype)
    if not get_prob:
        return samples
    categories = K.reshape(K.arange(0, k, 1, _I64), (1, 1, k))
    chosen = K.equal(K.reshape(index, (rows, draws, 1)), categories)
    picked = K.sum(K.where(chosen, probs, K.full((), 0.0, _F64)), (2,), False)
    logp = K.cast(K.reshape(K.log(picked), out_shape), data.dtype)
    return samples, logp


def _multinomial_grad(F, inputs, outputs, out_grads, shape, get_prob, dtype):
    if not get_prob:
        return [None]
    data = inputs[0]
    index, og = outputs[0], out_grads[1]
    k = data.shape[-1]
    rows = math.prod(data.shape[:-1])
    draws = index.size // rows if rows else 0
    index = F.reshape(F.Cast(index, dtype=data.dtype), shape=(rows, draws, 1))
    categories = F.reshape(F.arange(0, k, dtype=data.dtype, ctx=data.context), shape=(1, 1, k))
    onehot = F.broadcast_equal(index, categories)
    weight = F.broadcast_mul(onehot, F.reshape(og, shape=(rows, draws, 1)))
    counts = F.reshape(F.sum(weight, axis=1), shape=data.shape)
    return [counts / data]


register_op(OpDef("_sample_multinomial", ("data",), (
    _SHAPE, Param("get_prob", to_bool, False, "also return the log-probability of each "
                  "sample"),
    Param("dtype", _dtype_or("int32"), np.dtype("int32"), "dtype of the indices (not bool)")),
    compute=_multinomial, gradient=_multinomial_grad, uses_rng=True, area=AREA,
    check=_check_dtype("iuf", "an integer or float type"),
    num_outputs=lambda attrs: 2 if attrs["get_prob"] else 1, aliases=("sample_multinomial",),
    doc="Draws category indices from the probability rows along the last axis of data; the "
        "output has shape data.shape[:-1] + shape. The log-probability output "
        "(get_prob=True) is differentiable with respect to data."))


# -- shuffle ---------------------------------------------------------------------------------
def _shuffle(K, data, rng):
    if data.ndim == 0:
        return K.copy(data)
    return K.take(data, K.random_permutation(rng, data.shape[0]), 0)


register_op(OpDef("_shuffle", ("data",), (), compute=_shuffle, uses_rng=True, area=AREA,
                  aliases=("shuffle",),
                  doc="A random permutation of data along its first axis."))

#: the ops of this module, for docs and the conformance report
RANDOM_OPS: Sequence[str] = tuple(
    [f"_random_{d}" for d in _DISTRIBUTIONS] + [f"_sample_{d}" for d in _DISTRIBUTIONS]
    + [f"_random_{d}_like" for d in _DISTRIBUTIONS]
    + ["_random_randint", "_sample_multinomial", "_shuffle"])
