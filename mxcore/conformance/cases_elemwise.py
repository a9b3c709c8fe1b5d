"""Conformance cases for :mod:`mxcore.ops.elemwise`.

One block per op family: unary math, binary arithmetic with broadcasting (``broadcast_*``)
and without (``elemwise_*``), scalar forms, comparisons, ``Cast`` and the copy-like ops.
References are independent float64 NumPy (plus :mod:`math` for erf/lgamma).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .case import ALL_DTYPES, FLOATS, INTS, SIGNED, Case, ErrorCase, Input

SINTS = ("int8", "int32", "int64")
NAN = float("nan")
INF = float("inf")
#: special values for NaN/Inf behaviour (one row of 6)
SPECIAL = [NAN, INF, -INF, 0.0, -1.5, 2.0]
#: 3x4 values at least 0.1 away from 0 and from every multiple of 0.5 (kinks and jumps)
AWAY = [[-2.3, -1.8, -1.2, -0.7], [-0.35, 0.2, 0.4, 0.85], [1.15, 1.65, 2.1, 2.8]]
#: ties and halves for rounding ops (no gradient check)
HALVES = [[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, -0.4, 0.6], [3.5, -3.5, 0.0, 4.49]]


def _quiet(fn: Callable) -> Callable:
    """References run without floating-point warnings (NaN/Inf cases)."""
    @functools.wraps(fn)
    def ref(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return ref


def _vectorize(fn: Callable[[float], float]) -> Callable:
    vec = np.vectorize(fn, otypes=[np.float64])
    return lambda x: vec(np.asarray(x, np.float64))


def _lgamma(v: float) -> float:
    if math.isnan(v):
        return math.nan
    if math.isinf(v) or (v <= 0 and v == int(v)):
        return math.inf
    return math.lgamma(v)


def _erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse erf by bisection on math.erf (independent of the backend's kernel)."""
    y = np.asarray(y, np.float64)
    erf = _vectorize(math.erf)
    lo = np.full(y.shape, -7.0)
    hi = np.full(y.shape, 7.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = erf(mid) < y
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    out = (lo + hi) / 2
    out = np.where(y == 1, np.inf, np.where(y == -1, -np.inf, out))
    return np.where(np.abs(y) > 1, np.nan, np.where(np.isnan(y), np.nan, out))


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(x / 2) + 1)  # exact identity, no overflow


