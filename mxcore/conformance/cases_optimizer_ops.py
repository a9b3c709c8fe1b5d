"""Conformance cases for :mod:`mxcore.ops.optimizer_ops` (optimizer update operators).

Each case calls the op and returns its output followed by the states it updates in place, so
both the new weight and the new states are compared with float64 NumPy references written
from the update rules (not from the decompositions). The ops are not differentiable.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..base import MXNetError, MXNetTypeError, MXNetValueError
from .case import Case, ErrorCase, Input

CASES: list = []
ERROR_CASES: list = []

_HALF_SINGLE = ("float16", "float32")


# -- references --------------------------------------------------------------------------------
def _prep(grad, rescale_grad=1.0, clip_gradient=-1.0):
    g = grad * rescale_grad
    return np.clip(g, -clip_gradient, clip_gradient) if clip_gradient >= 0 else g


def _clipped(x, bound):
    return np.clip(x, -bound, bound) if bound >= 0 else x


def sgd_ref(w, g, *, lr, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, **_):
    return (1.0 - lr * wd) * w - lr * _prep(g, rescale_grad, clip_gradient)


def sgd_mom_ref(w, g, mom, *, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                **_):
    mom = momentum * mom - lr * wd * w - lr * _prep(g, rescale_grad, clip_gradient)
    return w + mom, mom


def mp_sgd_ref(w, g, w32, **attrs):
    new = sgd_ref(w32, g, **attrs)
    return new, new


def mp_sgd_mom_ref(w, g, mom, w32, **attrs):
    new, mom = sgd_mom_ref(w32, g, mom, **attrs)
    return new, mom, new


def nag_ref(w, g, mom, *, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
            **_):
    g = _prep(g, rescale_grad, clip_gradient) + wd * w
    mom = momentum * mom + g
    return w - lr * (momentum * mom + g), mom


def mp_nag_ref(w, g, mom, w32, **attrs):
    new, mom = nag_ref(w32, g, mom, **attrs)
    return new, mom, new


def signsgd_ref(w, g, *, lr, wd=0.0, **_):
    return (1.0 - lr * wd) * w - lr * np.sign(g)


def signum_ref(w, g, mom, *, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
               wd_lh=0.0, **_):
    g = _prep(g, rescale_grad, clip_gradient)
    mom = momentum * mom - (1 - momentum) * wd * w - (1 - momentum) * g
    return (1 - lr * wd_lh) * w + lr * np.sign(mom), mom


def adam_ref(w, g, m, v, *, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
             clip_gradient=-1.0, **_):
    g = _clipped(g * rescale_grad + wd * w, clip_gradient)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + epsilon), m, v


def adamw_ref(w, g, m, v, r, *, lr, eta, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0,
              clip_gradient=-1.0, **_):
    scale = float(r.reshape(-1)[0])
    if not np.isfinite(scale) or scale == 0:
        return w, m, v
    g = _prep(g, scale, clip_gradient)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - eta * (lr * m / (np.sqrt(v) + epsilon) + wd * w), m, v


def mp_adamw_ref(w, g, m, v, w32, r, **attrs):
    new, m, v = adamw_ref(w32, g, m, v, r, **attrs)
    return new, m, v, new


def rmsprop_ref(w, g, n, *, lr, gamma1=0.95, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
                clip_gradient=-1.0, clip_weights=-1.0, **_):
    g = _clipped(g * rescale_grad + wd * w, clip_gradient)
    n = (1 - gamma1) * g * g + gamma1 * n
    return _clipped(w - lr * g / np.sqrt(n + epsilon), clip_weights), n


def rmspropalex_ref(w, g, n, gavg, delta, *, lr, gamma1=0.95, gamma2=0.9, epsilon=1e-8, wd=0.0,
                    rescale_grad=1.0, clip_gradient=-1.0, clip_weights=-1.0, **_):
    g = _clipped(g * rescale_grad + wd * w, clip_gradient)
    n = (1 - gamma1) * g * g + gamma1 * n
    gavg = (1 - gamma1) * g + gamma1 * gavg
    delta = gamma2 * delta - lr * g / np.sqrt(n - gavg * gavg + epsilon)
    return _clipped(w + delta, clip_weights), n, gavg, delta


def ftrl_ref(w, g, z, n, *, lr, lamda1=0.01, beta=1.0, wd=0.0, rescale_grad=1.0,
             clip_gradient=-1.0, **_):
    g = _prep(g, rescale_grad, clip_gradient)
    z = z + g - (np.sqrt(n + g * g) - np.sqrt(n)) * w / lr
    n = n + g * g
    new = (np.sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + wd)
    return np.where(np.abs(z) > lamda1, new, 0.0), z, n


def lamb1_ref(w, g, m, v, *, t, wd, beta1=0.9, beta2=0.999, epsilon=1e-6, bias_correction=True,
              rescale_grad=1.0, clip_gradient=-1.0, **_):
    g = _prep(g, rescale_grad, clip_gradient)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    mh, vh = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if bias_correction else (m, v)
    return mh / (np.sqrt(vh) + epsilon) + wd * w, m, v


def lamb2_ref(w, g, r1, r2, *, lr, lower_bound=-1.0, upper_bound=-1.0, **_):
    a, b = float(r1.reshape(-1)[0]), float(r2.reshape(-1)[0])
    if lower_bound >= 0:
        a = max(a, lower_bound)
    if upper_bound >= 0:
        a = min(a, upper_bound)
    ratio = 1.0 if a == 0 or b == 0 else a / b
    return w - lr * ratio * g


# -- case builders -----------------------------------------------------------------------------
def _caller(op: str, mutated: Sequence[int]):
    """Call ``op`` and return its output followed by the inputs it updates in place."""

    def call(nd, *arrays, **attrs):
        return [getattr(nd, op)(*arrays, **attrs)] + [arrays[i] for i in mutated]

    return call


def _case(op: str, inputs: Sequence[Input], ref: Any, attrs: dict, name: str,
          mutated: Sequence[int] = (), **kw: Any) -> None:
    call = _caller(op, mutated) if mutated else None
    CASES.append(Case(op, inputs, ref, attrs, name=name, grad=False, call=call, **kw))


def _states(shape, n, low=-1.0, high=1.0, nc=False):
    return [Input(shape, low, high, noncontiguous=nc) for _ in range(n)]


_S = (3, 4)

# SGD ------------------------------------------------------------------------------------------
_case("sgd_update", _states(_S, 2), sgd_ref, {"lr": 0.1}, "plain")
_case("sgd_update", _states(_S, 2), sgd_ref,
      {"lr": 0.05, "wd": 0.1, "rescale_grad": 0.5, "clip_gradient": 0.3}, "wd rescale clip")
_case("sgd_update", _states((2, 3), 2, nc=True), sgd_ref, {"lr": 0.1, "wd": 0.01},
      "non-contiguous")
_case("sgd_update", _states((0, 3), 2), sgd_ref, {"lr": 0.1}, "zero-size")
_case("sgd_update", [Input((1, 1)), Input((1, 1))], sgd_ref, {"lr": 0.1, "lazy_update": False},
      "size-1")
_case("sgd_update", [Input((4,)), Input((4,), values=[np.nan, np.inf, -np.inf, 1.0])],
      sgd_ref, {"lr": 0.1}, "nan inf grad")
_case("sgd_update", [Input((4,)), Input((4,), values=[np.nan, np.inf, -np.inf, 1.0])],
      sgd_ref, {"lr": 0.1, "clip_gradient": 0.5}, "clip inf grad")
_case("sgd_mom_update", _states(_S, 3), sgd_mom_ref, {"lr": 0.1, "momentum": 0.9}, "momentum",
      mutated=(2,))
_case("sgd_mom_update", _states(_S, 3), sgd_mom_ref,
      {"lr": 0.1, "momentum": 0.5, "wd": 0.05, "rescale_grad": 2.0, "clip_gradient": 1.0},
      "wd rescale clip", mutated=(2,))
_case("sgd_mom_update", _states((2, 3), 3, nc=True), sgd_mom_ref,
      {"lr": 0.1, "momentum": 0.9}, "non-contiguous", mutated=(2,))
_case("sgd_mom_update", _states((0,), 3), sgd_mom_ref, {"lr": 0.1, "momentum": 0.9},
      "zero-size", mutated=(2,))
_case("mp_sgd_update", _states(_S, 2) + [Input(_S, dtype="float32")], mp_sgd_ref,
      {"lr": 0.1, "wd": 0.01, "clip_gradient": 0.5}, "master weight", mutated=(2,),
      dtypes=_HALF_SINGLE)
_case("mp_sgd_mom_update", _states(_S, 2) + [Input(_S, dtype="float32"),
                                              Input(_S, dtype="float32")],
      mp_sgd_mom_ref, {"lr": 0.1, "momentum": 0.9, "wd": 0.01, "rescale_grad": 0.5},
      "master weight", mutated=(2, 3), dtypes=_HALF_SINGLE)
_case("nag_mom_update", _states(_S, 3), nag_ref, {"lr": 0.1, "momentum": 0.9}, "momentum",
      mutated=(2,))
_case("nag_mom_update", _states((2, 3), 3, nc=True), nag_ref,
      {"lr": 0.1, "momentum": 0.8, "wd": 0.1, "rescale_grad": 0.5, "clip_gradient": 0.2},
      "wd rescale clip non-contiguous", mutated=(2,))
_case("mp_nag_mom_update", _states(_S, 2) + [Input(_S, dtype="float32"),
                                              Input(_S, dtype="float32")],
      mp_nag_ref, {"lr": 0.1, "momentum": 0.9, "wd": 0.01}, "master weight", mutated=(2, 3),
      dtypes=_HALF_SINGLE)

# sign methods ---------------------------------------------------------------------------------
_case("signsgd_update", _states(_S, 2), signsgd_ref, {"lr": 0.1, "wd": 0.1}, "wd")
_case("signsgd_update", [Input((3,)), Input((3,), values=[0.0, -0.0, 2.0])], signsgd_ref,
      {"lr": 0.1}, "zero grad")
_case("signum_update", _states(_S, 3), signum_ref,
      {"lr": 0.1, "momentum": 0.9, "wd": 0.05, "wd_lh": 0.01}, "momentum wd_lh", mutated=(2,))
_case("signum_update", _states((2, 3), 3, nc=True), signum_ref,
      {"lr": 0.1, "momentum": 0.5, "rescale_grad": 2.0, "clip_gradient": 0.5},
      "rescale clip non-contiguous", mutated=(2,))

# Adam family ----------------------------------------------------------------------------------
_ADAM_IN = [Input(_S), Input(_S), Input(_S, -0.5, 0.5), Input(_S, 0.1, 1.0)]
_case("adam_update", _ADAM_IN, adam_ref, {"lr": 0.01}, "defaults", mutated=(2, 3))
_case("adam_update", _ADAM_IN, adam_ref,
      {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "wd": 0.1,
       "rescale_grad": 0.5, "clip_gradient": 0.4}, "wd rescale clip", mutated=(2, 3))
_case("adam_update", [Input((2, 3), noncontiguous=True), Input((2, 3)),
                      Input((2, 3), -0.5, 0.5, noncontiguous=True), Input((2, 3), 0.1, 1.0)],
      adam_ref, {"lr": 0.01}, "non-contiguous", mutated=(2, 3))
_case("adam_update", [Input((0, 2))] * 4, adam_ref, {"lr": 0.01}, "zero-size", mutated=(2, 3))
_ADAMW_IN = _ADAM_IN + [Input((1,), values=[0.5], dtype="float32")]
_case("_adamw_update", _ADAMW_IN, adamw_ref, {"lr": 1.0, "eta": 0.01, "wd": 0.1},
      "decoupled wd", mutated=(2, 3))
_case("adamw_update", _ADAMW_IN, adamw_ref,
      {"lr": 0.5, "eta": 0.1, "wd": 0.01, "clip_gradient": 0.3, "beta1": 0.8},
      "alias clip", mutated=(2, 3))
_case("_adamw_update", _ADAM_IN + [Input((1,), values=[np.inf], dtype="float32")],
      adamw_ref, {"lr": 1.0, "eta": 0.01, "wd": 0.1}, "inf rescale skips", mutated=(2, 3))
_case("_adamw_update", _ADAM_IN + [Input((1,), values=[0.0], dtype="float32")],
      adamw_ref, {"lr": 1.0, "eta": 0.01}, "zero rescale skips", mutated=(2, 3))
_case("_mp_adamw_update", _states(_S, 2) + [Input(_S, -0.5, 0.5, dtype="float32"),
                                             Input(_S, 0.1, 1.0, dtype="float32"),
                                             Input(_S, dtype="float32"),
                                             Input((1,), values=[1.0], dtype="float32")],
      mp_adamw_ref, {"lr": 1.0, "eta": 0.01, "wd": 0.1}, "master weight", mutated=(2, 3, 4),
      dtypes=_HALF_SINGLE)

# RMSProp --------------------------------------------------------------------------------------
_case("rmsprop_update", [Input(_S), Input(_S), Input(_S, 0.1, 1.0)], rmsprop_ref,
      {"lr": 0.01}, "defaults", mutated=(2,))
_case("rmsprop_update", [Input(_S), Input(_S), Input(_S, 0.1, 1.0)], rmsprop_ref,
      {"lr": 0.5, "gamma1": 0.9, "wd": 0.1, "rescale_grad": 0.5, "clip_gradient": 0.3,
       "clip_weights": 0.8}, "wd clip clip_weights", mutated=(2,))
_case("rmsprop_update", [Input((2, 3), noncontiguous=True), Input((2, 3)),
                         Input((2, 3), 0.1, 1.0, noncontiguous=True)], rmsprop_ref,
      {"lr": 0.01}, "non-contiguous", mutated=(2,))
_ALEX_IN = [Input(_S), Input(_S), Input(_S, 1.0, 2.0), Input(_S, -0.5, 0.5),
            Input(_S, -0.1, 0.1)]
_case("rmspropalex_update", _ALEX_IN, rmspropalex_ref, {"lr": 0.01}, "defaults",
      mutated=(2, 3, 4))
_case("rmspropalex_update", _ALEX_IN, rmspropalex_ref,
      {"lr": 0.1, "gamma1": 0.9, "gamma2": 0.8, "wd": 0.05, "clip_gradient": 0.5,
       "clip_weights": 0.9, "epsilon": 1e-4}, "wd clip clip_weights", mutated=(2, 3, 4))

# FTRL -----------------------------------------------------------------------------------------
_FTRL_IN = [Input(_S), Input(_S), Input(_S), Input(_S, 0.1, 1.0)]
_case("ftrl_update", _FTRL_IN, ftrl_ref, {"lr": 0.1}, "defaults", mutated=(2, 3))
_case("ftrl_update", _FTRL_IN, ftrl_ref,
      {"lr": 0.2, "lamda1": 0.5, "beta": 2.0, "wd": 0.1, "rescale_grad": 0.5,
       "clip_gradient": 0.5}, "l1 wd clip", mutated=(2, 3))
_case("ftrl_update", [Input((2, 3), noncontiguous=True), Input((2, 3)),
                      Input((2, 3), noncontiguous=True), Input((2, 3), 0.1, 1.0)],
      ftrl_ref, {"lr": 0.1}, "non-contiguous", mutated=(2, 3))

# LAMB -----------------------------------------------------------------------------------------
_case("lamb_update_phase1", _ADAM_IN, lamb1_ref, {"t": 3, "wd": 0.01}, "bias correction",
      mutated=(2, 3))
_case("lamb_update_phase1", _ADAM_IN, lamb1_ref,
      {"t": 1, "wd": 0.0, "bias_correction": False, "rescale_grad": 0.5, "clip_gradient": 0.3,
       "epsilon": 1e-4}, "no bias correction clip", mutated=(2, 3))
_case("lamb_update_phase1", [Input((0, 3))] * 4, lamb1_ref, {"t": 1, "wd": 0.1}, "zero-size",
      mutated=(2, 3))
_case("lamb_update_phase2", [Input(_S), Input(_S), Input((1,), 0.5, 2.0),
                             Input((1,), 0.5, 2.0)], lamb2_ref, {"lr": 0.1}, "ratio")
_case("lamb_update_phase2", [Input(_S), Input(_S), Input((1,), 0.5, 2.0),
                             Input((1,), 0.5, 2.0)], lamb2_ref,
      {"lr": 0.1, "lower_bound": 1.0, "upper_bound": 1.5}, "bounds")
_case("lamb_update_phase2", [Input(_S), Input(_S), Input((1,), values=[0.0]),
                             Input((1,), 0.5, 2.0)], lamb2_ref, {"lr": 0.1}, "zero r1")
_case("lamb_update_phase2", [Input((2, 3), noncontiguous=True), Input((2, 3)),
                             Input((1,), 0.5, 2.0), Input((1,), values=[0.0])], lamb2_ref,
      {"lr": 0.1}, "zero r2 non-contiguous")

# invalid input --------------------------------------------------------------------------------
_E = ERROR_CASES
_E.append(ErrorCase("sgd_update", [Input((3,)), Input((4,))], {"lr": 0.1}, MXNetValueError,
                    name="grad shape"))
_E.append(ErrorCase("sgd_update", [Input((3,)), Input((3,))], {}, MXNetValueError,
                    name="missing lr"))
_E.append(ErrorCase("sgd_update", [Input((3,)), Input((3,))], {"lr": "fast"}, MXNetError,
                    name="bad lr"))
_E.append(ErrorCase("sgd_update", [Input((3,), dtype="int32"), Input((3,), dtype="int32")],
                    {"lr": 0.1}, MXNetTypeError, name="integer weight"))
_E.append(ErrorCase("sgd_mom_update", [Input((2, 3)), Input((2, 3)), Input((3, 2))],
                    {"lr": 0.1, "momentum": 0.9}, MXNetValueError, name="mom shape"))
_E.append(ErrorCase("mp_sgd_update", [Input((3,), dtype="float16"), Input((3,), dtype="float16"),
                                      Input((3,), dtype="float16")],
                    {"lr": 0.1}, MXNetTypeError, name="master weight not float32"))
_E.append(ErrorCase("adam_update", [Input((3,)), Input((3,)), Input((3,)), Input((2,))],
                    {"lr": 0.1}, MXNetValueError, name="var shape"))
_E.append(ErrorCase("_adamw_update", [Input((3,)), Input((3,)), Input((3,)), Input((3,)),
                                      Input((3,))], {"lr": 0.1, "eta": 1.0}, MXNetValueError,
                    name="rescale_grad shape"))
_E.append(ErrorCase("_adamw_update", [Input((3,)), Input((3,)), Input((3,)), Input((3,)),
                                      Input((1,))], {"lr": 0.1}, MXNetValueError,
                    name="missing eta"))
_E.append(ErrorCase("lamb_update_phase1", [Input((3,))] * 4, {"t": 0, "wd": 0.0},
                    MXNetValueError, name="t zero"))
_E.append(ErrorCase("lamb_update_phase2", [Input((3,)), Input((3,)), Input((2,)),
                                           Input((1,))], {"lr": 0.1}, MXNetValueError,
                    name="r1 shape"))
_E.append(ErrorCase("ftrl_update", [Input((3,)), Input((3,)), Input((3,))], {"lr": 0.1},
                    MXNetError, name="missing state"))
