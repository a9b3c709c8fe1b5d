"""``mx.nd.random``: sampling functions with MXNet 1.x's signatures.

Numbers as parameters call the ``_random_*`` op (samples of ``shape`` on ``ctx``); NDArrays
as parameters call the ``_sample_*`` op (``shape`` samples per parameter element, on the
parameters' context). Without ``shape`` and ``out`` one sample is drawn (shape ``(1,)``).

Example::

    >>> import mxcore as mx
    >>> mx.random.seed(42)
    >>> mx.nd.random.uniform(0, 1, shape=(2,)).shape
    (2,)
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..context import Context, _maybe_ctx
from ..ops.registry import OPS
from .invoke import invoke
from .ndarray import NDArray

__all__ = ["uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
           "negative_binomial", "generalized_negative_binomial", "multinomial", "shuffle",
           "uniform_like", "normal_like", "gamma_like", "exponential_like", "poisson_like",
           "negative_binomial_like", "generalized_negative_binomial_like"]


def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.generic)) and not isinstance(x, (bool, np.bool_))


def _call(name: str, inputs: Sequence[NDArray], params: dict, out: Optional[NDArray],
          ctx: Optional[Context], extra: dict) -> NDArray:
    op = OPS[name]
    params = {**params, **{k: v for k, v in extra.items() if k != "name"}}
    attrs = op.parse_attrs({k: v for k, v in params.items() if v is not None})
    return invoke(op, inputs, attrs, out=out, ctx=None if inputs else _maybe_ctx(ctx))


def _sample(dist: str, names: Sequence[str], values: Sequence[Any], shape: Any, dtype: Any,
            ctx: Optional[Context], out: Optional[NDArray], extra: dict) -> NDArray:
    """Dispatch on the parameters' kind: numbers -> ``_random_<dist>``, arrays ->
    ``_sample_<dist>``."""
    if out is not None and not isinstance(out, NDArray):
        raise MXNetTypeError(f"{dist}: out must be an NDArray, got {type(out).__name__}")
    if dtype is None and out is not None:
        dtype = out.dtype
    if isinstance(values[0], NDArray):
        for name, v in zip(names, values):
            if not isinstance(v, NDArray):
                raise MXNetTypeError(
                    f"{dist}: distribution parameters must all be NDArrays or all numbers; "
                    f"{names[0]} is an NDArray, {name} is a {type(v).__name__}")
        params = {"shape": () if shape is None else shape, "dtype": dtype}
        return _call(f"_sample_{dist}", list(values), params, out, None, extra)
    for name, v in zip(names, values):
        if not _is_number(v):
            raise MXNetTypeError(
                f"{dist}: distribution parameters must all be NDArrays or all numbers; "
                f"{name} is a {type(v).__name__}")
    if shape is None:
        shape = out.shape if out is not None else (1,)
    params = dict(zip(names, values), shape=shape, dtype=dtype)
    return _call(f"_random_{dist}", (), params, out, ctx, extra)


def uniform(low: Any = 0, high: Any = 1, shape: Any = None, dtype: Any = None,
            ctx: Optional[Context] = None, out: Optional[NDArray] = None,
            **kwargs: Any) -> NDArray:
    """Samples from the uniform distribution on [low, high)."""
    return _sample("uniform", ("low", "high"), (low, high), shape, dtype, ctx, out, kwargs)


def normal(loc: Any = 0, scale: Any = 1, shape: Any = None, dtype: Any = None,
           ctx: Optional[Context] = None, out: Optional[NDArray] = None,
           **kwargs: Any) -> NDArray:
    """Samples from the normal distribution with mean ``loc`` and deviation ``scale``."""
    return _sample("normal", ("loc", "scale"), (loc, scale), shape, dtype, ctx, out, kwargs)


def randn(*shape: int, **kwargs: Any) -> NDArray:
    """Samples of the given shape from a normal distribution (``loc``, ``scale`` keywords)."""
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", None)
    ctx = kwargs.pop("ctx", None)
    out = kwargs.pop("out", None)
    if not (_is_number(loc) and _is_number(scale)):
        raise MXNetTypeError("randn: loc and scale must be numbers")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return _sample("normal", ("loc", "scale"), (loc, scale), shape or None, dtype, ctx, out,
                   kwargs)


def randint(low: int, high: int, shape: Any = None, dtype: Any = None,
            ctx: Optional[Context] = None, out: Optional[NDArray] = None,
            **kwargs: Any) -> NDArray:
    """Samples integers uniformly from [low, high) (dtype int32 by default, or int64)."""
    if isinstance(low, NDArray) or isinstance(high, NDArray):
        raise MXNetTypeError("randint: low and high must be integers (MXNet has no "
                             "per-element randint)")
    if dtype is None and out is not None:
        dtype = out.dtype
    if shape is None:
        shape = out.shape if out is not None else (1,)
    params = {"low": low, "high": high, "shape": shape, "dtype": dtype}
    return _call("_random_randint", (), params, out, ctx, kwargs)


def exponential(scale: Any = 1, shape: Any = None, dtype: Any = None,
                ctx: Optional[Context] = None, out: Optional[NDArray] = None,
                **kwargs: Any) -> NDArray:
    """Samples from the exponential distribution with mean ``scale`` (rate 1/scale)."""
    if isinstance(scale, NDArray):
        lam = 1.0 / scale
    elif _is_number(scale):
        if scale == 0:
            raise MXNetValueError("exponential: scale must be > 0, got 0")
        lam = 1.0 / scale
    else:
        lam = scale  # _sample reports the bad type
    return _sample("exponential", ("lam",), (lam,), shape, dtype, ctx, out, kwargs)


def gamma(alpha: Any = 1, beta: Any = 1, shape: Any = None, dtype: Any = None,
          ctx: Optional[Context] = None, out: Optional[NDArray] = None,
          **kwargs: Any) -> NDArray:
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``."""
    return _sample("gamma", ("alpha", "beta"), (alpha, beta), shape, dtype, ctx, out, kwargs)