# -- unary ------------------------------------------------------------------------------------
# name: (reference, low, high, options); options: values (explicit 3x4 values for the
# gradient cases), ints (integer reference, dtypes, low, high), special (False: skip the
# NaN/Inf case), grad (False: not differentiable), halves (add the HALVES case)
_TRUNC = np.trunc
UNARY: Dict[str, tuple] = {
    "negative": (np.negative, -2, 2, {"ints": (np.negative, SINTS, -5, 6)}),
    "abs": (np.abs, -2, 2, {"values": AWAY, "ints": (np.abs, SINTS, -5, 6)}),
    "sign": (np.sign, -2, 2, {"values": AWAY, "ints": (np.sign, SINTS, -5, 6)}),
    "exp": (np.exp, -2, 2, {}),
    "log": (np.log, 0.1, 3, {}),
    "log2": (np.log2, 0.1, 3, {}),
    "log10": (np.log10, 0.1, 3, {}),
    "log1p": (np.log1p, -0.5, 2, {}),
    "expm1": (np.expm1, -2, 2, {}),
    "sqrt": (np.sqrt, 0.1, 3, {"ints": (lambda x: np.floor(np.sqrt(x)), INTS, 0, 50)}),
    "rsqrt": (lambda x: 1 / np.sqrt(x), 0.2, 3, {}),
    "cbrt": (np.cbrt, -2, 2, {"values": AWAY,
                              "ints": (lambda x: _TRUNC(np.round(np.cbrt(x), 9)), SINTS,
                                       -30, 30)}),
    "rcbrt": (lambda x: 1 / np.cbrt(x), -2, 2, {"values": AWAY}),
    "square": (np.square, -2, 2, {"ints": (np.square, SINTS, -5, 6)}),
    "reciprocal": (np.reciprocal, -2, 2, {"values": AWAY}),
    "floor": (np.floor, -3, 3, {"values": AWAY, "halves": True,
                                "ints": (np.floor, SINTS, -5, 6)}),
    "ceil": (np.ceil, -3, 3, {"values": AWAY, "halves": True,
                              "ints": (np.ceil, SINTS, -5, 6)}),
    "rint": (np.rint, -3, 3, {"values": AWAY, "halves": True,
                              "ints": (np.rint, SINTS, -5, 6)}),
    "trunc": (np.trunc, -3, 3, {"values": AWAY, "halves": True,
                                "ints": (np.trunc, SINTS, -5, 6)}),
    "fix": (np.trunc, -3, 3, {"values": AWAY, "halves": True,
                              "ints": (np.trunc, SINTS, -5, 6)}),
    "round": (_round_half_away, -3, 3, {"values": AWAY, "halves": True,
                                        "ints": (_round_half_away, SINTS, -5, 6)}),
    "sin": (np.sin, -3, 3, {}),
    "cos": (np.cos, -3, 3, {}),
    "tan": (np.tan, -1.2, 1.2, {}),
    "arcsin": (np.arcsin, -0.9, 0.9, {}),
    "arccos": (np.arccos, -0.9, 0.9, {}),
    "arctan": (np.arctan, -2, 2, {}),
    "sinh": (np.sinh, -2, 2, {}),
    "cosh": (np.cosh, -2, 2, {}),
    "tanh": (np.tanh, -2, 2, {}),
    "arcsinh": (np.arcsinh, -2, 2, {}),
    "arccosh": (np.arccosh, 1.1, 3, {}),
    "arctanh": (np.arctanh, -0.9, 0.9, {}),
    "degrees": (np.degrees, -2, 2, {"ints": (lambda x: _TRUNC(np.degrees(x)), SINTS, -2, 3)}),
    "radians": (np.radians, -90, 90, {"ints": (lambda x: _TRUNC(np.radians(x)), SINTS,
                                               -100, 100)}),
    "erf": (_vectorize(math.erf), -2, 2, {}),
    "erfinv": (_erfinv, -0.9, 0.9, {"special": [NAN, 1.0, -1.0, 0.0, 1.5, -0.5]}),
    "gammaln": (_vectorize(_lgamma), 0.2, 4,
                {"values": [[-2.7, -1.5, -0.5, 0.3], [0.75, 1.2, 1.7, 2.5],
                            [3.3, 4.1, 6.5, 11.0]],
                 "special": [NAN, INF, -2.0, 0.0, -1.5, 2.0]}),
    "relu": (lambda x: np.maximum(x, 0), -2, 2, {"values": AWAY,
                                                 "ints": (lambda x: np.maximum(x, 0), SINTS,
                                                          -5, 6)}),
    "sigmoid": (_sigmoid, -3, 3, {"special": [NAN, INF, -INF, 0.0, 50.0, -50.0]}),
    "softsign": (lambda x: x / (1 + np.abs(x)), -3, 3, {}),
    "softrelu": (lambda x: np.logaddexp(0, x), -3, 3,
                 {"special": [NAN, INF, -INF, 0.0, 50.0, -50.0]}),
    "logical_not": (lambda x: (x == 0).astype(np.float64), -2, 2,
                    {"values": [[0.0, 1.0, -2.5, 0.0], [3.0, 0.0, 0.5, -1.0],
                                [0.0, 0.0, 7.0, 2.0]], "grad": False,
                     "ints": (lambda x: (x == 0).astype(np.float64), ALL_DTYPES, 0, 3)}),
}


