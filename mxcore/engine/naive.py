"""The synchronous engine: every operation runs at once, in the calling thread."""

from __future__ import annotations

from typing import Any, Callable, Sequence

__all__ = ["NaiveEngine"]


class NaiveEngine:
    """Runs each pushed function immediately; errors raise at the call site."""

    is_async = False
    name = "NaiveEngine"

    def push(self, fn: Callable[[], None], ctx: Any, reads: Sequence[Any],
             writes: Sequence[Any]) -> None:
        fn()

    def wait_for(self, array: Any) -> None:
        return None

    def wait_all(self) -> None:
        for backend in _used_backends():
            backend.synchronize(0)


def _used_backends():
    from ..context import Context

    seen = []
    for ctx in list(Context._interned.values()):
        backend = ctx._backend
        if backend is not None and backend not in seen:
            seen.append(backend)
    return seen
