"""Activation operators: ``Activation``, ``LeakyReLU`` (leaky, prelu, elu, selu, gelu, rrelu)
and the softmax family (``softmax``, ``log_softmax``, ``softmin``)."""

from __future__ import annotations

import math

import numpy as np

from ._helpers import normalize_axis, unbroadcast
from .elemwise import _relu, _sigmoid, _softrelu, _softsign
from .registry import (
    OpDef,
    Param,
    one_of,
    register_op,
    to_bool,
    to_dtype,
    to_float,
    to_float_or_none,
    to_int,
)

AREA = "activation"

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946
_INT64 = np.dtype("int64")


def _require_float(dtypes, what: str = "data") -> None:
    if np.dtype(dtypes[0]).kind != "f":
        raise TypeError(f"{what} must be a floating-point array, got {np.dtype(dtypes[0])}")


# -- Activation -----------------------------------------------------------------------------
_ACTIVATIONS = {"relu": _relu, "sigmoid": _sigmoid, "tanh": lambda K, x: K.tanh(x),
                "softrelu": _softrelu, "softsign": _softsign}


def _activation(K, x, act_type):
    return _ACTIVATIONS[act_type](K, x)


def _activation_grad(F, inputs, outputs, out_grads, act_type):
    x, y, og = inputs[0], outputs[0], out_grads[0]
    if act_type == "relu":
        return [og * (x > 0)]
    if act_type == "sigmoid":
        return [og * y * (1.0 - y)]
    if act_type == "tanh":
        return [og * (1.0 - y * y)]
    if act_type == "softrelu":
        return [og * F.sigmoid(x)]
    return [og / F.square(F.abs(x) + 1.0)]


register_op(OpDef(
    "Activation", ("data",),
    (Param("act_type", one_of(*_ACTIVATIONS), "relu", "the activation function"),),
    compute=_activation, gradient=_activation_grad, area=AREA,
    check=lambda shapes, dtypes, act_type: _require_float(dtypes),
    doc="Element-wise activation: relu, sigmoid, tanh, softrelu (log(1+exp(x))) or "
        "softsign (x/(1+|x|))."))


# -- LeakyReLU ------------------------------------------------------------------------------
def gamma_shape(gamma: tuple, data: tuple) -> tuple:
    """The shape prelu's ``gamma`` broadcasts as: its trailing axes align with data axes
    0 and 1 (so ``(C,)`` becomes ``(1, C, 1, ...)``), the other axes are 1."""
    out = [1] * len(data)
    s = len(gamma) - 1
    for i in range(len(data) - 1, -1, -1):
        if s >= 0 and i <= 1 and gamma[s] in (data[i], 1):
            out[i] = gamma[s]
            s -= 1
    if s != -1:
        raise ValueError(f"cannot broadcast gamma of shape {tuple(gamma)} to data of shape "
                         f"{tuple(data)} (gamma is per channel, data axis 1)")
    return tuple(out)


def _leaky_check(shapes, dtypes, act_type, slope, lower_bound, upper_bound, **_):
    _require_float(dtypes)
    if act_type == "prelu":
        gamma_shape(shapes[1], shapes[0])
    if act_type == "rrelu" and lower_bound > upper_bound:
        raise ValueError(f"rrelu needs lower_bound <= upper_bound, got {lower_bound} > "
                         f"{upper_bound}")


def _leaky(K, x, *gamma, act_type, slope, lower_bound, upper_bound, rng, is_train):
    t = x.dtype.type
    positive = K.greater(x, t(0))
    if act_type == "leaky":
        return K.where(positive, x, K.multiply(x, t(slope)))
    if act_type == "prelu":
        g = gamma[0] if gamma[0].dtype == x.dtype else K.cast(gamma[0], x.dtype)
        g = K.reshape(g, gamma_shape(g.shape, x.shape))
        return K.where(positive, x, K.multiply(x, g))
    if act_type == "elu":
        return K.where(positive, x, K.multiply(K.expm1(x), t(slope)))
    if act_type == "selu":
        neg = K.multiply(K.expm1(x), t(_SELU_ALPHA))
        return K.multiply(K.where(positive, x, neg), t(_SELU_LAMBDA))
    if act_type == "gelu":
        cdf = K.add(K.erf(K.multiply(x, t(1 / math.sqrt(2.0)))), t(1))
        return K.multiply(K.multiply(x, cdf), t(0.5))
    # rrelu: a random slope per element while training, the mean slope otherwise
    if is_train:
        slopes = K.random_uniform(rng, lower_bound, upper_bound, x.shape, x.dtype)
        return K.where(positive, x, K.multiply(x, slopes))
    return K.where(positive, x, K.multiply(x, t((lower_bound + upper_bound) / 2)))