def _unary_cases(name: str, ref: Callable, low: float, high: float, opts: dict) -> List[Case]:
    ref = _quiet(ref)
    grad = opts.get("grad", True)
    values = opts.get("values")
    kinked = values is not None  # explicit values: random ones could sit on a kink
    cases = [
        Case(name, [Input((3, 4), low, high, values=values)], ref, name="basic", grad=grad),
        Case(name, [Input((3, 4), low, high, values=values, noncontiguous=True)], ref,
             name="noncontiguous", grad=grad),
        Case(name, [Input((2, 0, 3), low, high)], ref, name="zero_size", grad=False),
        Case(name, [Input((1, 3, 1), low, high)], ref, name="size_1",
             grad=grad and not kinked),
    ]
    special = opts.get("special", SPECIAL)
    cases.append(Case(name, [Input((6,), values=special)], ref, name="nan_inf", grad=False))
    if opts.get("halves"):
        cases.append(Case(name, [Input((3, 4), values=HALVES)], ref, name="halves",
                          grad=False))
    if "ints" in opts:
        iref, dtypes, ilow, ihigh = opts["ints"]
        cases.append(Case(name, [Input((3, 4), ilow, ihigh)], _quiet(iref), dtypes=dtypes,
                          name="int", grad=False))
    return cases


def _copy_cases(name: str, ref: Callable, grad: bool) -> List[Case]:
    values = [[0, 1, 2], [3, 4, 5]]
    return [
        Case(name, [Input((2, 3), values=values)], ref, dtypes=ALL_DTYPES, name="all_dtypes",
             grad=False),
        Case(name, [Input((3, 4))], ref, name="basic", grad=grad),
        Case(name, [Input((3, 4), noncontiguous=True)], ref, name="noncontiguous",
             grad=grad),
        Case(name, [Input((0, 3))], ref, name="zero_size", grad=False),
        Case(name, [Input((6,), values=SPECIAL)], _quiet(ref), name="nan_inf", grad=False),
    ]


def _like(value: float) -> Callable:
    return lambda x: np.full(np.shape(x), value)


