"""One table of MXNet's "array or scalar" helper functions (``maximum``, ``power`` ...),
shared by ``mx.nd`` and ``mx.sym``: each picks the broadcast op for two arrays and the
``_*_scalar`` op when one side is a number."""

from __future__ import annotations

import numbers
from typing import Any, Callable, Dict, Sequence

import numpy as np

from ..base import MXNetTypeError

__all__ = ["UFUNCS", "make_ufuncs"]

#: public name -> (array op, scalar op, reflected scalar op, Python fallback for two numbers)
UFUNCS: Dict[str, tuple] = {
    "add": ("broadcast_add", "_plus_scalar", "_plus_scalar", lambda a, b: a + b),
    "subtract": ("broadcast_sub", "_minus_scalar", "_rminus_scalar", lambda a, b: a - b),
    "multiply": ("broadcast_mul", "_mul_scalar", "_mul_scalar", lambda a, b: a * b),
    "divide": ("broadcast_div", "_div_scalar", "_rdiv_scalar", lambda a, b: a / b),
    "modulo": ("broadcast_mod", "_mod_scalar", "_rmod_scalar", lambda a, b: a % b),
    "power": ("broadcast_power", "_power_scalar", "_rpower_scalar", lambda a, b: a ** b),
    "maximum": ("broadcast_maximum", "_maximum_scalar", "_maximum_scalar", max),
    "minimum": ("broadcast_minimum", "_minimum_scalar", "_minimum_scalar", min),
    "hypot": ("broadcast_hypot", "_hypot_scalar", "_hypot_scalar",
              lambda a, b: float(np.hypot(a, b))),
    "equal": ("broadcast_equal", "_equal_scalar", "_equal_scalar",
              lambda a, b: float(a == b)),
    "not_equal": ("broadcast_not_equal", "_not_equal_scalar", "_not_equal_scalar",
                  lambda a, b: float(a != b)),
    "greater": ("broadcast_greater", "_greater_scalar", "_lesser_scalar",
                lambda a, b: float(a > b)),
    "greater_equal": ("broadcast_greater_equal", "_greater_equal_scalar",
                      "_lesser_equal_scalar", lambda a, b: float(a >= b)),
    "lesser": ("broadcast_lesser", "_lesser_scalar", "_greater_scalar",
               lambda a, b: float(a < b)),
    "lesser_equal": ("broadcast_lesser_equal", "_lesser_equal_scalar",
                     "_greater_equal_scalar", lambda a, b: float(a <= b)),
    "logical_and": ("broadcast_logical_and", "_logical_and_scalar", "_logical_and_scalar",
                    lambda a, b: float(bool(a) and bool(b))),
    "logical_or": ("broadcast_logical_or", "_logical_or_scalar", "_logical_or_scalar",
                   lambda a, b: float(bool(a) or bool(b))),
    "logical_xor": ("broadcast_logical_xor", "_logical_xor_scalar", "_logical_xor_scalar",
                    lambda a, b: float(bool(a) != bool(b))),
}


def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.generic))


def make_ufuncs(array_type: type, apply: Callable[[str, Sequence[Any], dict], Any]
                ) -> Dict[str, Callable[[Any, Any], Any]]:
    """The helpers for one frontend: ``apply(op_name, inputs, attrs)`` runs or builds an op."""
    functions = {}
    for public, (array_op, scalar_op, rscalar_op, scalar_fn) in UFUNCS.items():
        functions[public] = _ufunc(public, array_type, apply, array_op, scalar_op, rscalar_op,
                                   scalar_fn)
    return functions


def _ufunc(public: str, array_type: type, apply: Callable, array_op: str, scalar_op: str,
           rscalar_op: str, scalar_fn: Callable) -> Callable[[Any, Any], Any]:
    def fn(lhs: Any, rhs: Any) -> Any:
        lhs_array, rhs_array = isinstance(lhs, array_type), isinstance(rhs, array_type)
        if lhs_array and rhs_array:
            return apply(array_op, (lhs, rhs), {})
        if lhs_array and _is_number(rhs):
            return apply(scalar_op, (lhs,), {"scalar": float(rhs)})
        if _is_number(lhs) and rhs_array:
            return apply(rscalar_op, (rhs,), {"scalar": float(lhs)})
        if _is_number(lhs) and _is_number(rhs):
            return scalar_fn(lhs, rhs)
        raise MXNetTypeError(f"{public}: unsupported operand types {type(lhs).__name__} and "
                             f"{type(rhs).__name__}")

    fn.__name__ = public
    fn.__qualname__ = public
    fn.__doc__ = (f"``{array_op}`` for two arrays, ``{scalar_op}`` when one side is a "
                  "number (as MXNet's ``mx.nd``/``mx.sym`` helper of the same name).")
    return fn
