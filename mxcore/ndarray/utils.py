"""Python-level helpers of ``mx.nd`` that pick an op by argument kind (array or scalar)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..base import MXNetTypeError
from ..ops.registry import OPS
from .invoke import invoke
from .ndarray import NDArray

__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "modulo", "power",
           "maximum", "minimum", "equal", "not_equal", "greater", "greater_equal", "lesser",
           "lesser_equal", "logical_and", "logical_or", "logical_xor", "hypot"]


def _scalar(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.generic))


def _ufunc(array_op: str, scalar_op: str, rscalar_op: str, scalar_fn):
    aop, sop, rop = OPS[array_op], OPS[scalar_op], OPS[rscalar_op]

    def fn(lhs: Any, rhs: Any) -> Any:
        if isinstance(lhs, NDArray) and isinstance(rhs, NDArray):
            return invoke(aop, (lhs, rhs))
        if isinstance(lhs, NDArray) and _scalar(rhs):
            return invoke(sop, (lhs,), {"scalar": float(rhs)})
        if _scalar(lhs) and isinstance(rhs, NDArray):
            return invoke(rop, (rhs,), {"scalar": float(lhs)})
        if _scalar(lhs) and _scalar(rhs):
            return scalar_fn(lhs, rhs)
        raise MXNetTypeError(f"{array_op}: unsupported operand types "
                             f"{type(lhs).__name__} and {type(rhs).__name__}")

    fn.__name__ = array_op
    fn.__doc__ = f"``{array_op}`` for arrays, its scalar form when one side is a number."
    return fn


def _flip(cmp):
    return lambda a, b: cmp(b, a)


add = _ufunc("broadcast_add", "_plus_scalar", "_plus_scalar", lambda a, b: a + b)
subtract = _ufunc("broadcast_sub", "_minus_scalar", "_rminus_scalar", lambda a, b: a - b)
multiply = _ufunc("broadcast_mul", "_mul_scalar", "_mul_scalar", lambda a, b: a * b)
divide = _ufunc("broadcast_div", "_div_scalar", "_rdiv_scalar", lambda a, b: a / b)
true_divide = divide
modulo = _ufunc("broadcast_mod", "_mod_scalar", "_rmod_scalar", lambda a, b: a % b)
power = _ufunc("broadcast_power", "_power_scalar", "_rpower_scalar", lambda a, b: a ** b)
maximum = _ufunc("broadcast_maximum", "_maximum_scalar", "_maximum_scalar", max)
minimum = _ufunc("broadcast_minimum", "_minimum_scalar", "_minimum_scalar", min)
hypot = _ufunc("broadcast_hypot", "_hypot_scalar", "_hypot_scalar",
               lambda a, b: float(np.hypot(a, b)))
equal = _ufunc("broadcast_equal", "_equal_scalar", "_equal_scalar",
               lambda a, b: float(a == b))
not_equal = _ufunc("broadcast_not_equal", "_not_equal_scalar", "_not_equal_scalar",
                   lambda a, b: float(a != b))
greater = _ufunc("broadcast_greater", "_greater_scalar", "_lesser_scalar",
                 lambda a, b: float(a > b))
greater_equal = _ufunc("broadcast_greater_equal", "_greater_equal_scalar",
                       "_lesser_equal_scalar", lambda a, b: float(a >= b))
lesser = _ufunc("broadcast_lesser", "_lesser_scalar", "_greater_scalar",
                lambda a, b: float(a < b))
lesser_equal = _ufunc("broadcast_lesser_equal", "_lesser_equal_scalar",
                      "_greater_equal_scalar", lambda a, b: float(a <= b))
logical_and = _ufunc("broadcast_logical_and", "_logical_and_scalar", "_logical_and_scalar",
                     lambda a, b: float(bool(a) and bool(b)))
logical_or = _ufunc("broadcast_logical_or", "_logical_or_scalar", "_logical_or_scalar",
                    lambda a, b: float(bool(a) or bool(b)))
logical_xor = _ufunc("broadcast_logical_xor", "_logical_xor_scalar", "_logical_xor_scalar",
                     lambda a, b: float(bool(a) != bool(b)))
