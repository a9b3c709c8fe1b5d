"""``mx.nd.random``: sampling functions with MXNet 1.x's signatures.

Numbers as parameters call the ``_random_*`` op (samples of ``shape`` on ``ctx``); NDArrays
as parameters call the ``_sample_*`` op (``shape`` samples per parameter element, on the
parameters' context). Without ``shape`` and ``out`` one sample is drawn (shape ``(1,)``).

The functions are methods of a :class:`Sampler` bound to a frontend — its array type and how
it applies an op — so ``mx.sym.random`` is the same functions over Symbols.

Example::

    >>> import mxcore as mx
    >>> mx.random.seed(42)
    >>> mx.nd.random.uniform(0, 1, shape=(2,)).shape
    (2,)
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..context import Context, _maybe_ctx
from ..ops.registry import OPS
from .invoke import invoke
from .ndarray import NDArray

__all__ = ["Sampler"]  # and every sampling function, added at the end


def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.generic)) and not isinstance(x, (bool, np.bool_))


def _invoke(name: str, inputs: Sequence[NDArray], params: dict, out: Optional[NDArray],
            ctx: Optional[Context], extra: dict) -> NDArray:
    op = OPS[name]
    params = {**params, **{k: v for k, v in extra.items() if k != "name"}}
    attrs = op.parse_attrs({k: v for k, v in params.items() if v is not None})
    return invoke(op, inputs, attrs, out=out, ctx=None if inputs else _maybe_ctx(ctx))


#: call(op name, inputs, params, out, ctx, extra keyword arguments) -> result
Call = Callable[[str, Sequence[Any], dict, Any, Optional[Context], dict], Any]


class Sampler:
    """The sampling functions over one frontend: ``array_type`` (NDArray or Symbol) is what
    counts as a per-element parameter, ``call`` applies an op."""

    def __init__(self, array_type: type, call: Call, kind: str, supports_out: bool = True):
        self.array_type = array_type
        self.call = call
        self.kind = kind
        self.supports_out = supports_out

    def _check_out(self, what: str, out: Any) -> None:
        if out is None:
            return
        if not self.supports_out:
            raise MXNetTypeError(f"{what}: out= is not supported for {self.kind}s")
        if not isinstance(out, self.array_type):
            raise MXNetTypeError(f"{what}: out must be an {self.kind}, got "
                                 f"{type(out).__name__}")

    def _require(self, what: str, data: Any) -> None:
        if not isinstance(data, self.array_type):
            raise MXNetTypeError(f"{what}: data must be an {self.kind}, got "
                                 f"{type(data).__name__}")

    def _sample(self, dist: str, names: Sequence[str], values: Sequence[Any], shape: Any,
                dtype: Any, ctx: Optional[Context], out: Any, extra: dict) -> Any:
        """Numbers -> ``_random_<dist>``, arrays -> ``_sample_<dist>``."""
        self._check_out(dist, out)
        if dtype is None and out is not None:
            dtype = out.dtype
        if isinstance(values[0], self.array_type):
            for name, v in zip(names, values):
                if not isinstance(v, self.array_type):
                    raise MXNetTypeError(
                        f"{dist}: distribution parameters must all be {self.kind}s or all "
                        f"numbers; {names[0]} is an {self.kind}, {name} is a "
                        f"{type(v).__name__}")
            params = {"shape": () if shape is None else shape, "dtype": dtype}
            return self.call(f"_sample_{dist}", list(values), params, out, None, extra)
        for name, v in zip(names, values):
            if not _is_number(v):
                raise MXNetTypeError(
                    f"{dist}: distribution parameters must all be {self.kind}s or all "
                    f"numbers; {name} is a {type(v).__name__}")
        if shape is None:
            shape = out.shape if out is not None else (1,)
        params = dict(zip(names, values), shape=shape, dtype=dtype)
        return self.call(f"_random_{dist}", (), params, out, ctx, extra)

    def uniform(self, low: Any = 0, high: Any = 1, shape: Any = None, dtype: Any = None,
                ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
        """Samples from the uniform distribution on [low, high)."""
        return self._sample("uniform", ("low", "high"), (low, high), shape, dtype, ctx, out,
                            kwargs)

    def normal(self, loc: Any = 0, scale: Any = 1, shape: Any = None, dtype: Any = None,
               ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
        """Samples from the normal distribution with mean ``loc`` and deviation ``scale``."""
        return self._sample("normal", ("loc", "scale"), (loc, scale), shape, dtype, ctx, out,
                            kwargs)

    def randn(self, *shape: int, **kwargs: Any) -> Any:
        """Samples of the given shape from a normal distribution (``loc``, ``scale``
        keywords)."""
        loc = kwargs.pop("loc", 0)
        scale = kwargs.pop("scale", 1)
        dtype = kwargs.pop("dtype", None)
        ctx = kwargs.pop("ctx", None)
        out = kwargs.pop("out", None)
        if not (_is_number(loc) and _is_number(scale)):
            raise MXNetTypeError("randn: loc and scale must be numbers")
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._sample("normal", ("loc", "scale"), (loc, scale), shape or None, dtype,
                            ctx, out, kwargs)

    def randint(self, low: int, high: int, shape: Any = None, dtype: Any = None,
                ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
        """Samples integers uniformly from [low, high) (dtype int32 by default, or int64)."""
        if isinstance(low, self.array_type) or isinstance(high, self.array_type):
            raise MXNetTypeError("randint: low and high must be integers (MXNet has no "
                                 "per-element randint)")
        self._check_out("randint", out)
        if dtype is None and out is not None:
            dtype = out.dtype
        if shape is None:
            shape = out.shape if out is not None else (1,)
        params = {"low": low, "high": high, "shape": shape, "dtype": dtype}
        return self.call("_random_randint", (), params, out, ctx, kwargs)

    def exponential(self, scale: Any = 1, shape: Any = None, dtype: Any = None,
                    ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
        """Samples from the exponential distribution with mean ``scale`` (rate 1/scale)."""
        if isinstance(scale, self.array_type):
            lam = 1.0 / scale
        elif _is_number(scale):
            if scale == 0:
                raise MXNetValueError("exponential: scale must be > 0, got 0")
            lam = 1.0 / scale
        else:
            lam = scale  # _sample reports the bad type
        return self._sample("exponential", ("lam",), (lam,), shape, dtype, ctx, out, kwargs)

    def gamma(self, alpha: Any = 1, beta: Any = 1, shape: Any = None, dtype: Any = None,
              ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
        """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``."""
        return self._sample("gamma", ("alpha", "beta"), (alpha, beta), shape, dtype, ctx, out,
                            kwargs)

    def poisson(self, lam: Any = 1, shape: Any = None, dtype: Any = None,
                ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
        """Samples from the Poisson distribution with rate ``lam`` (float counts)."""
        return self._sample("poisson", ("lam",), (lam,), shape, dtype, ctx, out, kwargs)

    def negative_binomial(self, k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None,
                          ctx: Optional[Context] = None, out: Any = None,
                          **kwargs: Any) -> Any:
        """Samples the failures before ``k`` successes with success probability ``p``."""
        return self._sample("negative_binomial", ("k", "p"), (k, p), shape, dtype, ctx, out,
                            kwargs)

    def generalized_negative_binomial(self, mu: Any = 1, alpha: Any = 1, shape: Any = None,
                                      dtype: Any = None, ctx: Optional[Context] = None,
                                      out: Any = None, **kwargs: Any) -> Any:
        """Samples from the generalized negative binomial distribution (mean ``mu``,
        dispersion ``alpha``)."""
        return self._sample("generalized_negative_binomial", ("mu", "alpha"), (mu, alpha),
                            shape, dtype, ctx, out, kwargs)

    def multinomial(self, data: Any, shape: Any = None, get_prob: bool = False,
                    out: Any = None, dtype: Any = "int32", **kwargs: Any) -> Any:
        """Category indices drawn from the probability rows of ``data`` (last axis).

        The result has shape ``data.shape[:-1] + shape``; with ``get_prob=True`` also the
        log-probability of each drawn index (differentiable with respect to ``data``).
        """
        self._require("multinomial", data)
        self._check_out("multinomial", out)
        params = {"shape": () if shape is None else shape, "get_prob": get_prob,
                  "dtype": dtype}
        return self.call("_sample_multinomial", [data], params, out, None, kwargs)

    def shuffle(self, data: Any, **kwargs: Any) -> Any:
        """A random permutation of ``data`` along its first axis (a new array)."""
        self._require("shuffle", data)
        out = kwargs.pop("out", None)
        self._check_out("shuffle", out)
        return self.call("_shuffle", [data], {}, out, None, kwargs)

    def like(self, dist: str, names: Sequence[str]) -> Callable[..., Any]:
        """``<dist>_like(data, *params)``: samples with the shape (and float dtype) of data."""
        op_name = f"_random_{dist}_like"

        def fn(data: Any, *args: Any, out: Any = None, **kwargs: Any) -> Any:
            self._require(f"{dist}_like", data)
            self._check_out(f"{dist}_like", out)
            if len(args) > len(names):
                raise MXNetTypeError(f"{dist}_like: too many positional arguments")
            params = dict(zip(names, args))
            params.update({k: kwargs.pop(k) for k in names if k in kwargs})
            return self.call(op_name, [data], params, out, None, kwargs)

        fn.__name__ = f"{dist}_like"
        fn.__qualname__ = fn.__name__
        fn.__doc__ = (f"Samples like :func:`{dist}` with the shape (and float dtype) of "
                      f"data; parameters {', '.join(names)}.")
        return fn

    def functions(self) -> Dict[str, Callable[..., Any]]:
        """Every public sampling function, by name (``__all__`` of a random module)."""
        names = ("uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
                 "negative_binomial", "generalized_negative_binomial", "multinomial",
                 "shuffle")
        fns: Dict[str, Callable[..., Any]] = {n: getattr(self, n) for n in names}
        for dist, params in _LIKE.items():
            fns[f"{dist}_like"] = self.like(dist, params)
        return fns


_LIKE = {"uniform": ("low", "high"), "normal": ("loc", "scale"), "gamma": ("alpha", "beta"),
         "exponential": ("lam",), "poisson": ("lam",), "negative_binomial": ("k", "p"),
         "generalized_negative_binomial": ("mu", "alpha")}

_functions = Sampler(NDArray, _invoke, "NDArray").functions()
globals().update(_functions)
__all__ += list(_functions)
