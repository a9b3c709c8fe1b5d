"""Conformance cases for the nn area: :mod:`mxcore.ops.conv`, :mod:`mxcore.ops.pooling`,
:mod:`mxcore.ops.norm` and :mod:`mxcore.ops.nn` (Dropout).

References are direct float64 loops over output positions (convolution, pooling) or input
positions (deconvolution, gradients), written independently of the decompositions.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..base import MXNetError
from .case import FLOATS, Case, ErrorCase, Input

CASES: list = []
ERROR_CASES: list = []


def _tup(value, n, fill):
    return tuple(value) if value else (fill,) * n


# -- references: convolution family ------------------------------------------------------------
def _conv_geo(x_shape, kernel, stride, dilate, pad):
    nsp = len(kernel)
    return _tup(stride, nsp, 1), _tup(dilate, nsp, 1), _tup(pad, nsp, 0)


def conv_ref(x, w, b=None, *, kernel, num_filter, stride=(), dilate=(), pad=(), num_group=1,
             no_bias=False, **_):
    stride, dilate, pad = _conv_geo(x.shape, kernel, stride, dilate, pad)
    n, c = x.shape[:2]
    cg, fg = c // num_group, num_filter // num_group
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    out_sp = [(s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, p, d, k, st in zip(x.shape[2:], pad, dilate, kernel, stride)]
    out = np.zeros((n, num_filter) + tuple(out_sp))
    for o in itertools.product(*[range(m) for m in out_sp]):
        key = tuple(slice(oi * st, oi * st + d * (k - 1) + 1, d)
                    for oi, st, d, k in zip(o, stride, dilate, kernel))
        for f in range(num_filter):
            g = f // fg
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + key]
            out[(slice(None), f) + o] = np.sum(patch * w[f], axis=tuple(range(1, patch.ndim)))
    if b is not None and not no_bias:
        out += b.reshape((1, -1) + (1,) * len(kernel))
    return out


def _deconv_pad_adj(in_sp, kernel, stride, dilate, pad, adj, target_shape):
    nsp = len(kernel)
    pad, adj = list(_tup(pad, nsp, 0)), list(_tup(adj, nsp, 0))
    target = _tup(target_shape, nsp, 0)
    for i in range(nsp):
        if target[i] > 0:
            total = stride[i] * (in_sp[i] - 1) + dilate[i] * (kernel[i] - 1) + 1 - target[i]
            pad[i], adj[i] = (total + 1) // 2, total % 2
    return pad, adj


def deconv_ref(x, w, b=None, *, kernel, num_filter, stride=(), dilate=(), pad=(), adj=(),
               target_shape=(), num_group=1, no_bias=True, **_):
    nsp = len(kernel)
    stride, dilate = _tup(stride, nsp, 1), _tup(dilate, nsp, 1)
    pad, adj = _deconv_pad_adj(x.shape[2:], kernel, stride, dilate, pad, adj, target_shape)
    n, c = x.shape[:2]
    cg, fg = c // num_group, num_filter // num_group
    full = [(s - 1) * st + d * (k - 1) + 1 + a
            for s, st, d, k, a in zip(x.shape[2:], stride, dilate, kernel, adj)]
    big = np.zeros((n, num_filter) + tuple(full))
    for i in itertools.product(*[range(s) for s in x.shape[2:]]):
        for k in itertools.product(*[range(kk) for kk in kernel]):
            pos = tuple(ii * st + kk * d for ii, st, kk, d in zip(i, stride, k, dilate))
            for ci in range(c):
                g = ci // cg
                big[(slice(None), slice(g * fg, (g + 1) * fg)) + pos] += \
                    x[(slice(None), ci) + i][:, None] * w[(ci, slice(None)) + k][None, :]
    key = tuple(slice(p, f - p) for p, f in zip(pad, full))
    out = big[(slice(None), slice(None)) + key]
    if b is not None and not no_bias:
        out = out + b.reshape((1, -1) + (1,) * nsp)
    return out


def conv_weight_grad_ref(x, dy, *, kernel, stride=(), dilate=(), pad=(), num_group=1, **_):
    stride, dilate, pad = _conv_geo(x.shape, kernel, stride, dilate, pad)
    n, c = x.shape[:2]
    f = dy.shape[1]
    cg, fg = c // num_group, f // num_group
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    dw = np.zeros((f, cg) + tuple(kernel))
    for o in itertools.product(*[range(m) for m in dy.shape[2:]]):
        key = tuple(slice(oi * st, oi * st + d * (k - 1) + 1, d)
                    for oi, st, d, k in zip(o, stride, dilate, kernel))
        for fi in range(f):
            g = fi // fg
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + key]
            dw[fi] += np.tensordot(dy[(slice(None), fi) + o], patch, axes=(0, 0))
    return dw


# -- references: pooling -----------------------------------------------------------------------
def _pool_windows(shape, kernel=(), global_pool=False, pooling_convention="valid", stride=(),
                  pad=(), **_):
    """Yield (output index, box of real positions, count incl. declared pad) per window."""
    spatial = shape[2:]
    nsp = len(spatial)
    if global_pool:
        kernel, stride, pad = tuple(spatial), (1,) * nsp, (0,) * nsp
    stride, pad = _tup(stride, nsp, 1), _tup(pad, nsp, 0)
    outs, starts = [], []
    for s, k, st, p in zip(spatial, kernel, stride, pad):
        if global_pool or pooling_convention == "valid":
            o, lo = (s + 2 * p - k) // st + 1, p
        elif pooling_convention == "full":
            o, lo = int(math.ceil((s + 2 * p - k) / st)) + 1, p
        else:
            o = int(math.ceil(s / st))
            lo = max(0, (o - 1) * st + k - s) // 2
        outs.append(o)
        starts.append(lo)
    for o in itertools.product(*[range(m) for m in outs]):
        box, count = [], 1
        for oi, st, k, lo, p, s in zip(o, stride, kernel, starts, pad, spatial):
            begin = oi * st - lo
            end = min(begin + k, s + p)
            count *= end - begin
            box.append(slice(max(begin, 0), min(end, s)))
        yield o, tuple(box), count, tuple(outs)


def pool_ref(x, *, pool_type="max", p_value=None, count_include_pad=None, **attrs):
    cip = True if count_include_pad is None else count_include_pad
    out = None
    for o, box, count, outs in _pool_windows(x.shape, **attrs):
        if out is None:
            out = np.zeros(x.shape[:2] + outs)
        win = x[(slice(None), slice(None)) + box]
        win = win.reshape(x.shape[:2] + (int(np.prod(win.shape[2:])),))
        if pool_type == "max":
            val = win.max(axis=-1)
        elif pool_type == "sum":
            val = win.sum(axis=-1)
        elif pool_type == "avg":
            val = win.sum(axis=-1) / (count if cip else max(win.shape[-1], 1))
        else:
            total = np.sum(win ** p_value, axis=-1)
            val = np.cbrt(total) if p_value == 3 else total ** (1.0 / p_value)
        out[(slice(None), slice(None)) + o] = val
    return out


def pool_adjoint_ref(g, x, *, pool_type="sum", count_include_pad=None, **attrs):
    cip = True if count_include_pad is None else count_include_pad
    dx = np.zeros_like(x)
    for o, box, count, _outs in _pool_windows(x.shape, **attrs):
        size = int(np.prod([b.stop - b.start for b in box]))
        scale = 1.0 if pool_type != "avg" else 1.0 / (count if cip else max(size, 1))
        dx[(slice(None), slice(None)) + box] += \
            (g[(slice(None), slice(None)) + o] * scale).reshape(x.shape[:2] + (1,) * len(box))
    return dx


def _argmax_box(x, box):
    n, c = x.shape[:2]
    win = x[(slice(None), slice(None)) + box]
    flat = win.reshape(n, c, -1).argmax(axis=-1)
    local = np.unravel_index(flat, win.shape[2:])
    return tuple(b.start + li for b, li in zip(box, local))


def pool_scatter_max_ref(g, x, **attrs):
    dx = np.zeros_like(x)
    n, c = x.shape[:2]
    ni, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for o, box, _count, _outs in _pool_windows(x.shape, **attrs):
        np.add.at(dx, (ni, ci) + _argmax_box(x, box), g[(slice(None), slice(None)) + o])
    return dx


def pool_gather_max_ref(g, x, **attrs):
    n, c = x.shape[:2]
    ni, ci = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    out = None
    for o, box, _count, outs in _pool_windows(x.shape, **attrs):
        if out is None:
            out = np.zeros((n, c) + outs)
        out[(slice(None), slice(None)) + o] = g[(ni, ci) + _argmax_box(x, box)]
    return out


# -- references: normalisation and dropout -----------------------------------------------------
def batch_norm_ref(x, gamma, beta, mm, mv, *, eps=1e-3, fix_gamma=True, use_global_stats=False,
                   output_mean_var=False, axis=1, training=False, **_):
    ax = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != ax)
    shape = [1] * x.ndim
    shape[ax] = x.shape[ax]
    if training and not use_global_stats:
        mean, var = x.mean(axis=red), x.var(axis=red)
    else:
        mean, var = mm, mv
    g = np.ones_like(gamma) if fix_gamma else gamma
    invstd = 1.0 / np.sqrt(var + eps)
    out = (x - mean.reshape(shape)) * (invstd * g).reshape(shape) + beta.reshape(shape)
    return (out, mean, invstd) if output_mean_var else out


def layer_norm_ref(x, gamma, beta, *, axis=-1, eps=1e-5, output_mean_var=False):
    mean = x.mean(axis=axis, keepdims=True)
    std = np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    out = (x - mean) / std * gamma.reshape(shape) + beta.reshape(shape)
    return (out, mean, std) if output_mean_var else out


def instance_norm_ref(x, gamma, beta, *, eps=1e-3):
    axes = tuple(range(2, x.ndim))
    xhat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return xhat * gamma.reshape(shape) + beta.reshape(shape)


def group_norm_ref(x, gamma, beta, *, num_groups=1, eps=1e-5, output_mean_var=False):
    n, c = x.shape[:2]
    xg = x.reshape(n, num_groups, -1)
    mean = xg.mean(axis=2, keepdims=True)
    std = np.sqrt(xg.var(axis=2, keepdims=True) + eps)
    xhat = ((xg - mean) / std).reshape(x.shape)
    if gamma.shape[0] == num_groups and num_groups != c:
        gamma = np.repeat(gamma, c // num_groups)
        beta = np.repeat(beta, c // num_groups)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = xhat * gamma.reshape(shape) + beta.reshape(shape)
    return (out, mean.reshape(n, -1), std.reshape(n, -1)) if output_mean_var else out


def identity_ref(x, **_):
    return x


def dropout_stats(out, *, p=0.5, axes=(), **_):
    """Input is all ones: kept entries are 1/(1-p), the dropped fraction is about p."""
    scale = 1.0 / (1.0 - p)
    kept = np.isclose(out, scale, rtol=1e-2)
    if not np.all(kept | (out == 0)):
        return "values other than 0 and 1/(1-p)"
    frac = 1.0 - kept.mean()
    for a in axes:  # one mask value per position along the shared axes
        if not np.all(out == out.take([0], axis=a)):
            return f"mask not shared along axis {a}"
    n = out.size / max(1, int(np.prod([out.shape[a] for a in axes])))
    if abs(frac - p) > 5 * math.sqrt(p * (1 - p) / n) + 1e-9:
        return f"dropped fraction {frac:.3f}, expected about {p}"
    return True


# -- the cases ---------------------------------------------------------------------------------
def _conv(name, x, w, b=None, **attrs):
    inputs = [Input(x, -1, 1), Input(w, -1, 1)] + ([Input(b, -1, 1)] if b else [])
    attrs.setdefault("no_bias", b is None)
    CASES.append(Case("Convolution", inputs, conv_ref, attrs, name=name))


_conv("1d", (2, 3, 7), (4, 3, 3), (4,), kernel=(3,), num_filter=4)
_conv("1d_stride_pad_dilate", (1, 2, 9), (3, 2, 2), kernel=(2,), num_filter=3, stride=(2,),
      pad=(1,), dilate=(3,))
_conv("2d", (2, 3, 5, 5), (2, 3, 3, 3), (2,), kernel=(3, 3), num_filter=2)
_conv("2d_stride_pad", (1, 2, 6, 5), (3, 2, 3, 2), (3,), kernel=(3, 2), num_filter=3,
      stride=(2, 2), pad=(1, 0))
_conv("2d_dilate", (1, 2, 6, 6), (2, 2, 2, 2), kernel=(2, 2), num_filter=2, dilate=(2, 3))
_conv("2d_groups", (1, 4, 4, 4), (6, 2, 2, 2), (6,), kernel=(2, 2), num_filter=6, num_group=2,
      pad=(1, 1))
_conv("2d_depthwise", (2, 3, 4, 4), (3, 1, 3, 3), kernel=(3, 3), num_filter=3, num_group=3,
      stride=(1, 2), pad=(1, 1))
_conv("2d_1x1", (2, 4, 3, 3), (2, 4, 1, 1), (2,), kernel=(1, 1), num_filter=2)
_conv("3d", (1, 2, 4, 3, 4), (2, 2, 2, 2, 2), (2,), kernel=(2, 2, 2), num_filter=2,
      stride=(1, 1, 2), pad=(1, 0, 0))
_conv("3d_groups_dilate", (1, 2, 5, 4, 4), (2, 1, 2, 2, 2), kernel=(2, 2, 2), num_filter=2,
      num_group=2, dilate=(2, 1, 2))
_conv("kernel_equals_input", (2, 2, 3, 3), (3, 2, 3, 3), kernel=(3, 3), num_filter=3)
_conv("empty_batch", (0, 2, 4, 4), (2, 2, 3, 3), kernel=(3, 3), num_filter=2)
CASES.append(Case("Convolution", [Input((1, 2, 5, 4), -1, 1, noncontiguous=True),
                                  Input((2, 2, 2, 2), -1, 1, noncontiguous=True)],
                  conv_ref, dict(kernel=(2, 2), num_filter=2, no_bias=True, stride=(2, 1)),
                  name="noncontiguous"))
CASES.append(Case("Convolution", [Input((1, 1, 4, 4), values=np.where(
    np.arange(16).reshape(1, 1, 4, 4) == 5, np.nan, 1.0)), Input((1, 1, 2, 2), -1, 1)],
    conv_ref, dict(kernel=(2, 2), num_filter=1, no_bias=True), name="nan_propagates",
    grad=False))


def _deconv(name, x, w, b=None, **attrs):
    inputs = [Input(x, -1, 1), Input(w, -1, 1)] + ([Input(b, -1, 1)] if b else [])
    attrs.setdefault("no_bias", b is None)
    CASES.append(Case("Deconvolution", inputs, deconv_ref, attrs, name=name))


_deconv("1d", (2, 3, 4), (3, 2, 3), (2,), kernel=(3,), num_filter=2)
_deconv("1d_stride_adj", (1, 2, 4), (2, 3, 3), kernel=(3,), num_filter=3, stride=(3,),
        pad=(1,), adj=(2,))
_deconv("2d", (1, 2, 3, 3), (2, 3, 2, 2), (3,), kernel=(2, 2), num_filter=3)
_deconv("2d_stride_pad", (2, 2, 3, 2), (2, 2, 3, 3), kernel=(3, 3), num_filter=2,
        stride=(2, 2), pad=(1, 1), adj=(1, 0))
_deconv("2d_dilate", (1, 1, 3, 3), (1, 2, 2, 2), kernel=(2, 2), num_filter=2, dilate=(2, 2),
        pad=(1, 0))
_deconv("2d_groups", (1, 4, 2, 3), (4, 1, 3, 2), (2,), kernel=(3, 2), num_filter=2,
        num_group=2, stride=(2, 1))
_deconv("2d_target_shape", (1, 2, 3, 3), (2, 1, 3, 3), kernel=(3, 3), num_filter=1,
        stride=(2, 2), target_shape=(6, 5))
_deconv("2d_large_pad", (1, 1, 4, 4), (1, 1, 2, 2), kernel=(2, 2), num_filter=1, pad=(2, 1))
_deconv("3d", (1, 2, 2, 2, 2), (2, 2, 2, 2, 2), (2,), kernel=(2, 2, 2), num_filter=2,
        stride=(2, 1, 2), pad=(0, 1, 0))

CASES.append(Case("_conv_weight_grad", [Input((2, 4, 5, 4), -1, 1), Input((2, 6, 3, 1), -1, 1)],
                  conv_weight_grad_ref, dict(kernel=(3, 3), stride=(2, 2), pad=(1, 0),
                                             num_group=2), name="2d_groups"))
CASES.append(Case("_conv_weight_grad", [Input((1, 2, 8), -1, 1), Input((1, 3, 3), -1, 1)],
                  conv_weight_grad_ref, dict(kernel=(2,), dilate=(3,), stride=(2,)),
                  name="1d_dilate"))


def _pool(name, shape, grad=True, **attrs):
    CASES.append(Case("Pooling", [Input(shape)], pool_ref, attrs, name=name, grad=grad))


_pool("max_1d", (2, 2, 7), kernel=(3,), stride=(2,))
_pool("max_2d", (1, 2, 5, 5), kernel=(2, 2), stride=(2, 2))
_pool("max_2d_pad_full", (1, 2, 5, 6), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
      pooling_convention="full")
_pool("max_3d", (1, 1, 4, 4, 5), kernel=(2, 2, 3), stride=(2, 2, 1), pad=(0, 1, 1))
_pool("max_same_1d", (2, 1, 7), kernel=(3,), stride=(2,), pooling_convention="same")
_pool("max_global_2d", (2, 3, 3, 4), global_pool=True)
_pool("avg_1d_pad", (1, 2, 6), pool_type="avg", kernel=(3,), stride=(2,), pad=(1,))
_pool("avg_2d", (2, 2, 4, 4), pool_type="avg", kernel=(2, 2), stride=(2, 2))
_pool("avg_2d_pad_exclude", (1, 2, 5, 5), pool_type="avg", kernel=(3, 3), stride=(2, 2),
      pad=(1, 1), count_include_pad=False)
_pool("avg_2d_full", (1, 1, 5, 6), pool_type="avg", kernel=(3, 2), stride=(2, 2), pad=(1, 0),
      pooling_convention="full")
_pool("avg_2d_full_exclude", (1, 1, 5, 6), pool_type="avg", kernel=(3, 2), stride=(2, 2),
      pad=(1, 0), pooling_convention="full", count_include_pad=False)
_pool("avg_3d", (1, 2, 3, 4, 4), pool_type="avg", kernel=(2, 2, 2), stride=(1, 2, 2))
_pool("avg_global_3d", (2, 2, 2, 3, 2), pool_type="avg", global_pool=True)
_pool("sum_2d_overlap", (1, 2, 4, 5), pool_type="sum", kernel=(3, 2), stride=(1, 2))
_pool("sum_global_1d", (2, 3, 5), pool_type="sum", global_pool=True, kernel=(2,))
_pool("lp1_2d", (1, 2, 4, 4), pool_type="lp", p_value=1, kernel=(2, 2), stride=(2, 2))
CASES.append(Case("Pooling", [Input((1, 2, 4, 4), 0.5, 2.0)], pool_ref,
                  dict(pool_type="lp", p_value=2, kernel=(2, 2), stride=(1, 1)), name="lp2_2d"))
CASES.append(Case("Pooling", [Input((1, 2, 5), 0.5, 2.0)], pool_ref,
                  dict(pool_type="lp", p_value=3, kernel=(2,), stride=(1,), pad=(1,)),
                  name="lp3_1d_pad"))
CASES.append(Case("Pooling", [Input((1, 2, 5, 4), noncontiguous=True)], pool_ref,
                  dict(kernel=(2, 2), pool_type="avg", stride=(1, 2)), name="noncontiguous"))
CASES.append(Case("Pooling", [Input((1, 1, 2, 4), values=[[[[1.0, np.inf, -np.inf, 2.0],
                                                            [np.nan, 0.0, -1.0, -3.0]]]])],
                  pool_ref, dict(kernel=(2, 2), stride=(2, 2)), name="max_nan_inf",
                  grad=False))
CASES.append(Case("Pooling", [Input((1, 2, 4, 4), -50, 50)], pool_ref,
                  dict(kernel=(2, 2), stride=(2, 2)), dtypes=("int32", "int64", "int8"),
                  name="max_int", grad=False))
_pool("max_empty_batch", (0, 2, 4, 4), kernel=(2, 2))

for _name, _ref in (("_pool_adjoint", pool_adjoint_ref),
                    ("_pool_scatter_max", pool_scatter_max_ref),
                    ("_pool_gather_max", pool_gather_max_ref)):
    _gather = _name == "_pool_gather_max"
    _types = ("avg", "sum") if _name == "_pool_adjoint" else ("max",)
    for _ptype in _types:
        CASES.append(Case(_name, [Input((1, 2, 5, 5) if _gather else (1, 2, 3, 3)),
                                  Input((1, 2, 5, 5), grad=False)], _ref,
                          dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type=_ptype,
                               pooling_convention="full"), name=f"{_ptype}_2d_full"))
CASES.append(Case("_pool_adjoint", [Input((1, 2, 4)), Input((1, 2, 7), grad=False)],
                  pool_adjoint_ref, dict(kernel=(3,), stride=(2,), pool_type="avg",
                                         count_include_pad=False, pad=(1,)),
                  name="avg_1d_exclude"))


def _bn(name, shape, train, axis=1, inputs_extra=None, grad=True, **attrs):
    c = shape[axis]
    inputs = [Input(shape), Input((c,), 0.5, 1.5), Input((c,)), Input((c,), -0.5, 0.5,
                                                                           grad=False),
              Input((c,), 0.5, 2.0, grad=False)]

    def reference(*arrays, **kw):
        return batch_norm_ref(*arrays, training=train, **kw)

    attrs["axis"] = axis
    CASES.append(Case("BatchNorm", inputs, reference, attrs, name=name, train=train,
                      grad=grad, rtol=2e-2 if train else None, atol=2e-2 if train else None))


_bn("train_2d", (4, 3, 2, 2), True)
_bn("train_learn_gamma", (3, 2, 3), True, fix_gamma=False, eps=1e-5)
_bn("train_axis_last", (4, 2, 3), True, axis=-1, fix_gamma=False)
_bn("train_fc", (6, 4), True, fix_gamma=False, momentum=0.5)
_bn("infer", (2, 3, 2, 2), False, fix_gamma=False)
_bn("infer_fix_gamma", (2, 3, 4), False)
_bn("global_stats_in_training", (3, 2, 2), True, use_global_stats=True, fix_gamma=False)
_bn("output_mean_var", (4, 2, 3), True, grad=False, output_mean_var=True, fix_gamma=False)
_bn("output_mean_var_infer", (2, 2, 3), False, grad=False, output_mean_var=True)


def _norm(op, ref, shape, pshape, name, **attrs):
    CASES.append(Case(op, [Input(shape), Input(pshape, 0.5, 1.5), Input(pshape)], ref, attrs,
                      name=name, rtol=2e-2, atol=2e-2))


_norm("LayerNorm", layer_norm_ref, (3, 5), (5,), "last_axis")
_norm("LayerNorm", layer_norm_ref, (2, 4, 3), (4,), "axis1", axis=1, eps=1e-3)
_norm("LayerNorm", layer_norm_ref, (7,), (7,), "1d")
_norm("InstanceNorm", instance_norm_ref, (2, 3, 5), (3,), "1d")
_norm("InstanceNorm", instance_norm_ref, (2, 2, 3, 3), (2,), "2d", eps=1e-5)
_norm("GroupNorm", group_norm_ref, (2, 4, 3), (2,), "per_group", num_groups=2)
_norm("GroupNorm", group_norm_ref, (2, 6, 2, 2), (6,), "per_channel", num_groups=3)
_norm("GroupNorm", group_norm_ref, (3, 2, 4), (1,), "one_group")
CASES.append(Case("LayerNorm", [Input((3, 4)), Input((4,)), Input((4,))], layer_norm_ref,
                  dict(output_mean_var=True), name="output_mean_var", grad=False))
CASES.append(Case("GroupNorm", [Input((2, 4, 3)), Input((2,)), Input((2,))], group_norm_ref,
                  dict(output_mean_var=True, num_groups=2), name="output_mean_var", grad=False))

CASES.append(Case("Dropout", [Input((3, 4, 5))], identity_ref, dict(p=0.5), name="inference"))
CASES.append(Case("Dropout", [Input((2, 3))], identity_ref, dict(p=0.0), name="p0_train",
                  train=True))
CASES.append(Case("Dropout", [Input((40, 50), values=np.ones((40, 50)))], dropout_stats,
                  dict(p=0.3), name="train_stats", train=True, random=True, dtypes=FLOATS))
CASES.append(Case("Dropout", [Input((40, 50), values=np.ones((40, 50)))], dropout_stats,
                  dict(p=0.6, mode="always"), name="always_stats", random=True))
CASES.append(Case("Dropout", [Input((30, 4, 20), values=np.ones((30, 4, 20)))], dropout_stats,
                  dict(p=0.5, axes=(1,)), name="shared_axes", train=True, random=True))

# -- invalid input -----------------------------------------------------------------------------
_E = ERROR_CASES
_E.append(ErrorCase("Convolution", [Input((1, 2, 2, 2)), Input((1, 2, 3, 3))],
                    dict(kernel=(3, 3), num_filter=1, no_bias=True), name="kernel_too_large"))
_E.append(ErrorCase("Convolution", [Input((1, 3, 4, 4)), Input((2, 2, 3, 3))],
                    dict(kernel=(3, 3), num_filter=2, no_bias=True), name="channel_mismatch"))
_E.append(ErrorCase("Convolution", [Input((1, 3, 4, 4)), Input((2, 3, 3, 3)), Input((3,))],
                    dict(kernel=(3, 3), num_filter=2), name="bias_shape"))
_E.append(ErrorCase("Convolution", [Input((1, 3, 4, 4)), Input((2, 1, 3, 3))],
                    dict(kernel=(3, 3), num_filter=2, num_group=3, no_bias=True),
                    name="groups_do_not_divide"))
_E.append(ErrorCase("Convolution", [Input((1, 3, 4)), Input((2, 3, 3, 3))],
                    dict(kernel=(3, 3), num_filter=2, no_bias=True), name="data_rank"))
_E.append(ErrorCase("Convolution", [Input((1, 3, 4, 4)), Input((2, 3, 3, 3))],
                    dict(kernel=(3, 3), num_filter=2, no_bias=True, stride=(1, 1, 1)),
                    name="stride_length"))
_E.append(ErrorCase("Convolution", [Input((1, 3, 4, 4)), Input((2, 3, 3, 3))],
                    dict(kernel=(3, 3), num_filter=2, no_bias=True, layout="NHWC"),
                    name="channels_last_layout"))
_E.append(ErrorCase("Convolution", [Input((1, 3, 4, 4)), Input((2, 3, 3, 3))],
                    dict(num_filter=2, no_bias=True), name="missing_kernel"))
_E.append(ErrorCase("Deconvolution", [Input((1, 2, 3, 3)), Input((3, 1, 2, 2))],
                    dict(kernel=(2, 2), num_filter=1), name="channel_mismatch"))
_E.append(ErrorCase("Deconvolution", [Input((1, 2, 3, 3)), Input((2, 1, 2, 2))],
                    dict(kernel=(2, 2), num_filter=1, stride=(2, 2), adj=(2, 0)),
                    name="adj_not_below_stride"))
_E.append(ErrorCase("Deconvolution", [Input((1, 2, 3, 3)), Input((2, 1, 2, 2))],
                    dict(kernel=(2, 2), num_filter=1, target_shape=(20, 20)),
                    name="target_shape_too_big"))
_E.append(ErrorCase("Pooling", [Input((1, 1, 2, 2))], dict(kernel=(3, 3)),
                    name="kernel_too_large"))
_E.append(ErrorCase("Pooling", [Input((1, 1, 4, 4))], dict(kernel=(2, 2), pool_type="median"),
                    name="bad_pool_type"))
_E.append(ErrorCase("Pooling", [Input((1, 1, 4, 4))], dict(kernel=(2, 2), pool_type="lp"),
                    name="lp_without_p_value"))
_E.append(ErrorCase("Pooling", [Input((1, 1, 4, 4))], dict(kernel=(2, 2),
                                                         pooling_convention="same"),
                    name="same_2d"))
_E.append(ErrorCase("Pooling", [Input((4, 4))], dict(kernel=(2,)), name="data_rank"))
_E.append(ErrorCase("Pooling", [Input((1, 1, 4, 4))], dict(), name="missing_kernel"))
_E.append(ErrorCase("BatchNorm", [Input((2, 3, 2)), Input((2,)), Input((3,)), Input((3,)),
                                  Input((3,))], name="gamma_shape"))
_E.append(ErrorCase("BatchNorm", [Input((2, 3)), Input((3,)), Input((3,)), Input((3,)),
                                  Input((3,))], dict(axis=2), name="axis_out_of_range"))
_E.append(ErrorCase("LayerNorm", [Input((2, 3)), Input((2,)), Input((3,))],
                    name="gamma_shape"))
_E.append(ErrorCase("InstanceNorm", [Input((2, 3)), Input((3,)), Input((3,))],
                    name="data_rank"))
_E.append(ErrorCase("GroupNorm", [Input((2, 6, 2)), Input((4,)), Input((4,))],
                    dict(num_groups=4), name="groups_do_not_divide"))
_E.append(ErrorCase("Dropout", [Input((2, 3))], dict(p=1.5), name="p_out_of_range"))
_E.append(ErrorCase("Dropout", [Input((2, 3))], dict(mode="sometimes"), name="bad_mode",
                    error=MXNetError))