def _leaky_grad(F, inputs, outputs, out_grads, act_type, slope, lower_bound, upper_bound,
                **_):
    x, y, og = inputs[0], outputs[0], out_grads[0]
    pos = x > 0
    neg = 1.0 - pos
    if act_type == "leaky":
        return [og * (pos + neg * slope)]
    if act_type == "prelu":
        gamma = inputs[1]
        gshape = gamma_shape(gamma.shape, x.shape)
        g = F.reshape(gamma, gshape)
        dx = og * (pos + neg * g)
        dg = F.reshape(unbroadcast(F, og * x * neg, gshape), gamma.shape)
        return [dx, _to_input_dtype(F, dg, gamma)]
    if act_type in ("elu", "selu"):
        # exp of min(x, 0): the derivative on the negative side, never inf * 0 for large x
        exp_neg = F.exp(F.minimum(x, 0.0))
        if act_type == "elu":
            return [og * (pos + neg * exp_neg * slope)]
        return [og * (pos + neg * exp_neg * _SELU_ALPHA) * _SELU_LAMBDA]
    if act_type == "gelu":
        cdf = (F.erf(x * (1 / math.sqrt(2.0))) + 1.0) * 0.5
        pdf = F.exp(x * x * -0.5) * (1 / math.sqrt(2.0 * math.pi))
        return [og * (cdf + x * pdf)]
    # rrelu: the slope used is y / x where x < 0 (a constant of the forward pass)
    zero = x == 0
    return [og * (pos + neg * (y / (x + zero)))]


register_op(OpDef(
    "LeakyReLU", ("data", "gamma"),
    (Param("act_type", one_of("leaky", "prelu", "elu", "selu", "gelu", "rrelu"), "leaky",
           "the activation function"),
     Param("slope", to_float, 0.25, "slope for x < 0 (leaky), alpha (elu)"),
     Param("lower_bound", to_float, 0.125, "lowest random slope (rrelu)"),
     Param("upper_bound", to_float, 0.334, "highest random slope (rrelu)")),
    compute=_leaky, gradient=_leaky_grad, check=_leaky_check,
    optional_inputs=lambda attrs: ("data", "gamma") if attrs["act_type"] == "prelu"
    else ("data",),
    uses_rng=True, uses_train_flag=True, area=AREA,
    doc="Leaky rectifiers: leaky (x or slope*x), prelu (x or gamma*x, gamma learned per "
        "channel), elu, selu, gelu (erf form) and rrelu (random slope in [lower_bound, "
        "upper_bound] while training, their mean otherwise)."))


# -- softmax family -----------------------------------------------------------------------
def _softmax_check(shapes, dtypes, axis, temperature, dtype, use_length, what="data"):
    _require_float(dtypes)
    ndim = len(shapes[0])
    axis = normalize_axis(axis, ndim)
    if dtype is not None and dtype.kind != "f":
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    if temperature is not None and temperature == 0:
        raise ValueError("temperature must be non-zero")
    if use_length:
        if len(shapes) < 2:
            raise ValueError("use_length=True needs the length input")
        expected = tuple(shapes[0][:axis]) + tuple(shapes[0][axis + 1:])
        if tuple(shapes[1]) != expected:
            raise ValueError(f"length must have the data shape without axis {axis}, i.e. "
                             f"{expected}; got {tuple(shapes[1])}")


def _no_length_check(shapes, dtypes, axis, temperature, dtype, use_length):
    if use_length:
        raise ValueError("use_length=True is only supported by softmax")
    _softmax_check(shapes, dtypes, axis, temperature, dtype, False)


def _scaled(K, x, axis, temperature, dtype, negate=False):
    """(x - max) / T along ``axis`` in the output dtype (or its negation's, for softmin)."""
    if dtype is not None and dtype != x.dtype:
        x = K.cast(x, dtype)
    if negate:
        x = K.negative(x)
    if temperature is not None and temperature != 1.0:
        x = K.divide(x, x.dtype.type(temperature))
    return K.subtract(x, K.max(x, (axis,), True))


