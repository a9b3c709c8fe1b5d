"""A small class registry by lower-cased name, shared by initializers, metrics and optimizers.

Example::

    >>> reg = ClassRegistry(object, "thing")
    >>> @reg.alias("t")
    ... class Thing:
    ...     pass
    >>> reg.get("T") is Thing, reg.names()
    (True, ['t', 'thing'])
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, TypeVar

from .base import MXNetTypeError, MXNetValueError

__all__ = ["ClassRegistry"]

_T = TypeVar("_T", bound=type)


class ClassRegistry:
    """Subclasses of ``base`` by lower-cased class name and aliases (MXNet's ``registry``)."""

    def __init__(self, base: type, kind: str):
        self.base = base
        self.kind = kind
        self.classes: Dict[str, type] = {}

    def register(self, klass: _T) -> _T:
        """Register ``klass`` under its lower-cased class name (usable as a decorator)."""
        if not (isinstance(klass, type) and issubclass(klass, self.base)):
            raise MXNetTypeError(f"register: can only register {self.base.__name__} "
                                 f"subclasses, got {klass!r}")
        self.classes[klass.__name__.lower()] = klass
        return klass

    def alias(self, *aliases: str) -> Callable[[_T], _T]:
        """A decorator registering the class under its name and each of ``aliases``."""

        def decorate(klass: _T) -> _T:
            self.register(klass)
            for name in aliases:
                self.classes[name.lower()] = klass
            return klass

        return decorate

    def get(self, name: str) -> type:
        """The class registered as ``name`` (case-insensitive); MXNetValueError if none."""
        klass = self.classes.get(str(name).lower())
        if klass is None:
            raise MXNetValueError(f"unknown {self.kind} {name!r}; known: "
                                  f"{', '.join(self.names())}")
        return klass

    def create(self, name: str, caller: str, /, *args: Any, **kwargs: Any) -> Any:
        """An instance of the class registered as ``name``; errors name ``caller`` (e.g.
        ``"mx.init.create"``): MXNetValueError for an unknown name, MXNetTypeError for
        arguments the class does not take."""
        try:
            klass = self.get(name)
        except MXNetValueError as exc:
            raise MXNetValueError(f"{caller}: {exc}") from None
        try:
            return klass(*args, **kwargs)
        except TypeError as exc:
            raise MXNetTypeError(f"{caller}: bad arguments for {klass.__name__}: "
                                 f"{exc}") from exc

    def names(self) -> List[str]:
        return sorted(self.classes)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self.classes
