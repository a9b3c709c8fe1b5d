"""Normalisation operators: BatchNorm, LayerNorm, InstanceNorm and GroupNorm, as in MXNet 1.x.

Statistics of float16 data are computed in float32. Gradients are written with ops (the shared
part is :func:`norm_input_grad`), so higher-order gradients work.
"""

from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

from .. import autograd as _autograd
from ._helpers import normalize_axis
from ._nn_common import Ints, _prod
from .registry import OpDef, Param, register_op, to_any, to_bool, to_float, to_int

AREA = "nn"


def _work_dtype(dtype: Any) -> Any:
    """Statistics of float16 data are computed in float32."""
    return np.dtype("float32") if dtype == np.float16 else dtype


def _moments(K, x: Any, axes: Ints) -> Tuple[Any, Any, Any]:
    """(mean, centred x, biased variance) over ``axes``, keeping dims."""
    count = x.dtype.type(_prod([x.shape[a] for a in axes]) or 1)
    mean = K.divide(K.sum(x, axes, True), count)
    xc = K.subtract(x, mean)
    return mean, xc, K.divide(K.sum(K.square(xc), axes, True), count)


def norm_input_grad(F, x: Any, dxhat: Any, axes: Ints, eps: float) -> Tuple[Any, Any]:
    """Gradient of ``xhat = (x - mean) / sqrt(var + eps)`` (stats over ``axes``) given
    ``dxhat``; returns (dx, xhat). Written with ops, so it differentiates again."""
    mean = F.mean(x, axis=axes, keepdims=True)
    xc = x - mean
    invstd = F.rsqrt(F.mean(F.square(xc), axis=axes, keepdims=True) + eps)
    xhat = xc * invstd
    dx = (dxhat - F.mean(dxhat, axis=axes, keepdims=True)
          - xhat * F.mean(dxhat * xhat, axis=axes, keepdims=True)) * invstd
    return dx, xhat


def _sum_to(F, t: Any, keep: Sequence[int]) -> Any:
    """Sum ``t`` over every axis not in ``keep`` (no keepdims)."""
    axes = tuple(i for i in range(t.ndim) if i not in keep)
    return F.sum(t, axis=axes) if axes else t


def _check_param_shape(name: str, shape: Sequence[int], want: Ints) -> None:
    if tuple(shape) != want:
        raise ValueError(f"{name} must have shape {want}, got {tuple(shape)}")


# BatchNorm ------------------------------------------------------------------------------------
def _bn_layout(ndim: int, axis: int) -> Tuple[int, Ints]:
    ax = normalize_axis(axis, ndim)
    return ax, tuple(i for i in range(ndim) if i != ax)


def _check_bn(shapes, dtypes, *, axis, **_):
    x = shapes[0]
    if len(x) < 1:
        raise ValueError("data must have at least one axis")
    ax, _red = _bn_layout(len(x), axis)
    for name, shape in zip(("gamma", "beta", "moving_mean", "moving_var"), shapes[1:]):
        _check_param_shape(name, shape, (x[ax],))


def _batch_norm(K, x, gamma, beta, moving_mean, moving_var, *, eps, momentum, fix_gamma,
                use_global_stats, axis, is_train=False, **_):
    ax, red = _bn_layout(x.ndim, axis)
    c = x.shape[ax]
    bshape = (1,) * ax + (c,) + (1,) * (x.ndim - ax - 1)
    wt = _work_dtype(x.dtype)
    xw = K.cast(x, wt) if wt != x.dtype else x
    batch = is_train and not use_global_stats
    if batch:
        mean, xc, var = _moments(K, xw, red)
    else:
        mean = K.reshape(K.cast(moving_mean, wt), bshape)
        var = K.reshape(K.cast(moving_var, wt), bshape)
        xc = K.subtract(xw, mean)
    invstd = K.reciprocal(K.sqrt(K.add(var, wt.type(eps))))
    scale = invstd if fix_gamma else K.multiply(invstd, K.reshape(K.cast(gamma, wt), bshape))
    out = K.add(K.multiply(xc, scale), K.reshape(K.cast(beta, wt), bshape))
    sdt = moving_mean.dtype
    result = (K.cast(out, x.dtype), K.cast(K.reshape(mean, (c,)), sdt),
              K.cast(K.reshape(invstd, (c,)), sdt))
    if not batch:
        return result
    m, keep = wt.type(momentum), wt.type(1.0 - momentum)

    def update(moving: Any, batch: Any) -> Any:
        new = K.add(K.multiply(K.cast(moving, wt), m), K.multiply(K.reshape(batch, (c,)), keep))
        return K.cast(new, moving.dtype)

    return result + (update(moving_mean, mean), update(moving_var, var))