# -- binary (broadcast_* and elemwise_*) ------------------------------------------------------
def _safe_mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Python-style remainder (sign of b); 0 where b == 0."""
    return np.where(b == 0, 0.0, np.mod(a, np.where(b == 0, 1.0, b)))


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.trunc(a / b)


#: 2x3 lhs and (3,) rhs with |a - b| >= 0.3 and a/b away from integers (kinks, jumps)
_A = [[0.7, 1.3, -0.6], [1.9, -1.1, 0.45]]
_B = [1.6, -0.4, 0.9]
_A_SPECIAL = [NAN, INF, -INF, 1.0, 0.0, -2.0, INF, 3.0]
_B_SPECIAL = [1.0, -INF, INF, NAN, 0.0, 0.0, INF, -INF]

# name: (reference, lhs range, rhs range, options); options: values ((_A, _B) pairs for kinked
# ops), ints (reference, dtypes, lhs range, rhs range), special (False: skip NaN/Inf)
BINARY: Dict[str, tuple] = {
    "broadcast_add": (np.add, (-2, 2), (-2, 2), {"ints": (np.add, INTS, (0, 10), (0, 10))}),
    "broadcast_sub": (np.subtract, (-2, 2), (-2, 2),
                      {"ints": (np.subtract, SINTS, (-5, 6), (-5, 6))}),
    "broadcast_mul": (np.multiply, (-2, 2), (-2, 2),
                      {"ints": (np.multiply, INTS, (0, 10), (0, 10))}),
    "broadcast_div": (np.divide, (-2, 2), (0.5, 2),
                      {"ints": (_int_div, SINTS, (-9, 10), (1, 4))}),
    "broadcast_power": (np.power, (0.5, 2), (-1.5, 1.5),
                        {"ints": (np.power, INTS, (0, 4), (0, 4))}),
    "broadcast_maximum": (np.maximum, (-2, 2), (-2, 2),
                          {"values": True, "ints": (np.maximum, SINTS, (-5, 6), (-5, 6))}),
    "broadcast_minimum": (np.minimum, (-2, 2), (-2, 2),
                          {"values": True, "ints": (np.minimum, SINTS, (-5, 6), (-5, 6))}),
    "broadcast_mod": (_safe_mod, (-2, 2), (0.5, 2),
                      {"values": True, "ints": (_safe_mod, SINTS, (-9, 10), (-4, 5))}),
    "broadcast_hypot": (np.hypot, (0.2, 2), (0.2, 2),
                        {"ints": (lambda a, b: np.trunc(np.hypot(a, b)), INTS, (0, 6),
                                  (0, 6))}),
}
ELEMWISE = {"elemwise_add": np.add, "elemwise_sub": np.subtract,
            "elemwise_mul": np.multiply, "elemwise_div": np.divide}


def _binary_cases(name: str, ref: Callable, lrange: Sequence[float],
                  rrange: Sequence[float], opts: dict) -> List[Case]:
    ref = _quiet(ref)
    (al, ah), (bl, bh) = lrange, rrange
    kinked = bool(opts.get("values"))
    if kinked:
        same = [Input((2, 3), values=_A), Input((2, 3), values=[_B, _B[::-1]])]
        bcast = [Input((2, 3), values=_A), Input((3,), values=_B)]
        nonc = [Input((2, 3), values=_A, noncontiguous=True), Input((3,), values=_B)]
    else:
        same = [Input((2, 3), al, ah), Input((2, 3), bl, bh)]
        bcast = [Input((2, 1, 3), al, ah), Input((4, 1), bl, bh)]
        nonc = [Input((2, 6), al, ah, noncontiguous=True), Input((2, 6), bl, bh,
                                                                 noncontiguous=True)]
    cases = [
        Case(name, same, ref, name="same_shape"),
        Case(name, bcast, ref, name="broadcast"),
        Case(name, nonc, ref, name="noncontiguous"),
        Case(name, [Input((1, 3), al, ah), Input((2, 1), bl, bh)], ref, name="size_1",
             grad=not kinked),
        Case(name, [Input((0, 3), al, ah), Input((1, 3), bl, bh)], ref, name="zero_size",
             grad=False),
        Case(name, [Input((8,), values=_A_SPECIAL), Input((8,), values=_B_SPECIAL)], ref,
             name="nan_inf", grad=False),
    ]
    if "ints" in opts:
        iref, dtypes, (il, ih), (jl, jh) = opts["ints"]
        if name == "broadcast_mod":
            rhs = Input((3,), values=[3, -2, 4])
        else:
            rhs = Input((3,), jl, jh)
        cases.append(Case(name, [Input((2, 3), il, ih), rhs], _quiet(iref),
                          dtypes=dtypes, name="int", grad=False))
    return cases


def _elemwise_cases(name: str, ref: Callable) -> List[Case]:
    ref = _quiet(ref)
    low = 0.5 if name == "elemwise_div" else -2.0
    return [
        Case(name, [Input((2, 3)), Input((2, 3), low, 2)], ref, name="basic"),
        Case(name, [Input((3, 4), noncontiguous=True), Input((3, 4), low, 2)], ref,
             name="noncontiguous"),
        Case(name, [Input((0, 4)), Input((0, 4), low, 2)], ref, name="zero_size",
             grad=False),
        Case(name, [Input((1, 1)), Input((1, 1), low, 2)], ref, name="size_1"),
        Case(name, [Input((8,), values=_A_SPECIAL), Input((8,), values=_B_SPECIAL)], ref,
             name="nan_inf", grad=False),
        Case(name, [Input((2, 3), 1, 6), Input((2, 3), 1, 4)],
             _quiet(_int_div if name == "elemwise_div" else ref), dtypes=INTS, name="int",
             grad=False),
    ]


# -- comparisons ------------------------------------------------------------------------------
def _as_float(fn: Callable) -> Callable:
    return lambda *args: fn(*args).astype(np.float64)


def _logical(fn: Callable) -> Callable:
    return lambda a, b: fn(a != 0, b != 0).astype(np.float64)


COMPARE = {
    "equal": _as_float(np.equal), "not_equal": _as_float(np.not_equal),
    "greater": _as_float(np.greater), "greater_equal": _as_float(np.greater_equal),
    "lesser": _as_float(np.less), "lesser_equal": _as_float(np.less_equal),
    "logical_and": _logical(np.logical_and), "logical_or": _logical(np.logical_or),
    "logical_xor": _logical(np.logical_xor),
}
#: values 0..3 with ties between lhs and rhs (representable in every dtype)
_CMP_A = [[0, 1, 2], [3, 2, 0]]
_CMP_B = [2, 1, 0]


def _compare_cases(name: str, ref: Callable) -> List[Case]:
    op, sop = f"broadcast_{name}", f"_{name}_scalar"
    ref = _quiet(ref)
    sref = _quiet(lambda x, scalar: ref(x, np.float64(scalar)))
    return [
        Case(op, [Input((2, 3), values=_CMP_A), Input((3,), values=_CMP_B)], ref,
             dtypes=ALL_DTYPES, name="broadcast_ties", grad=False),
        Case(op, [Input((2, 1, 3), -1, 1), Input((4, 1), -1, 1)], ref, name="broadcast",
             grad=False),
        Case(op, [Input((2, 6), noncontiguous=True), Input((2, 6))], ref,
             name="noncontiguous", grad=False),
        Case(op, [Input((0, 3)), Input((1, 3))], ref, name="zero_size", grad=False),
        Case(op, [Input((8,), values=_A_SPECIAL), Input((8,), values=_B_SPECIAL)], ref,
             name="nan_inf", grad=False),
        Case(sop, [Input((2, 3), values=_CMP_A)], sref, {"scalar": 2.0},
             dtypes=FLOATS + INTS, name="ties", grad=False),
        Case(sop, [Input((6,), values=SPECIAL)], sref, {"scalar": 0.0}, name="nan_inf",
             grad=False),
        Case(sop, [Input((3, 4), noncontiguous=True)], sref, {"scalar": 0.5},
             name="noncontiguous", grad=False),
        Case(sop, [Input((0, 2))], sref, {"scalar": 1.0}, name="zero_size", grad=False),
    ]


# -- scalar forms -------------------------------------------------------------------------------
def _scalar_ref(fn: Callable) -> Callable:
    return _quiet(lambda x, scalar: fn(x, np.float64(scalar)))


#: name: (reference(x, s), scalar, low, high, options); options as for UNARY plus
#: ints (reference, dtypes, scalar, low, high)
SCALAR: Dict[str, tuple] = {
    "_plus_scalar": (np.add, 1.5, -2, 2, {"ints": (np.add, INTS, 3.0, 0, 10)}),
    "_minus_scalar": (np.subtract, 1.5, -2, 2, {"ints": (np.subtract, SINTS, 3.0, -5, 6)}),
    "_rminus_scalar": (lambda x, s: s - x, 1.5, -2, 2,
                       {"ints": (lambda x, s: s - x, INTS, 9.0, 0, 10)}),
    "_mul_scalar": (np.multiply, -2.5, -2, 2, {"ints": (np.multiply, INTS, 3.0, 0, 10)}),
    "_div_scalar": (np.divide, -2.5, -2, 2, {"ints": (_int_div, SINTS, 2.0, -9, 10)}),
    "_rdiv_scalar": (lambda x, s: s / x, 3.0, -2, 2,
                     {"values": AWAY, "ints": (lambda x, s: _int_div(s, x), INTS, 7.0, 1, 9)}),
    "_power_scalar": (np.power, 2.5, 0.2, 2,
                      {"ints": (np.power, INTS, 2.0, 0, 6)}),
    "_rpower_scalar": (lambda x, s: np.power(s, x), 2.0, -2, 2,
                       {"ints": (lambda x, s: np.power(s, x), INTS, 2.0, 0, 6)}),
    "_mod_scalar": (_safe_mod, 1.5, -2, 2,
                    {"values": AWAY, "ints": (_safe_mod, SINTS, 3.0, -9, 10)}),
    "_rmod_scalar": (lambda x, s: _safe_mod(s, x), 0.9, -2, 2,
                     {"values": AWAY, "ints": (lambda x, s: _safe_mod(s, x), SINTS, 7.0,
                                               1, 9)}),
    "_maximum_scalar": (np.maximum, 0.25, -2, 2,
                        {"values": AWAY, "ints": (np.maximum, SINTS, 1.0, -5, 6)}),
    "_minimum_scalar": (np.minimum, 0.25, -2, 2,
                        {"values": AWAY, "ints": (np.minimum, SINTS, 1.0, -5, 6)}),
    "_hypot_scalar": (np.hypot, 1.5, -2, 2,
                      {"ints": (lambda x, s: np.trunc(np.hypot(x, s)), INTS, 4.0, 0, 10)}),
}


def _scalar_cases(name: str, fn: Callable, scalar: float, low: float, high: float,
                  opts: dict) -> List[Case]:
    ref = _scalar_ref(fn)
    values = opts.get("values")
    attrs = {"scalar": scalar}
    cases = [
        Case(name, [Input((3, 4), low, high, values=values)], ref, attrs, name="basic"),
        Case(name, [Input((3, 4), low, high, values=values, noncontiguous=True)], ref, attrs,
             name="noncontiguous"),
        Case(name, [Input((0, 3), low, high)], ref, attrs, name="zero_size", grad=False),
        Case(name, [Input((1, 1), low, high, values=None if values is None else [[0.85]])],
             ref, attrs, name="size_1"),
        Case(name, [Input((6,), values=SPECIAL)], ref, attrs, name="nan_inf", grad=False),
        Case(name, [Input((3, 4), low, high, values=values)], ref, {"scalar": "0.75"},
             name="string_scalar"),
    ]
    if "ints" in opts:
        iref, dtypes, iscalar, ilow, ihigh = opts["ints"]
        cases.append(Case(name, [Input((3, 4), ilow, ihigh)], _scalar_ref(iref),
                          {"scalar": iscalar}, dtypes=dtypes, name="int", grad=False))
    return cases


# -- Cast ----------------------------------------------------------------------------------------
def _cast_ref(dtype: str) -> Callable:
    if dtype == "bool":
        return lambda x, dtype: (x != 0).astype(np.float64)
    return lambda x, dtype: np.asarray(x, np.float64)


def _cast_cases() -> List[Case]:
    cases = []
    for target in ALL_DTYPES:
        is_float = target in FLOATS
        cases.append(Case("Cast", [Input((2, 3), values=[[0, 1, 2], [3, 4, 5]])],
                          _cast_ref(target), {"dtype": target}, dtypes=ALL_DTYPES,
                          name=f"to_{target}", grad=False))
        if is_float:
            cases.append(Case("Cast", [Input((3, 4), values=AWAY, noncontiguous=True)],
                              _cast_ref(target), {"dtype": target}, dtypes=FLOATS,
                              name=f"grad_to_{target}", rtol=1e-3, atol=1e-3))
            cases.append(Case("Cast", [Input((4,), values=[NAN, INF, -INF, 0.0])],
                              _cast_ref(target), {"dtype": target}, name=f"nan_to_{target}",
                              grad=False))
    for target in SINTS:
        cases.append(Case("Cast", [Input((6,), values=[-2.7, -0.5, 0.5, 2.7, 7.9, -7.9])],
                          lambda x, dtype: np.trunc(x), {"dtype": target},
                          name=f"truncate_to_{target}", grad=False))
    cases.append(Case("Cast", [Input((5,), values=[0.5, 2.7, 7.9, 100.2, 255.0])],
                      lambda x, dtype: np.trunc(x), {"dtype": "uint8"},
                      name="truncate_to_uint8", grad=False))
    cases.append(Case("Cast", [Input((0, 2))], _cast_ref("float32"), {"dtype": np.float32},
                      name="zero_size_numpy_type", grad=False))
    return cases


def _build() -> List[Case]:
    cases: List[Case] = []
    for name, (ref, low, high, opts) in UNARY.items():
        cases += _unary_cases(name, ref, low, high, opts)
    cases += _copy_cases("_copy", lambda x: x, True)
    cases += _copy_cases("BlockGrad", lambda x: x, False)  # gradient is 0 by design
    cases += _copy_cases("zeros_like", _like(0.0), True)
    cases += _copy_cases("ones_like", _like(1.0), True)
    for name, (ref, lrange, rrange, opts) in BINARY.items():
        cases += _binary_cases(name, ref, lrange, rrange, opts)
    for name, ref in ELEMWISE.items():
        cases += _elemwise_cases(name, ref)
    for name, ref in COMPARE.items():
        cases += _compare_cases(name, ref)
    for name, (fn, scalar, low, high, opts) in SCALAR.items():
        cases += _scalar_cases(name, fn, scalar, low, high, opts)
    cases += _cast_cases()
    return cases


def _error(op: str, shapes: Sequence[tuple], error: Any, name: str,
           attrs: Optional[dict] = None, dtype: str = "float32") -> ErrorCase:
    return ErrorCase(op, [Input(s) for s in shapes], attrs or {}, error, name, dtype)


CASES: List[Case] = _build()
CASES += [
    Case("add_n", [Input((2, 3)), Input((2, 3), noncontiguous=True), Input((2, 3))],
         lambda *xs, **_: sum(xs[1:], xs[0].copy()), dtypes=SIGNED, name="three"),
    Case("add_n", [Input((4,))], lambda x, **_: x.copy(), name="one_input"),
    Case("ElementWiseSum", [Input((0, 2)), Input((0, 2))], lambda a, b, **_: a + b,
         name="empty"),
]

ERROR_CASES: List[ErrorCase] = [
    _error("elemwise_add", [(2, 3), (3, 2)], MXNetValueError, "unequal_shapes"),
    _error("elemwise_mul", [(2, 3), (2, 1)], MXNetValueError, "no_broadcasting"),
    _error("elemwise_div", [(4,), (5,)], MXNetValueError, "unequal_lengths"),
    _error("broadcast_add", [(2, 3), (4, 3)], MXNetValueError, "incompatible_shapes"),
    _error("broadcast_power", [(2, 3), (2,)], MXNetValueError, "incompatible_trailing"),
    _error("broadcast_greater", [(3, 1, 2), (4, 3)], MXNetValueError,
           "compare_incompatible"),
    _error("Cast", [(2, 3)], MXNetTypeError, "unsupported_int16", {"dtype": "int16"}),
    _error("Cast", [(2, 3)], MXNetTypeError, "unsupported_complex", {"dtype": "complex64"}),
    _error("Cast", [(2, 3)], MXNetTypeError, "not_a_dtype", {"dtype": "floaty"}),
    _error("_plus_scalar", [(2, 3)], MXNetTypeError, "scalar_not_a_number",
           {"scalar": "abc"}),
    _error("negative", [(2, 3)], MXNetValueError, "unknown_parameter", {"axis": 1}),
    _error("add_n", [(2, 3), (3, 2)], MXNetValueError, "add_n_unequal_shapes"),
    _error("add_n", [(2,), (2,)], MXNetValueError, "add_n_wrong_num_args", {"num_args": 3}),
]
