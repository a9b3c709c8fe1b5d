"""``mx.AttrScope``: attributes attached to every symbol created inside the scope.

>>> with mx.AttrScope(ctx_group="dev1"):
...     x = mx.sym.Variable("x")
>>> x.attr("ctx_group")
'dev1'
"""

from __future__ import annotations

import threading
from typing import Dict, Optional

from .base import MXNetTypeError

__all__ = ["AttrScope"]

_LOCAL = threading.local()

#: keys MXNet stores as ``__key__`` (``ctx_group`` is written ``__ctx_group__``)
HIDDEN_KEYS = frozenset(("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage",
                         "profiler_scope"))


def attr_key(key: str) -> str:
    """The stored form of an attribute key (MXNet's hidden keys get double underscores)."""
    return f"__{key}__" if key in HIDDEN_KEYS else key


class _CurrentDescriptor:
    def __get__(self, obj: object, owner: type) -> "AttrScope":
        stack = getattr(_LOCAL, "stack", None)
        if not stack:
            stack = _LOCAL.stack = [AttrScope()]
        return stack[-1]


class AttrScope:
    """String attributes (``ctx_group``, ``lr_mult``, ...) for symbols created in the scope.

    Scopes nest: an inner scope adds to (and overrides) the outer one's attributes.
    """

    current = _CurrentDescriptor()

    def __init__(self, **kwargs: str) -> None:
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise MXNetTypeError(
                    f"AttrScope: attribute {key!r} must be a string, got {value!r}")
        self._attr: Dict[str, str] = dict(kwargs)
        self._old: Optional[AttrScope] = None

    def get(self, attr: Optional[Dict[str, str]]) -> Dict[str, str]:
        """The scope's attributes updated with ``attr`` (the caller's win)."""
        if not self._attr:
            return dict(attr) if attr else {}
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return merged

    def __enter__(self) -> "AttrScope":
        outer = AttrScope.current
        if outer._attr:
            self._attr = dict(outer._attr, **self._attr)
        _LOCAL.stack.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _LOCAL.stack.pop()
