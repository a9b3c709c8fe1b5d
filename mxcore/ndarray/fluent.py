"""Fluent methods: ``x.sum(axis=1)`` is ``mx.nd.sum(x, axis=1)``, as in MXNet 1.x."""

from __future__ import annotations

from typing import Callable, Dict

from .ndarray import NDArray

#: MXNet 1.x NDArray methods that forward to the op of the same name
FLUENT = (
    "abs", "sign", "exp", "expm1", "log", "log10", "log2", "log1p", "sqrt", "rsqrt", "cbrt",
    "rcbrt", "square", "reciprocal", "relu", "sigmoid", "softmax", "log_softmax", "softmin",
    "floor", "ceil", "rint", "fix", "round", "trunc", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "degrees", "radians", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "sum", "nansum", "prod", "nanprod", "mean", "max", "min", "norm", "argmax", "argmin",
    "argmax_channel", "clip", "flatten", "expand_dims", "tile", "transpose", "flip", "repeat",
    "pad", "swapaxes", "split", "slice", "slice_axis", "slice_like", "take", "one_hot", "pick",
    "sort", "topk", "argsort", "zeros_like", "ones_like", "broadcast_like", "broadcast_axes",
    "reshape_like", "squeeze", "diag", "erf", "erfinv", "gammaln", "shape_array",
    "size_array", "where",
)


def attach_fluent_methods(functions: Dict[str, Callable]) -> None:
    for name in FLUENT:
        fn = functions.get(name)
        if fn is None or name in NDArray.__dict__:
            continue
        setattr(NDArray, name, _method(fn, name))


def _method(fn: Callable, name: str) -> Callable:
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Same as ``mx.nd.{name}(self, ...)``."
    return method
