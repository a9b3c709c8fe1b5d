"""``mx.sym.random``: the sampling functions of ``mx.nd.random`` over Symbols.

Numbers as parameters give a ``_random_*`` node (``shape`` samples); Symbols as parameters
give a ``_sample_*`` node (``shape`` samples per parameter element). ``ctx`` is ignored, as
for any symbol; ``out=`` has no meaning for a graph.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..context import Context
from ..ndarray.random import Sampler
from .symbol import Symbol

__all__ = ["Sampler"]  # and every sampling function, added at the end


def _apply(name: str, inputs: Sequence[Any], params: dict, out: Any,
           ctx: Optional[Context], extra: dict) -> Symbol:
    from .. import symbol

    params = {k: v for k, v in {**params, **extra}.items() if v is not None}
    return getattr(symbol, name)(*inputs, **params)


_functions = Sampler(Symbol, _apply, "Symbol", supports_out=False).functions()
globals().update(_functions)
__all__ += list(_functions)
