"""The kernel table: every primitive, plus fused kernels for training composites."""

from __future__ import annotations

from typing import Any, Callable, Dict

__all__ = ["make_kernels"]


def make_kernels(rt: Any) -> Dict[str, Callable]:
    from . import elementwise, fused, indexing, linalg, movement, random, reduce

    table: Dict[str, Callable] = {}
    for module in (elementwise, movement, reduce, linalg, indexing, random, fused):
        table.update(module.make(rt))
    return table
