"""Fused kernels for the composites that dominate training (checked by the conformance suite
against the reference, like every op)."""

from __future__ import annotations

import math
from typing import Any, Callable, Dict

from .array import CLArray
from .codegen import elementwise
from .linalg import matmul
from .movement import reshape, transpose

__all__ = ["make"]


def fully_connected(data, weight, *bias, num_hidden, no_bias, flatten):
    """``data · weightᵀ + bias`` as one tiled matmul with the bias added in its epilogue."""
    shape = data.shape
    if flatten:
        rows, out_shape = (shape[0], math.prod(shape[1:])), (shape[0], num_hidden)
    else:
        rows, out_shape = (math.prod(shape[:-1]), shape[-1]), shape[:-1] + (num_hidden,)
    out = matmul(reshape(data, rows), transpose(weight, (1, 0)), bias[0] if bias else None)
    return reshape(out, out_shape)




# -- optimizer updates: one element-wise kernel per updated array ----------------------------
def _grad_expr(clip_gradient: float, wd_term: str = "") -> str:
    """C expression of the rescaled (plus weight decay), clipped gradient; ``b`` is grad."""
    g = f"((T)b * rs{wd_term})"
    return f"mx_min(mx_max({g}, -cg), cg)" if clip_gradient >= 0 else g


def _t(x: CLArray, value: float) -> Any:
    return x.dtype.type(value)


def sgd_update(weight, grad, *, lr, wd, rescale_grad, clip_gradient, **_):
    """weight = (1 - lr*wd)*weight - lr*clip(rescale_grad*grad), in one kernel."""
    g = _grad_expr(clip_gradient)
    return elementwise(weight.rt, f"a * k0 + {g} * k1", [weight, grad], weight.dtype,
                       compute=weight.dtype, extra="T k0, T k1, T rs, T cg",
                       extra_values=(_t(weight, 1.0 - lr * wd), _t(weight, -lr),
                                     _t(weight, rescale_grad), _t(weight, clip_gradient)))


def sgd_mom_update(weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient, **_):
    """mom = momentum*mom - lr*wd*weight - lr*clip(...); weight += mom: two kernels."""
    g = _grad_expr(clip_gradient)
    rt = weight.rt
    new_mom = elementwise(rt, f"(T)c * k0 + a * k1 - {g} * k2", [weight, grad, mom],
                          mom.dtype, compute=weight.dtype, extra="T k0, T k1, T k2, T rs, T cg",
                          extra_values=(_t(weight, momentum), _t(weight, -lr * wd),
                                        _t(weight, lr), _t(weight, rescale_grad),
                                        _t(weight, clip_gradient)))
    new_w = elementwise(rt, "a + (T)b", [weight, new_mom], weight.dtype, compute=weight.dtype)
    return new_w, new_mom


def adam_update(weight, grad, mean, var, *, lr, beta1, beta2, epsilon, wd, rescale_grad,
                clip_gradient, **_):
    """Adam's moments and step in three kernels (mean, var, weight)."""
    rt = weight.rt
    g = _grad_expr(clip_gradient, " + a * wd")
    scalars = "T k0, T k1, T rs, T cg, T wd"

    def moment(state, square: bool) -> CLArray:
        beta = beta2 if square else beta1
        term = f"({g}) * ({g})" if square else g
        return elementwise(rt, f"(T)c * k0 + {term} * k1", [weight, grad, state], state.dtype,
                           compute=weight.dtype, extra=scalars,
                           extra_values=(_t(weight, beta), _t(weight, 1.0 - beta),
                                         _t(weight, rescale_grad), _t(weight, clip_gradient),
                                         _t(weight, wd)))

    m, v = moment(mean, False), moment(var, True)
    new_w = elementwise(rt, "a - (T)b / (sqrt((T)c) + k1) * k0", [weight, m, v], weight.dtype,
                        compute=weight.dtype, extra="T k0, T k1",
                        extra_values=(_t(weight, lr), _t(weight, epsilon)))
    return new_w, m, v


def make(rt: Any) -> Dict[str, Callable]:
    return {"FullyConnected": fully_connected, "sgd_update": sgd_update,
            "sgd_mom_update": sgd_mom_update, "adam_update": adam_update}
