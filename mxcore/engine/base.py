"""The engine interface: run operations, track what each array waits for."""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

__all__ = ["Engine"]


class Engine(Protocol):
    """Schedules work on devices by read/write dependencies.

    ``push`` queues ``fn`` (which computes the arrays in ``writes`` from those in ``reads``).
    An error raised by ``fn`` is kept and re-raised at the next sync point that touches one of
    its outputs (``wait_for``) or at ``wait_all``; the engine stays usable afterwards.
    """

    #: True when ``push`` may return before ``fn`` has run
    is_async: bool

    def push(self, fn: Callable[[], None], ctx: Any, reads: Sequence[Any],
             writes: Sequence[Any]) -> None:
        """Run ``fn`` after the work producing ``reads`` and before later readers of ``writes``."""

    def wait_for(self, array: Any) -> None:
        """Block until ``array`` is computed; raise the error its computation raised."""

    def wait_all(self) -> None:
        """Block until all pushed work is done; raise the first unreported error."""
