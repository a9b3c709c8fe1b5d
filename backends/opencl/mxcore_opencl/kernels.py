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


_NAMESPACES: dict = {}


def primitive_namespace(rt: Any) -> Any:
    """The primitive kernels of ``rt`` as attributes (``K.add``), for decompositions."""
    ns = _NAMESPACES.get(id(rt))
    if ns is None:
        from types import SimpleNamespace

        from mxcore.backend.primitives import PRIMITIVES

        table = make_kernels(rt)
        ns = _NAMESPACES[id(rt)] = SimpleNamespace(
            **{k: v for k, v in table.items() if k in PRIMITIVES})
    return ns