def poisson(lam: Any = 1, shape: Any = None, dtype: Any = None,
            ctx: Optional[Context] = None, out: Optional[NDArray] = None,
            **kwargs: Any) -> NDArray:
    """Samples from the Poisson distribution with rate ``lam`` (float counts)."""
    return _sample("poisson", ("lam",), (lam,), shape, dtype, ctx, out, kwargs)


def negative_binomial(k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None,
                      ctx: Optional[Context] = None, out: Optional[NDArray] = None,
                      **kwargs: Any) -> NDArray:
    """Samples the failures before ``k`` successes with success probability ``p``."""
    return _sample("negative_binomial", ("k", "p"), (k, p), shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(mu: Any = 1, alpha: Any = 1, shape: Any = None,
                                  dtype: Any = None, ctx: Optional[Context] = None,
                                  out: Optional[NDArray] = None, **kwargs: Any) -> NDArray:
    """Samples from the generalized negative binomial distribution (mean ``mu``,
    dispersion ``alpha``)."""
    return _sample("generalized_negative_binomial", ("mu", "alpha"), (mu, alpha), shape,
                   dtype, ctx, out, kwargs)


def multinomial(data: NDArray, shape: Any = None, get_prob: bool = False,
                out: Optional[NDArray] = None, dtype: Any = "int32", **kwargs: Any) -> Any:
    """Category indices drawn from the probability rows of ``data`` (last axis).

    The result has shape ``data.shape[:-1] + shape``; with ``get_prob=True`` also the
    log-probability of each drawn index (differentiable with respect to ``data``).
    """
    if not isinstance(data, NDArray):
        raise MXNetTypeError(f"multinomial: data must be an NDArray, got "
                             f"{type(data).__name__}")
    params = {"shape": () if shape is None else shape, "get_prob": get_prob, "dtype": dtype}
    return _call("_sample_multinomial", [data], params, out, None, kwargs)


def shuffle(data: NDArray, **kwargs: Any) -> NDArray:
    """A random permutation of ``data`` along its first axis (a new array)."""
    if not isinstance(data, NDArray):
        raise MXNetTypeError(f"shuffle: data must be an NDArray, got {type(data).__name__}")
    out = kwargs.pop("out", None)
    return _call("_shuffle", [data], {}, out, None, kwargs)


def _like(dist: str, names: Sequence[str]):
    op_name = f"_random_{dist}_like"

    def fn(data: NDArray, *args: Any, out: Optional[NDArray] = None, **kwargs: Any
           ) -> NDArray:
        if not isinstance(data, NDArray):
            raise MXNetTypeError(f"{dist}_like: data must be an NDArray, got "
                                 f"{type(data).__name__}")
        if len(args) > len(names):
            raise MXNetTypeError(f"{dist}_like: too many positional arguments")
        params = dict(zip(names, args))
        params.update({k: kwargs.pop(k) for k in names if k in kwargs})
        return _call(op_name, [data], params, out, None, kwargs)

    fn.__name__ = f"{dist}_like"
    fn.__qualname__ = fn.__name__
    fn.__doc__ = (f"Samples like :func:`{dist}` with the shape (and float dtype) of data; "
                  f"parameters {', '.join(names)}.")
    return fn


uniform_like = _like("uniform", ("low", "high"))
normal_like = _like("normal", ("loc", "scale"))
gamma_like = _like("gamma", ("alpha", "beta"))
exponential_like = _like("exponential", ("lam",))
poisson_like = _like("poisson", ("lam",))
negative_binomial_like = _like("negative_binomial", ("k", "p"))
generalized_negative_binomial_like = _like("generalized_negative_binomial", ("mu", "alpha"))
