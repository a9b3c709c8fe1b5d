"""Fluent methods: ``s.reshape(shape=(2, -1))`` is ``mx.sym.reshape(s, shape=(2, -1))``."""

from __future__ import annotations

from typing import Callable, Dict

from ..ndarray.fluent import FLUENT
from .symbol import Symbol

__all__ = ["attach_fluent_methods"]

_EXTRA = ("reshape", "astype", "broadcast_to", "expand_dims", "flatten")


def attach_fluent_methods(functions: Dict[str, Callable]) -> None:
    for name in FLUENT + _EXTRA:
        fn = functions.get("cast" if name == "astype" else name)
        if fn is None or name in Symbol.__dict__:
            continue
        setattr(Symbol, name, _method(fn, name))


def _method(fn: Callable, name: str) -> Callable:
    if name == "astype":
        def method(self, dtype, *args, **kwargs):
            return fn(self, dtype=dtype, **kwargs)
    else:
        def method(self, *args, **kwargs):
            return fn(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Same as ``mx.sym.{name}(self, ...)``."
    return method