def _bn_grad(F, inputs, outputs, out_grads, *, eps, fix_gamma, use_global_stats, axis,
             is_train=False, **_):
    x, gamma, beta, moving_mean, moving_var = inputs
    og = out_grads[0]
    ax, red = _bn_layout(x.ndim, axis)
    bshape = (1,) * ax + (x.shape[ax],) + (1,) * (x.ndim - ax - 1)
    g = None if fix_gamma else F.reshape(gamma, shape=bshape)
    dxhat = og if g is None else og * g
    dbeta = _sum_to(F, og, (ax,))
    if is_train and not use_global_stats:
        if _autograd.is_recording():  # higher order: statistics depend on x
            dx, xhat = norm_input_grad(F, x, dxhat, red, eps)
            dgamma = _sum_to(F, og * xhat, (ax,))
        else:  # the batch statistics saved by the forward pass
            invstd = F.reshape(outputs[2], shape=bshape)
            xhat = (x - F.reshape(outputs[1], shape=bshape)) * invstd
            dgamma = _sum_to(F, og * xhat, (ax,))
            count = x.size // x.shape[ax] or 1
            mean_dxhat = F.reshape(dbeta if g is None else dbeta * gamma, shape=bshape) / count
            mean_dxhat_xhat = F.reshape(dgamma if g is None else dgamma * gamma,
                                        shape=bshape) / count
            dx = (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * invstd
    else:
        invstd = F.rsqrt(F.reshape(moving_var, shape=bshape) + eps)
        xhat = (x - F.reshape(moving_mean, shape=bshape)) * invstd
        dx = dxhat * invstd
        dgamma = _sum_to(F, og * xhat, (ax,))
    if fix_gamma:
        dgamma = F.zeros_like(gamma)
    return [dx, dgamma, dbeta, None, None]


register_op(OpDef(
    "BatchNorm", ("data", "gamma", "beta", "moving_mean", "moving_var"),
    (Param("eps", to_float, 1e-3, "added to the variance"),
     Param("momentum", to_float, 0.9, "moving average: moving = momentum*moving + "
                                      "(1-momentum)*batch"),
     Param("fix_gamma", to_bool, True, "use gamma = 1 (its gradient is 0)"),
     Param("use_global_stats", to_bool, False, "always use the moving statistics"),
     Param("output_mean_var", to_bool, False, "also return the mean and inverse std"),
     Param("axis", to_int, 1, "channel axis"),
     Param("cudnn_off", to_bool, False, "accepted for compatibility; unused"),
     Param("min_calib_range", to_any, None, "accepted for compatibility; unused"),
     Param("max_calib_range", to_any, None, "accepted for compatibility; unused")),
    compute=_batch_norm, gradient=_bn_grad, check=_check_bn, num_outputs=3,
    num_visible_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1,
    mutates=(3, 4), uses_train_flag=True, area=AREA,
    doc="Batch normalisation over every axis but ``axis``. In training (autograd.train_mode "
        "or record) it uses batch statistics and updates moving_mean/moving_var in place; "
        "otherwise the moving statistics. With output_mean_var it also returns the mean and "
        "the inverse standard deviation (as MXNet). Their gradients are not propagated."))


# LayerNorm / InstanceNorm / GroupNorm ---------------------------------------------------------
def _affine(K, xhat: Any, gamma: Any, beta: Any, bshape: Ints) -> Any:
    return K.add(K.multiply(xhat, K.reshape(gamma, bshape)), K.reshape(beta, bshape))


def _normalize(K, x: Any, axes: Ints, eps: float) -> Tuple[Any, Any, Any]:
    """(xhat, mean, std) over ``axes`` (keeping dims), with float16 computed in float32."""
    wt = _work_dtype(x.dtype)
    xw = K.cast(x, wt) if wt != x.dtype else x
    mean, xc, var = _moments(K, xw, axes)
    std = K.sqrt(K.add(var, wt.type(eps)))
    return K.divide(xc, std), mean, std


def _check_layer_norm(shapes, dtypes, *, axis, **_):
    x = shapes[0]
    if len(x) < 1:
        raise ValueError("data must have at least one axis")
    ax = normalize_axis(axis, len(x))
    for name, shape in zip(("gamma", "beta"), shapes[1:]):
        _check_param_shape(name, shape, (x[ax],))


def _layer_norm(K, x, gamma, beta, *, axis, eps, **_):
    ax = normalize_axis(axis, x.ndim)
    xhat, mean, std = _normalize(K, x, (ax,), eps)
    bshape = (1,) * ax + (x.shape[ax],) + (1,) * (x.ndim - ax - 1)
    out = _affine(K, xhat, K.cast(gamma, xhat.dtype), K.cast(beta, xhat.dtype), bshape)
    return K.cast(out, x.dtype), K.cast(mean, x.dtype), K.cast(std, x.dtype)


def _layer_norm_grad(F, inputs, outputs, out_grads, *, axis, eps, **_):
    x, gamma, _beta = inputs
    og = out_grads[0]
    ax = normalize_axis(axis, x.ndim)
    bshape = (1,) * ax + (x.shape[ax],) + (1,) * (x.ndim - ax - 1)
    dx, xhat = norm_input_grad(F, x, og * F.reshape(gamma, shape=bshape), (ax,), eps)
    return [dx, _sum_to(F, og * xhat, (ax,)), _sum_to(F, og, (ax,))]


register_op(OpDef(
    "LayerNorm", ("data", "gamma", "beta"),
    (Param("axis", to_int, -1, "axis to normalise over"),
     Param("eps", to_float, 1e-5, "added to the variance"),
     Param("output_mean_var", to_bool, False, "also return the mean and std")),
    compute=_layer_norm, gradient=_layer_norm_grad, check=_check_layer_norm, num_outputs=3,
    num_visible_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1, area=AREA,
    doc="Layer normalisation over ``axis``, scaled by gamma and shifted by beta (both of "
        "the axis' size). With output_mean_var it also returns the mean and std."))


def _check_instance_norm(shapes, dtypes, **_):
    x = shapes[0]
    if len(x) < 3:
        raise ValueError(f"data must be at least 3-d (N, C, *spatial), got {tuple(x)}")
    for name, shape in zip(("gamma", "beta"), shapes[1:]):
        _check_param_shape(name, shape, (x[1],))


def _instance_norm(K, x, gamma, beta, *, eps):
    xhat, _mean, _std = _normalize(K, x, tuple(range(2, x.ndim)), eps)
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    out = _affine(K, xhat, K.cast(gamma, xhat.dtype), K.cast(beta, xhat.dtype), bshape)
    return K.cast(out, x.dtype)


def _instance_norm_grad(F, inputs, outputs, out_grads, *, eps):
    x, gamma, _beta = inputs
    og = out_grads[0]
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    dx, xhat = norm_input_grad(F, x, og * F.reshape(gamma, shape=bshape),
                               tuple(range(2, x.ndim)), eps)
    return [dx, _sum_to(F, og * xhat, (1,)), _sum_to(F, og, (1,))]


register_op(OpDef(
    "InstanceNorm", ("data", "gamma", "beta"), (Param("eps", to_float, 1e-3),),
    compute=_instance_norm, gradient=_instance_norm_grad, check=_check_instance_norm,
    area=AREA,
    doc="Instance normalisation: each (sample, channel) over its spatial axes, then "
        "gamma/beta per channel."))


def _group_shapes(x: Sequence[int], groups: int, gamma_size: int) -> Tuple[Ints, Ints]:
    """Grouped data shape (N, G, C/G, *spatial) and gamma's broadcast shape in it."""
    n, c = x[0], x[1]
    spatial = tuple(x[2:])
    per_group = (1, groups, 1) if gamma_size == groups else (1, groups, c // groups)
    return (n, groups, c // groups) + spatial, per_group + (1,) * len(spatial)


def _check_group_norm(shapes, dtypes, *, num_groups, **_):
    x = shapes[0]
    if len(x) < 3:
        raise ValueError(f"data must be at least 3-d (N, C, *spatial), got {tuple(x)}")
    if num_groups < 1 or x[1] % num_groups:
        raise ValueError(f"channels ({x[1]}) must be divisible by num_groups ({num_groups})")
    for name, shape in zip(("gamma", "beta"), shapes[1:]):
        if tuple(shape) not in ((num_groups,), (x[1],)):
            raise ValueError(f"{name} must have shape ({num_groups},) (per group, as MXNet) "
                             f"or ({x[1]},) (per channel), got {tuple(shape)}")


def _group_norm(K, x, gamma, beta, *, num_groups, eps, **_):
    gshape, bshape = _group_shapes(x.shape, num_groups, gamma.shape[0])
    xg = K.reshape(x, gshape)
    xhat, mean, std = _normalize(K, xg, tuple(range(2, xg.ndim)), eps)
    out = _affine(K, xhat, K.cast(gamma, xhat.dtype), K.cast(beta, xhat.dtype), bshape)
    moments = tuple(x.shape[:1]) + (num_groups,)
    return (K.cast(K.reshape(out, x.shape), x.dtype), K.cast(K.reshape(mean, moments), x.dtype),
            K.cast(K.reshape(std, moments), x.dtype))


def _group_norm_grad(F, inputs, outputs, out_grads, *, num_groups, eps, **_):
    x, gamma, _beta = inputs
    gshape, bshape = _group_shapes(x.shape, num_groups, gamma.shape[0])
    xg = F.reshape(x, shape=gshape)
    og = F.reshape(out_grads[0], shape=gshape)
    dx, xhat = norm_input_grad(F, xg, og * F.reshape(gamma, shape=bshape),
                               tuple(range(2, len(gshape))), eps)
    keep = (1,) if gamma.shape[0] == num_groups else (1, 2)
    dgamma = F.reshape(_sum_to(F, og * xhat, keep), shape=gamma.shape)
    dbeta = F.reshape(_sum_to(F, og, keep), shape=gamma.shape)
    return [F.reshape(dx, shape=x.shape), dgamma, dbeta]


register_op(OpDef(
    "GroupNorm", ("data", "gamma", "beta"),
    (Param("num_groups", to_int, 1, "channel groups"),
     Param("eps", to_float, 1e-5, "added to the variance"),
     Param("output_mean_var", to_bool, False, "also return the mean and std, (N, num_groups)")),
    compute=_group_norm, gradient=_group_norm_grad, check=_check_group_norm, num_outputs=3,
    num_visible_outputs=lambda attrs: 3 if attrs["output_mean_var"] else 1, area=AREA,
    doc="Group normalisation: channels split into num_groups groups, each normalised per "
        "sample. gamma/beta have shape (num_groups,) as in MXNet 1.x, or (C,) per channel."))
