"""Conformance cases for :mod:`mxcore.ops.activation`: ``Activation``, ``LeakyReLU`` and the
softmax family. References are independent float64 NumPy (plus :mod:`math` for erf)."""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, List, Optional

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .case import Case, ErrorCase, Input

NAN = float("nan")
INF = float("inf")
SPECIAL = [NAN, INF, -INF, 0.0, 50.0, -50.0]
#: 3x4 values at least 0.2 away from 0 (the kink of relu-like functions)
AWAY = [[-2.3, -1.8, -1.2, -0.7], [-0.35, 0.2, 0.4, 0.85], [1.15, 1.65, 2.1, 2.8]]
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946


def _quiet(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def ref(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return ref


_erf = np.vectorize(math.erf, otypes=[np.float64])


# -- Activation -------------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(x / 2) + 1)


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softrelu": lambda x: np.logaddexp(0, x),
    "softsign": lambda x: x / (1 + np.abs(x)),
}


def _activation_ref(x: np.ndarray, act_type: str = "relu") -> np.ndarray:
    return ACTIVATIONS[act_type](x)


def _activation_cases() -> List[Case]:
    ref = _quiet(_activation_ref)
    cases = []
    for act in ACTIVATIONS:
        attrs = {"act_type": act}
        cases += [
            Case("Activation", [Input((3, 4), values=AWAY)], ref, attrs, name=f"{act}"),
            Case("Activation", [Input((2, 3, 4), -3, 3)], ref, attrs, name=f"{act}_3d",
                 grad=act != "relu"),
            Case("Activation", [Input((3, 4), values=AWAY, noncontiguous=True)], ref, attrs,
                 name=f"{act}_noncontiguous"),
            Case("Activation", [Input((0, 3))], ref, attrs, name=f"{act}_zero_size",
                 grad=False),
            Case("Activation", [Input((1, 1), values=[[0.6]])], ref, attrs,
                 name=f"{act}_size_1"),
            Case("Activation", [Input((6,), values=SPECIAL)], ref, attrs,
                 name=f"{act}_nan_inf", grad=False),
        ]
    cases.append(Case("Activation", [Input((3, 4), values=AWAY)], ref, {}, name="default"))
    return cases


# -- LeakyReLU --------------------------------------------------------------------------------
def _gamma_view(gamma: np.ndarray, ndim: int) -> np.ndarray:
    """gamma of shape (C,) as (1, C, 1, ...) for data of ``ndim`` >= 2."""
    if gamma.size == 1 or ndim < 2:
        return gamma.reshape((1,) * (ndim - 1) + (-1,))
    return gamma.reshape((1, -1) + (1,) * (ndim - 2))


def _leaky_ref(x: np.ndarray, gamma: Optional[np.ndarray] = None, *, act_type: str = "leaky",
               slope: float = 0.25, lower_bound: float = 0.125,
               upper_bound: float = 0.334) -> np.ndarray:
    if act_type == "leaky":
        return np.where(x > 0, x, slope * x)
    if act_type == "prelu":
        return np.where(x > 0, x, _gamma_view(gamma, x.ndim) * x)
    if act_type == "elu":
        return np.where(x > 0, x, slope * np.expm1(x))
    if act_type == "selu":
        return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))
    if act_type == "gelu":
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    return np.where(x > 0, x, (lower_bound + upper_bound) / 2 * x)  # rrelu, inference


def _rrelu_train_check(out: np.ndarray, *rest: Any, **attrs: Any) -> bool:
    """Row 0 of the input is -1 (out = -slope, slope ~ U[lower, upper]), row 1 is 2."""
    lower = attrs.get("lower_bound", 0.125)
    upper = attrs.get("upper_bound", 0.334)
    slopes = -np.asarray(out[0], np.float64)
    if not np.all((slopes >= lower - 1e-3) & (slopes <= upper + 1e-3)):
        raise AssertionError(f"rrelu slopes outside [{lower}, {upper}]: {slopes}")
    if np.unique(slopes).size < slopes.size // 2:
        raise AssertionError("rrelu slopes are not random per element")
    if abs(slopes.mean() - (lower + upper) / 2) > 0.05:
        raise AssertionError(f"rrelu mean slope {slopes.mean()} far from {(lower + upper) / 2}")
    if not np.all(np.asarray(out[1]) == 2):
        raise AssertionError("rrelu changed positive inputs")
    return True


