"""``mx.name``: automatic names for symbols (``fullyconnected0``, ``fullyconnected1`` ...).

>>> with mx.name.Prefix("net_"):
...     mx.name.NameManager.current.get(None, "dense")
'net_dense0'
"""

from __future__ import annotations

import threading
from typing import Dict, Optional

__all__ = ["NameManager", "Prefix"]

_LOCAL = threading.local()


def _stack() -> list:
    """This thread's managers, innermost last (a default one at the bottom)."""
    stack = getattr(_LOCAL, "stack", None)
    if not stack:
        stack = _LOCAL.stack = [NameManager()]
    return stack


class _CurrentDescriptor:
    """``NameManager.current``: the innermost manager of this thread."""

    def __get__(self, obj: object, owner: type) -> "NameManager":
        return _stack()[-1]


class NameManager:
    """Gives each unnamed symbol ``hint + counter``; counters are per manager and per hint.

    Use as a context manager to start fresh counters inside a block.
    """

    current = _CurrentDescriptor()

    def __init__(self) -> None:
        self._counter: Dict[str, int] = {}

    def get(self, name: Optional[str], hint: str) -> str:
        """``name`` if given, else the next ``hint<N>``."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f"{hint}{count}"

    def __enter__(self) -> "NameManager":
        _stack().append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _stack().pop()


class Prefix(NameManager):
    """A manager that prepends ``prefix`` to every name it gives (explicit names included)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def get(self, name: Optional[str], hint: str) -> str:
        return self._prefix + super().get(name, hint)
