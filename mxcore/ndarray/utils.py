"""Python-level helpers of ``mx.nd`` that pick an op by argument kind (array or scalar):
``maximum``, ``power``, ``equal`` ... (the table is shared with ``mx.sym``)."""

from __future__ import annotations

from ..ops.registry import OPS
from ..ops.ufunc import UFUNCS, make_ufuncs
from .invoke import invoke
from .ndarray import NDArray

__all__ = list(UFUNCS) + ["true_divide"]

_functions = make_ufuncs(NDArray, lambda op, inputs, attrs: invoke(OPS[op], inputs, attrs))
globals().update(_functions)
true_divide = _functions["divide"]