def _leaky_cases() -> List[Case]:
    ref = _quiet(_leaky_ref)
    cases = []
    for act in ("leaky", "elu", "selu", "gelu", "rrelu"):
        attrs = {"act_type": act}
        smooth = act in ("selu", "gelu")
        cases += [
            Case("LeakyReLU", [Input((3, 4), values=AWAY)], ref, attrs, name=act),
            Case("LeakyReLU", [Input((2, 3, 4), -3, 3)], ref, attrs, name=f"{act}_3d",
                 grad=smooth),
            Case("LeakyReLU", [Input((3, 4), values=AWAY, noncontiguous=True)], ref, attrs,
                 name=f"{act}_noncontiguous"),
            Case("LeakyReLU", [Input((0, 3))], ref, attrs, name=f"{act}_zero_size",
                 grad=False),
            Case("LeakyReLU", [Input((6,), values=SPECIAL)], ref, attrs,
                 name=f"{act}_nan_inf", grad=False),
        ]
    cases += [
        Case("LeakyReLU", [Input((3, 4), values=AWAY)], ref, {"slope": 0.1}, name="slope"),
        Case("LeakyReLU", [Input((3, 4), values=AWAY)], ref,
             {"act_type": "elu", "slope": 1.5}, name="elu_alpha"),
        Case("LeakyReLU", [Input((3, 4), values=AWAY)], ref,
             {"act_type": "rrelu", "lower_bound": 0.2, "upper_bound": 0.5},
             name="rrelu_bounds"),
        Case("LeakyReLU", [Input((2, 3, 2), values=np.array(AWAY).reshape(2, 3, 2)),
                           Input((3,), 0.05, 0.5)], ref, {"act_type": "prelu"},
             name="prelu_channels"),
        Case("LeakyReLU", [Input((3, 4), values=AWAY), Input((1,), 0.05, 0.5)], ref,
             {"act_type": "prelu"}, name="prelu_shared"),
        Case("LeakyReLU", [Input((3, 4), values=AWAY, noncontiguous=True),
                           Input((4,), 0.05, 0.5)], ref, {"act_type": "prelu"},
             name="prelu_noncontiguous"),
        Case("LeakyReLU", [Input((0, 3)), Input((3,), 0.05, 0.5)], ref,
             {"act_type": "prelu"}, name="prelu_zero_size", grad=False),
        Case("LeakyReLU", [Input((2, 50), values=[[-1.0] * 50, [2.0] * 50])],
             _rrelu_train_check, {"act_type": "rrelu"}, name="rrelu_train", random=True,
             train=True, grad=False),
    ]
    return cases


# -- softmax family -------------------------------------------------------------------------
def _params(fn: Callable) -> Callable:
    """Accept MXNet's string forms of axis/temperature, as the op does."""
    @functools.wraps(fn)
    def ref(*arrays: Any, axis: Any = -1, temperature: Any = None, **attrs: Any) -> Any:
        temperature = None if temperature in (None, "None") else float(temperature)
        return fn(*arrays, axis=int(axis), temperature=temperature, **attrs)
    return ref


def _scaled(x: np.ndarray, axis: int, temperature: Optional[float]) -> np.ndarray:
    z = x / (1.0 if temperature is None else temperature)
    return z - np.max(z, axis=axis, keepdims=True)


def _softmax_ref(x: np.ndarray, length: Optional[np.ndarray] = None, *, axis: int = -1,
                 temperature: Optional[float] = None, dtype: Any = None,
                 use_length: bool = False) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    if length is None:
        e = np.exp(_scaled(x, axis, temperature))
        return e / e.sum(axis=axis, keepdims=True)
    axis = axis % x.ndim
    pos = np.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1))
    mask = pos < np.expand_dims(length, axis)
    z = np.where(mask, x, -np.inf) / (1.0 if temperature is None else temperature)
    zmax = np.max(z, axis=axis, keepdims=True)
    e = np.where(mask, np.exp(z - np.where(np.isfinite(zmax), zmax, 0)), 0.0)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total == 0, 1, total)


def _log_softmax_ref(x: np.ndarray, *, axis: int = -1, temperature: Optional[float] = None,
                     dtype: Any = None, use_length: bool = False) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    z = _scaled(x, axis, temperature)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _softmin_ref(x: np.ndarray, *, axis: int = -1, temperature: Optional[float] = None,
                 dtype: Any = None, use_length: bool = False) -> np.ndarray:
    return _softmax_ref(-x, axis=axis, temperature=temperature)


