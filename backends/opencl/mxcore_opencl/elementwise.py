"""Unary, predicate, binary, compare, select, cast and creation kernels: one table of C
expressions per family, all compiled by :func:`.codegen.elementwise`.

Float inputs compute in their own type; integer inputs of transcendental functions compute
in ``W`` (double where the device has it) and convert back, as NumPy does before MXNet's cast.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict

import numpy as np

from .array import CLArray
from .codegen import elementwise, new_array

__all__ = ["make"]

#: name -> (float expression, integer expression); ``None`` integer means "via W"
UNARY = {
    "negative": ("-a", "-a"), "abs": ("fabs(a)", "(T)abs(a)"),
    "sign": ("(isnan(a) ? a : (T)((a > 0) - (a < 0)))", "(T)((a > 0) - (a < 0))"),
    "exp": ("exp(a)", None), "log": ("log(a)", None), "log2": ("log2(a)", None),
    "log10": ("log10(a)", None), "log1p": ("log1p(a)", None), "expm1": ("expm1(a)", None),
    "sqrt": ("sqrt(a)", None), "square": ("a * a", "a * a"),
    "reciprocal": ("(T)1 / a", "(a == 0 ? (T)0 : (T)(1 / a))"),
    "floor": ("floor(a)", "a"), "ceil": ("ceil(a)", "a"), "rint": ("rint(a)", "a"),
    "trunc": ("trunc(a)", "a"), "sin": ("sin(a)", None), "cos": ("cos(a)", None),
    "tan": ("tan(a)", None), "arcsin": ("asin(a)", None), "arccos": ("acos(a)", None),
    "arctan": ("atan(a)", None), "sinh": ("sinh(a)", None), "cosh": ("cosh(a)", None),
    "tanh": ("tanh(a)", None), "arcsinh": ("asinh(a)", None),
    "arccosh": ("acosh(a)", None), "arctanh": ("atanh(a)", None), "erf": ("erf(a)", None),
    "erfinv": ("mx_erfinv((W)a)", None), "gammaln": ("lgamma(a)", None),
}
PREDICATE = {
    "isnan": ("isnan(a)", "0"), "isinf": ("isinf(a)", "0"), "isfinite": ("isfinite(a)", "1"),
    "logical_not": ("a == 0", "a == 0"),
}
BINARY = {
    "add": ("a + b", "a + b"), "subtract": ("a - b", "a - b"), "multiply": ("a * b", "a * b"),
    "divide": ("a / b", "(b == 0 ? (T)0 : b == -1 ? (T)(-a) : (T)(a / b))"),
    "power": ("pow(a, b)", "pow((W)a, (W)b)"),
    "maximum": ("mx_max(a, b)", "(a > b ? a : b)"), "minimum": ("mx_min(a, b)", "(a < b ? a : b)"),
    "mod": ("mx_fmod(a, b)", "mx_imod(a, b)"), "arctan2": ("atan2(a, b)", "atan2((W)a, (W)b)"),
    "hypot": ("hypot(a, b)", "hypot((W)a, (W)b)"),
}
COMPARE = {
    "equal": "a == b", "not_equal": "a != b", "greater": "a > b", "greater_equal": "a >= b",
    "less": "a < b", "less_equal": "a <= b", "logical_and": "(a != 0) && (b != 0)",
    "logical_or": "(a != 0) || (b != 0)", "logical_xor": "(a != 0) != (b != 0)",
}
_BOOL = np.dtype(bool)


def _int_via_w(expr: str) -> str:
    return expr.replace("(a)", "((W)a)")


def _scalar_like(value: Any, dtype: np.dtype) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def make(rt: Any) -> Dict[str, Callable]:
    k: Dict[str, Callable] = {}

    def unary(fexpr: str, iexpr: Any) -> Callable:
        def kernel(x: CLArray) -> CLArray:
            if x.dtype.kind == "f":
                expr = fexpr
            else:
                expr = iexpr if iexpr is not None else _int_via_w(fexpr)
                if expr.startswith("mx_erfinv"):
                    expr = fexpr
            return elementwise(rt, expr, [x], x.dtype)
        return kernel

    for name, (fexpr, iexpr) in UNARY.items():
        k[name] = unary(fexpr, iexpr)

    def predicate(fexpr: str, iexpr: str) -> Callable:
        def kernel(x: CLArray) -> CLArray:
            return elementwise(rt, fexpr if x.dtype.kind == "f" else iexpr, [x], _BOOL)
        return kernel

    for name, (fexpr, iexpr) in PREDICATE.items():
        k[name] = predicate(fexpr, iexpr)

    def operands(a: Any, b: Any) -> "tuple[list, np.dtype]":
        dt = a.dtype if isinstance(a, CLArray) else b.dtype
        return [a if isinstance(a, CLArray) else _scalar_like(a, dt),
                b if isinstance(b, CLArray) else _scalar_like(b, dt)], dt

    def binary(fexpr: str, iexpr: str) -> Callable:
        def kernel(a: Any, b: Any) -> CLArray:
            ins, dt = operands(a, b)
            expr = fexpr if dt.kind == "f" else iexpr
            if dt.kind in "ub":  # no -1 to guard against
                expr = expr.replace("b == -1 ? (T)(-a) : ", "")
            return elementwise(rt, expr, ins, dt, compute=dt)
        return kernel

    for name, (fexpr, iexpr) in BINARY.items():
        k[name] = binary(fexpr, iexpr)

    def compare(expr: str) -> Callable:
        def kernel(a: Any, b: Any) -> CLArray:
            ins, dt = operands(a, b)
            return elementwise(rt, expr, ins, _BOOL, compute=dt)
        return kernel

    for name, expr in COMPARE.items():
        k[name] = compare(expr)

    def where(cond: Any, x: Any, y: Any) -> CLArray:
        dt = next(v.dtype for v in (x, y) if isinstance(v, CLArray)) \
            if isinstance(x, CLArray) or isinstance(y, CLArray) else np.result_type(x, y)
        if not isinstance(cond, CLArray):
            cond = bool(cond)
        return elementwise(rt, "a ? b : c", [cond, _scalar_like(x, dt), _scalar_like(y, dt)],
                           dt, compute=dt)

    def cast(x: CLArray, dtype: Any) -> CLArray:
        dtype = np.dtype(dtype)
        if x.dtype.kind == "f" and dtype.kind in "iu" and dtype.itemsize < 8:
            expr = "(long)a"
        else:
            expr = "a"
        return elementwise(rt, expr, [x], dtype)

    def copy(x: CLArray) -> CLArray:
        return elementwise(rt, "a", [x], x.dtype)

    def full(shape: Any, value: Any, dtype: Any) -> CLArray:
        dtype = np.dtype(dtype)
        out = new_array(rt, tuple(shape), dtype)
        if dtype.kind == "b":
            value = bool(value)
        elif dtype.kind in "iu" and isinstance(value, float) and math.isfinite(value):
            value = int(value)
        if isinstance(value, CLArray):
            return elementwise(rt, "a", [value], dtype, out=out)
        host = np.array(value).astype(dtype) if not isinstance(value, np.generic) \
            else np.array(value).astype(dtype)
        return elementwise(rt, "a", [host.item()], dtype, out=out, compute=dtype)

    def arange(start: Any, stop: Any, step: Any, dtype: Any) -> CLArray:
        dtype = np.dtype(dtype)
        n = max(0, int(math.ceil((stop - start) / step)))
        out = new_array(rt, (n,), dtype)
        if n == 0:
            return out
        expr = "(long)(s0 + (W)gid * s1)" if dtype.kind in "iu" and dtype.itemsize < 8 \
            else "s0 + (W)gid * s1"
        return elementwise(rt, expr, [], dtype, out=out, compute=dtype,
                           extra="W s0, W s1",
                           extra_values=(_w(rt, start), _w(rt, step)))

    k.update(where=where, cast=cast, copy=copy, full=full, arange=arange)
    return k


def _w(rt: Any, value: float) -> Any:
    return np.float64(value) if rt.fp64 else np.float32(value)