def _length_mask(K, x, length, axis):
    n = x.shape[axis]
    positions = K.reshape(K.arange(0, n, 1, _INT64), (n,) + (1,) * (x.ndim - axis - 1))
    limit = K.reshape(K.cast(length, _INT64), x.shape[:axis] + (1,) + x.shape[axis + 1:])
    return K.less(positions, limit)


def _softmax_forward(K, x, length, axis, temperature, dtype, negate=False):
    axis = normalize_axis(axis, x.ndim)
    out_dtype = x.dtype if dtype is None else dtype
    if x.size == 0:
        return K.cast(x, out_dtype)
    z = _scaled(K, x, axis, temperature, dtype, negate)
    e = K.exp(z)
    if length is None:
        return K.divide(e, K.sum(e, (axis,), True))
    mask = _length_mask(K, x, length, axis)
    zero = e.dtype.type(0)
    e = K.where(mask, e, zero)
    total = K.sum(e, (axis,), True)
    total = K.where(K.equal(total, zero), e.dtype.type(1), total)  # empty rows give zeros
    return K.divide(e, total)


def _softmax(K, x, *length, axis, temperature, dtype, use_length):
    return _softmax_forward(K, x, length[0] if length else None, axis, temperature, dtype)


def _softmin(K, x, axis, temperature, dtype, use_length):
    return _softmax_forward(K, x, None, axis, temperature, dtype, negate=True)


def _log_softmax(K, x, axis, temperature, dtype, use_length):
    axis = normalize_axis(axis, x.ndim)
    if x.size == 0:
        return K.cast(x, x.dtype if dtype is None else dtype)
    z = _scaled(K, x, axis, temperature, dtype)
    return K.subtract(z, K.log(K.sum(K.exp(z), (axis,), True)))


def _to_input_dtype(F, g, x):
    return g if g.dtype == x.dtype else F.Cast(g, dtype=x.dtype)


def _softmax_grad_of(F, x, y, og, axis, temperature, sign=1.0):
    scale = sign / (1.0 if temperature is None else temperature)
    dot = F.sum(og * y, axis=axis, keepdims=True)
    return _to_input_dtype(F, y * (og - dot) * scale, x)


def _softmax_grad(F, inputs, outputs, out_grads, axis, temperature, dtype, use_length):
    dx = _softmax_grad_of(F, inputs[0], outputs[0], out_grads[0], axis, temperature)
    return [dx] + [None] * (len(inputs) - 1)


def _softmin_grad(F, inputs, outputs, out_grads, axis, temperature, dtype, use_length):
    return [_softmax_grad_of(F, inputs[0], outputs[0], out_grads[0], axis, temperature, -1.0)]


def _log_softmax_grad(F, inputs, outputs, out_grads, axis, temperature, dtype, use_length):
    x, y, og = inputs[0], outputs[0], out_grads[0]
    scale = 1.0 / (1.0 if temperature is None else temperature)
    dx = (og - F.exp(y) * F.sum(og, axis=axis, keepdims=True)) * scale
    return [_to_input_dtype(F, dx, x)]


def _softmax_params(with_length: bool):
    return (Param("axis", to_int, -1, "the axis to normalise over"),
            Param("temperature", to_float_or_none, None, "divide the input by this first"),
            Param("dtype", to_dtype, None, "output dtype (float16/32/64); default: data's"),
            Param("use_length", to_bool, False,
                  "mask positions >= length along axis (softmax only)"
                  if with_length else "must be False (MXNet accepts it; softmax uses it)"))


register_op(OpDef(
    "softmax", ("data", "length"), _softmax_params(True),
    compute=_softmax, gradient=_softmax_grad, check=_softmax_check,
    optional_inputs=lambda attrs: ("data", "length") if attrs["use_length"] else ("data",),
    area=AREA,
    doc="exp(x/T) normalised to sum to 1 along axis (computed stably, subtracting the max). "
        "With use_length=True, positions >= length (one entry per row, the data shape "
        "without axis) are 0."))

register_op(OpDef(
    "log_softmax", ("data",), _softmax_params(False),
    compute=_log_softmax, gradient=_log_softmax_grad, check=_no_length_check, area=AREA,
    doc="log(softmax(x)) along axis, computed stably."))

register_op(OpDef(
    "softmin", ("data",), _softmax_params(False),
    compute=_softmin, gradient=_softmin_grad, check=_no_length_check, area=AREA,
    doc="softmax(-x) along axis."))