def _family_cases(op: str, ref: Callable) -> List[Case]:
    ref = _quiet(_params(ref))
    return [
        Case(op, [Input((2, 5))], ref, name="last_axis"),
        Case(op, [Input((2, 3, 4))], ref, {"axis": 1}, name="middle_axis"),
        Case(op, [Input((3, 2, 2))], ref, {"axis": 0}, name="first_axis"),
        Case(op, [Input((2, 3, 4))], ref, {"axis": -2, "temperature": 2.5},
             name="temperature"),
        Case(op, [Input((3, 4))], ref, {"temperature": 0.5}, name="cold_temperature"),
        Case(op, [Input((4, 6), noncontiguous=True)], ref, name="noncontiguous"),
        Case(op, [Input((2, 0))], ref, name="zero_size_axis", grad=False),
        Case(op, [Input((0, 3))], ref, name="zero_size_rows", grad=False),
        Case(op, [Input((3, 1))], ref, name="size_1_axis"),
        Case(op, [Input((1, 6))], ref, {"axis": 0}, name="size_1_axis0"),
        Case(op, [Input((2, 4), -1000.0, 1000.0)], ref, name="large_values", grad=False),
        Case(op, [Input((2, 3), values=[[0.5, -INF, 1.0], [NAN, 0.0, 1.0]])], ref,
             name="nan_inf", grad=False),
        Case(op, [Input((2, 4))], ref, {"dtype": "float64"}, dtypes=("float16", "float32"),
             name="dtype_float64"),
        Case(op, [Input((2, 3))], ref, {"axis": "1", "temperature": "2"},
             name="string_params"),
    ]


def _softmax_length_cases() -> List[Case]:
    ref = _quiet(_softmax_ref)
    return [
        Case("softmax", [Input((2, 5)), Input((2,), values=[3, 5], dtype="int64", grad=False)],
             ref, {"use_length": True}, name="length"),
        Case("softmax", [Input((2, 4, 3)),
                         Input((2, 3), values=[[1, 4, 2], [0, 3, 4]], dtype="int32",
                               grad=False)],
             ref, {"use_length": True, "axis": 1}, name="length_axis1_empty_row"),
        Case("softmax", [Input((3, 4)), Input((3,), values=[2, 4, 1], grad=False)],
             ref, {"use_length": True, "temperature": 2.0}, name="length_float_temperature"),
    ]


def _error(op: str, shapes: List[tuple], error: Any, name: str, attrs: Optional[dict] = None,
           dtype: str = "float32") -> ErrorCase:
    return ErrorCase(op, [Input(s) for s in shapes], attrs or {}, error, name, dtype)


CASES: List[Case] = (_activation_cases() + _leaky_cases()
                     + _family_cases("softmax", _softmax_ref) + _softmax_length_cases()
                     + _family_cases("log_softmax", _log_softmax_ref)
                     + _family_cases("softmin", _softmin_ref))

ERROR_CASES: List[ErrorCase] = [
    _error("Activation", [(2, 3)], MXNetValueError, "unknown_act_type", {"act_type": "swish"}),
    _error("Activation", [(2, 3)], MXNetTypeError, "int_data", {"act_type": "relu"},
           dtype="int32"),
    _error("LeakyReLU", [(2, 3)], MXNetValueError, "unknown_act_type", {"act_type": "relu"}),
    _error("LeakyReLU", [(2, 3), (5,)], MXNetValueError, "prelu_gamma_shape",
           {"act_type": "prelu"}),
    _error("LeakyReLU", [(2, 3)], MXNetValueError, "prelu_without_gamma",
           {"act_type": "prelu"}),
    _error("LeakyReLU", [(2, 3)], MXNetValueError, "rrelu_bounds_reversed",
           {"act_type": "rrelu", "lower_bound": 0.5, "upper_bound": 0.1}),
    _error("LeakyReLU", [(2, 3)], MXNetTypeError, "int_data", dtype="int64"),
    _error("softmax", [(2, 3)], MXNetValueError, "axis_out_of_range", {"axis": 2}),
    _error("softmax", [(2, 3)], MXNetTypeError, "int_data", dtype="int32"),
    _error("softmax", [(2, 3)], MXNetTypeError, "int_output_dtype", {"dtype": "int32"}),
    _error("softmax", [(2, 3)], MXNetValueError, "zero_temperature", {"temperature": 0.0}),
    _error("softmax", [(2, 3)], MXNetValueError, "use_length_without_length",
           {"use_length": True}),
    _error("softmax", [(2, 3), (3,)], MXNetValueError, "length_shape", {"use_length": True}),
    _error("log_softmax", [(2, 3)], MXNetValueError, "axis_out_of_range", {"axis": -3}),
    _error("log_softmax", [(2, 3)], MXNetValueError, "use_length_unsupported",
           {"use_length": True}),
    _error("softmin", [(2, 3)], MXNetTypeError, "uint8_data", dtype="uint8"),
]
