"""Fused kernels for the composites that dominate training (checked by the conformance suite
against the reference, like every op)."""

from __future__ import annotations

import math
from typing import Any, Callable, Dict

import numpy as np

from .array import CLArray
from .codegen import ctype, elementwise, new_array, pragmas
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



# -- softmax / log_softmax: one work-item per row, three passes over it ---------------------
_SOFTMAX_SRC = """
__kernel void k(long nrows, long R, int nd, __global const long* geo, __global O* out,
                long ors, __global const TX* x, long x_off, long rs, O inv_t) {
    long row = get_global_id(0);
    if (row >= nrows) return;
    long r = row, ox = x_off, oo = 0;
    for (int d = nd - 1; d >= 0; --d) {
        long c = r % geo[d]; r /= geo[d];
        ox += c * geo[nd + d]; oo += c * geo[2 * nd + d];
    }
    O best = -INFINITY;
    for (long j = 0; j < R; ++j) {
        O v = SCALE((O)x[ox + j * rs]);
        best = (v > best || v != v) ? v : best;
    }
    O total = 0;
    for (long j = 0; j < R; ++j) total += exp(SCALE((O)x[ox + j * rs]) - best);
    O lt = log(total);
    for (long j = 0; j < R; ++j) {
        O z = SCALE((O)x[ox + j * rs]) - best;
        out[oo + j * ors] = RESULT;
    }
}
"""


def _softmax_rows(x: CLArray, axis: int, temperature: Any, dtype: Any, log: bool) -> CLArray:
    from .reduce import transpose

    rt = x.rt
    out_dtype = np.dtype(x.dtype if dtype is None else dtype)
    out = new_array(rt, x.shape, out_dtype)
    if x.size == 0:
        return out
    axis = axis % x.ndim
    perm = tuple(i for i in range(x.ndim) if i != axis) + (axis,)
    xv, ov = transpose(x, perm), transpose(out, perm)
    nrows = x.size // x.shape[axis]
    scaled = temperature is not None and temperature != 1.0
    tx, to = ctype(x.dtype), ctype(out_dtype)
    src = (_SOFTMAX_SRC.replace("SCALE", "(inv_t) *" if scaled else "")
           .replace("RESULT", "z - lt" if log else "exp(z) / total"))
    kern = rt.kernel(("softmax", tx, to, scaled, log),
                     lambda: pragmas(rt) + f"typedef {tx} TX; typedef {to} O;\n" + src)
    geo = rt.geometry(list(xv.shape[:-1]) + list(xv.strides[:-1]) + list(ov.strides[:-1]))
    inv = out_dtype.type(1.0 / temperature if scaled else 1.0)
    rt.run(kern, nrows, [np.int64(nrows), np.int64(x.shape[axis]), np.int32(x.ndim - 1), geo,
                         out.buf, np.int64(ov.strides[-1]), xv.buf, np.int64(xv.offset),
                         np.int64(xv.strides[-1]), inv])
    return out


def _needs_decomposition(x: CLArray, temperature: Any) -> bool:
    """The decomposition divides by T; the kernel multiplies by 1/T, which is the same
    only when T is a power of two (T == 1 in training)."""
    if temperature is None:
        return False
    return abs(math.frexp(float(temperature))[0]) != 0.5


def softmax(x, *length, axis, temperature, dtype, use_length):
    if length or use_length or _needs_decomposition(x, temperature):
        from mxcore.ops import activation

        return activation._softmax(_K(x.rt), x, *length, axis=axis, temperature=temperature,
                                   dtype=dtype, use_length=use_length)
    return _softmax_rows(x, axis, temperature, dtype, log=False)


def log_softmax(x, *, axis, temperature, dtype, use_length):
    if use_length or _needs_decomposition(x, temperature):
        from mxcore.ops import activation

        return activation._log_softmax(_K(x.rt), x, axis=axis, temperature=temperature,
                                       dtype=dtype, use_length=use_length)
    return _softmax_rows(x, axis, temperature, dtype, log=True)


def _K(rt: Any) -> Any:
    """The primitive kernels as a namespace (for falling back to a decomposition)."""
    from .kernels import primitive_namespace

    return primitive_namespace(rt)


def make(rt: Any) -> Dict[str, Callable]:
    return {"FullyConnected": fully_connected, "sgd_update": sgd_update,
            "sgd_mom_update": sgd_mom_update, "adam_update": adam_update,
            "softmax": softmax, "log_softmax": log_softmax}
