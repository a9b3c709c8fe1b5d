"""Neural-network operators: Convolution, Deconvolution, Pooling, BatchNorm, LayerNorm,
InstanceNorm, GroupNorm and Dropout, as in MXNet 1.x.

Each op is decomposed into primitives (``windows`` gives the sliding windows convolution and
pooling read, ``matmul`` does the contraction) and its gradient is written with other ops, so
higher-order gradients work. Convolution's data gradient is a Deconvolution and its weight
gradient the helper op ``_conv_weight_grad``; pooling's gradients are the helper ops
``_pool_adjoint`` (sum/avg/lp) and ``_pool_scatter_max`` (max), each itself differentiable.
Only channel-first layouts (NCW, NCHW, NCDHW) are supported.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .. import autograd as _autograd
from ._helpers import normalize_axis
from .registry import (
    OpDef,
    Param,
    one_of,
    register_op,
    to_any,
    to_bool,
    to_float,
    to_int,
    to_int_or_none,
    to_shape,
)

AREA = "nn"

Ints = Tuple[int, ...]
_CHANNEL_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAYOUTS = ("NCW", "NCHW", "NCDHW", "NWC", "NHWC", "NDHWC")


def _prod(dims: Sequence[int]) -> int:
    return int(math.prod(dims))


def to_layout(value: Any) -> Optional[str]:
    """A data layout name such as ``"NCHW"`` (or None)."""
    value = to_any(value)
    if value is None:
        return None
    if value not in _LAYOUTS:
        raise ValueError(f"expected one of {list(_LAYOUTS)} or None, got {value!r}")
    return value


def to_bool_or_none(value: Any) -> Optional[bool]:
    value = to_any(value)
    return None if value is None else to_bool(value)


def _optional_choice(*choices: str) -> Any:
    """One of ``choices`` or None (MXNet writes an unset optional as ``"None"``)."""
    pick = one_of(*choices)

    def convert(value: Any) -> Optional[str]:
        return None if to_any(value) is None else pick(value)

    convert.__name__ = pick.__name__
    return convert


def _expand(name: str, value: Ints, nsp: int, fill: int) -> Ints:
    """MXNet's ``()`` default -> ``(fill,) * nsp``; otherwise the length must match."""
    if not value:
        return (fill,) * nsp
    if len(value) != nsp:
        raise ValueError(f"{name} {value} must have {nsp} entries, like kernel")
    return tuple(value)


def _check_layout(layout: Optional[str], nsp: int) -> None:
    if layout is not None and layout != _CHANNEL_FIRST[nsp]:
        raise ValueError(f"layout {layout!r} is not supported; only the channel-first layout "
                         f"{_CHANNEL_FIRST[nsp]!r} is (transpose the data first)")


def _spatial(kernel: Ints, shape: Sequence[int], stride: Ints, dilate: Ints,
             pad: Ints) -> Tuple[Ints, Ints, Ints]:
    """Validate kernel/stride/dilate/pad against ``shape`` (N, C, *spatial)."""
    nsp = len(kernel)
    if nsp not in (1, 2, 3):
        raise ValueError(f"kernel {kernel} must have 1, 2 or 3 dimensions")
    if len(shape) != nsp + 2:
        raise ValueError(f"data must be {nsp + 2}-d ({_CHANNEL_FIRST[nsp]}) for a {nsp}-d "
                         f"kernel, got shape {tuple(shape)}")
    stride = _expand("stride", stride, nsp, 1)
    dilate = _expand("dilate", dilate, nsp, 1)
    pad = _expand("pad", pad, nsp, 0)
    if min(kernel) < 1 or min(stride) < 1 or min(dilate) < 1 or min(pad) < 0:
        raise ValueError(f"kernel, stride and dilate must be positive and pad non-negative; "
                         f"got kernel={kernel}, stride={stride}, dilate={dilate}, pad={pad}")
    return stride, dilate, pad


def _dilated(kernel: Ints, dilate: Ints) -> Ints:
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilate))


def conv_out_shape(spatial: Sequence[int], kernel: Ints, stride: Ints, dilate: Ints,
                   pad: Ints) -> Ints:
    """Output spatial size of a convolution; ValueError when the kernel does not fit."""
    out = []
    for size, dk, s, p in zip(spatial, _dilated(kernel, dilate), stride, pad):
        if dk > size + 2 * p:
            raise ValueError(f"kernel {kernel} (dilated to {dk}) exceeds the input size {size} "
                             f"padded to {size + 2 * p}")
        out.append((size + 2 * p - dk) // s + 1)
    return tuple(out)


# -- kernels shared by the ops (backend arrays, primitives only) ------------------------------
def _pad(K, x: Any, lo: Sequence[int], hi: Sequence[int], value: Any = 0) -> Any:
    if not any(lo) and not any(hi):
        return x
    width = ((0, 0), (0, 0)) + tuple(zip(lo, hi))
    return K.pad(x, width, "constant", value)


def _window_box(K, x: Any, start: Sequence[int], size: Sequence[int]) -> Any:
    """``x[:, :, start:start+size]`` per spatial axis, zero-filled where out of range."""
    lo = [max(0, -s) for s in start]
    hi = [max(0, s + n - d) for s, n, d in zip(start, size, x.shape[2:])]
    x = _pad(K, x, lo, hi)
    key = (slice(None), slice(None)) + tuple(
        slice(s + a, s + a + n) for s, a, n in zip(start, lo, size))
    return K.slice(x, key)


def _spread(K, x: Any, stride: Ints) -> Any:
    """Insert ``stride - 1`` zeros between neighbours along each spatial axis."""
    if all(s == 1 for s in stride):
        return x
    shape = x.shape[:2] + tuple((n - 1) * s + 1 if n else 0 for n, s in zip(x.shape[2:], stride))
    out = K.full(shape, 0, x.dtype)
    key = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
    return K.setitem(out, key, x)


def conv_forward(K, x: Any, w: Any, stride: Ints, dilate: Ints, pad: Ints, groups: int) -> Any:
    """Grouped N-d convolution (no bias): im2col by ``windows`` and one batched matmul."""
    nsp = x.ndim - 2
    kernel = tuple(w.shape[2:])
    x = _pad(K, x, pad, pad)
    win = K.windows(x, kernel, stride, dilate)  # (N, C, *out, *kernel)
    n, c = x.shape[:2]
    out = tuple(win.shape[2:2 + nsp])
    f, cg, fg = w.shape[0], c // groups, w.shape[0] // groups
    cols = K.reshape(win, (n, groups, cg) + out + kernel)
    perm = (0, 1) + tuple(range(3, 3 + nsp)) + (2,) + tuple(range(3 + nsp, 3 + 2 * nsp))
    cols = K.reshape(K.transpose(cols, perm), (n, groups, _prod(out), cg * _prod(kernel)))
    wm = K.transpose(K.reshape(w, (groups, fg, cg * _prod(kernel))), (0, 2, 1))
    y = K.transpose(K.matmul(cols, wm), (0, 1, 3, 2))  # (N, g, Fg, P)
    return K.reshape(y, (n, f) + out)


def conv_weight_grad(K, x: Any, dy: Any, kernel: Ints, stride: Ints, dilate: Ints, pad: Ints,
                     groups: int) -> Any:
    """d(conv)/d(weight) contracted with ``dy``: shape (F, C/groups, *kernel)."""
    nsp = x.ndim - 2
    out = tuple(dy.shape[2:])
    win = K.windows(_pad(K, x, pad, pad), kernel, stride, dilate)
    if tuple(win.shape[2:2 + nsp]) != out:
        win = K.slice(win, (slice(None),) * 2 + tuple(slice(0, o) for o in out))
    n, c = x.shape[:2]
    f = dy.shape[1]
    cg, fg, p = c // groups, f // groups, _prod(out)
    cols = K.reshape(win, (n, groups, cg) + out + kernel)
    perm = (1, 0) + tuple(range(3, 3 + nsp)) + (2,) + tuple(range(3 + nsp, 3 + 2 * nsp))
    cols = K.reshape(K.transpose(cols, perm), (groups, n * p, cg * _prod(kernel)))
    dym = K.transpose(K.reshape(dy, (n, groups, fg, p)), (1, 2, 0, 3))
    dw = K.matmul(K.reshape(dym, (groups, fg, n * p)), cols)
    return K.reshape(dw, (f, cg) + tuple(kernel))


def deconv_forward(K, x: Any, w: Any, stride: Ints, dilate: Ints, pad: Ints, adj: Ints,
                   groups: int) -> Any:
    """Transposed convolution (no bias) as a stride-1 convolution of the zero-spread input
    with the flipped, channel-swapped kernel; weight is (C_in, F/groups, *kernel)."""
    nsp = x.ndim - 2
    kernel = tuple(w.shape[2:])
    cin, fg = w.shape[0], w.shape[1]
    cg = cin // groups
    wt = K.reshape(w, (groups, cg, fg) + kernel)
    wt = K.transpose(wt, (0, 2, 1) + tuple(range(3, 3 + nsp)))
    wt = K.flip(K.reshape(wt, (groups * fg, cg) + kernel), tuple(range(2, 2 + nsp)))
    dk = _dilated(kernel, dilate)
    xs = _spread(K, x, stride)
    start = [p - (d - 1) for p, d in zip(pad, dk)]
    size = [(n - 1) * s + d - 2 * p + a + d - 1
            for n, s, d, p, a in zip(x.shape[2:], stride, dk, pad, adj)]
    xs = _window_box(K, xs, start, size)
    return conv_forward(K, xs, wt, (1,) * nsp, dilate, (0,) * nsp, groups)


def _bias(K, y: Any, b: Any) -> Any:
    return K.add(y, K.reshape(b, (1, b.shape[0]) + (1,) * (y.ndim - 2)))


# -- Convolution -------------------------------------------------------------------------------
def _conv_inputs(attrs: dict) -> Sequence[str]:
    return ("data", "weight") if attrs["no_bias"] else ("data", "weight", "bias")


def _check_groups(c: int, f: int, groups: int) -> None:
    if groups < 1:
        raise ValueError(f"num_group must be positive, got {groups}")
    if c % groups or f % groups:
        raise ValueError(f"input channels ({c}) and num_filter ({f}) must be divisible by "
                         f"num_group ({groups})")


def _check_conv(shapes, dtypes, *, kernel, stride, dilate, pad, num_filter, num_group, no_bias,
                layout, **_):
    x = shapes[0]
    stride, dilate, pad = _spatial(kernel, x, stride, dilate, pad)
    _check_layout(layout, len(kernel))
    if num_filter < 1:
        raise ValueError(f"num_filter must be positive, got {num_filter}")
    _check_groups(x[1], num_filter, num_group)
    want = (num_filter, x[1] // num_group) + tuple(kernel)
    if tuple(shapes[1]) != want:
        raise ValueError(f"weight must have shape {want} (num_filter, channels/num_group, "
                         f"*kernel) for data {tuple(x)}, got {tuple(shapes[1])}")
    if not no_bias and tuple(shapes[2]) != (num_filter,):
        raise ValueError(f"bias must have shape ({num_filter},), got {tuple(shapes[2])}")
    conv_out_shape(x[2:], kernel, stride, dilate, pad)


def _convolution(K, x, w, b=None, *, kernel, stride, dilate, pad, num_filter, num_group,
                 no_bias, **_):
    stride, dilate, pad = _spatial(kernel, x.shape, stride, dilate, pad)
    y = conv_forward(K, x, w, stride, dilate, pad, num_group)
    return y if b is None else _bias(K, y, b)


def _conv_adj(spatial: Sequence[int], kernel: Ints, stride: Ints, dilate: Ints, pad: Ints) -> Ints:
    """The Deconvolution ``adj`` that maps a convolution's output back to ``spatial``."""
    return tuple((n + 2 * p - d) % s
                 for n, p, d, s in zip(spatial, pad, _dilated(kernel, dilate), stride))


def _bias_grad(F, og):
    return F.sum(og, axis=(0,) + tuple(range(2, og.ndim)))


def _conv_grad(F, inputs, outputs, out_grads, *, kernel, stride, dilate, pad, num_filter,
               num_group, no_bias, **_):
    x, w = inputs[0], inputs[1]
    og = out_grads[0]
    stride, dilate, pad = _spatial(kernel, x.shape, stride, dilate, pad)
    geo = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad, num_group=num_group)
    dx = F.Deconvolution(og, w, adj=_conv_adj(x.shape[2:], kernel, stride, dilate, pad),
                         num_filter=x.shape[1], no_bias=True, **geo)
    dw = F._conv_weight_grad(x, og, **geo)
    return [dx, dw] if no_bias else [dx, dw, _bias_grad(F, og)]


_GEOMETRY = (
    Param("kernel", to_shape, doc="window size: (w,), (h, w) or (d, h, w)"),
    Param("stride", to_shape, (), "step per spatial axis; () = 1"),
    Param("dilate", to_shape, (), "dilation per spatial axis; () = 1"),
    Param("pad", to_shape, (), "zero padding per spatial axis (both sides); () = 0"),
)
_CUDNN = (
    Param("workspace", to_int, 1024, "accepted for compatibility; unused"),
    Param("no_bias", to_bool, False, "leave out the bias input"),
    Param("cudnn_tune", _optional_choice("off", "limited_workspace", "fastest"), None,
          "accepted for compatibility; unused"),
    Param("cudnn_off", to_bool, False, "accepted for compatibility; unused"),
    Param("layout", to_layout, None, "only channel-first layouts are supported"),
)

register_op(OpDef(
    "Convolution", ("data", "weight", "bias"),
    _GEOMETRY + (Param("num_filter", to_int, doc="output channels"),
                 Param("num_group", to_int, 1, "channel groups")) + _CUDNN,
    compute=_convolution, gradient=_conv_grad, optional_inputs=_conv_inputs,
    check=_check_conv, area=AREA,
    doc="1-, 2- or 3-d grouped convolution of (N, C, *spatial) data with weight "
        "(num_filter, C/num_group, *kernel) and optional bias (num_filter,)."))


def _check_conv_weight_grad(shapes, dtypes, *, kernel, stride, dilate, pad, num_group):
    x, dy = shapes
    stride, dilate, pad = _spatial(kernel, x, stride, dilate, pad)
    _check_groups(x[1], dy[1] if len(dy) > 1 else 0, num_group)
    want = (x[0], dy[1] if len(dy) > 1 else 0) + conv_out_shape(x[2:], kernel, stride, dilate,
                                                                 pad)
    if tuple(dy) != want:
        raise ValueError(f"grad must have the convolution's output shape {want}, got "
                         f"{tuple(dy)}")


def _conv_weight_grad_compute(K, x, dy, *, kernel, stride, dilate, pad, num_group):
    stride, dilate, pad = _spatial(kernel, x.shape, stride, dilate, pad)
    return conv_weight_grad(K, x, dy, kernel, stride, dilate, pad, num_group)


def _conv_weight_grad_grad(F, inputs, outputs, out_grads, *, kernel, stride, dilate, pad,
                           num_group):
    x, dy = inputs
    g = out_grads[0]
    stride, dilate, pad = _spatial(kernel, x.shape, stride, dilate, pad)
    geo = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad, num_group=num_group)
    dx = F.Deconvolution(dy, g, adj=_conv_adj(x.shape[2:], kernel, stride, dilate, pad),
                         num_filter=x.shape[1], no_bias=True, **geo)
    ddy = F.Convolution(x, g, num_filter=dy.shape[1], no_bias=True, **geo)
    return [dx, ddy]


register_op(OpDef(
    "_conv_weight_grad", ("data", "grad"),
    _GEOMETRY + (Param("num_group", to_int, 1, "channel groups"),),
    compute=_conv_weight_grad_compute, gradient=_conv_weight_grad_grad,
    check=_check_conv_weight_grad, area=AREA,
    doc="Convolution's weight gradient: data (N, C, *in) and output gradient (N, F, *out) "
        "give (F, C/num_group, *kernel)."))


# -- Deconvolution -----------------------------------------------------------------------------
def deconv_geometry(spatial: Sequence[int], kernel: Ints, stride: Ints, dilate: Ints, pad: Ints,
                    adj: Ints, target_shape: Ints) -> Tuple[Ints, Ints, Ints]:
    """(pad, adj, output spatial size); a positive ``target_shape`` entry sets pad and adj."""
    nsp = len(kernel)
    adj = _expand("adj", adj, nsp, 0)
    target = _expand("target_shape", target_shape, nsp, 0)
    pads, adjs, out = [], [], []
    for i in range(nsp):
        full = stride[i] * (spatial[i] - 1) + dilate[i] * (kernel[i] - 1) + 1
        p, a = pad[i], adj[i]
        if target[i] > 0:
            if target[i] > full:
                raise ValueError(f"target_shape {target} is too big for input size "
                                 f"{tuple(spatial)} (at most {full} on axis {i})")
            extra = full - target[i]
            p, a = (extra + 1) // 2, extra % 2
        if a < 0 or a >= stride[i]:
            source = f"target_shape {target} needs" if target[i] > 0 else "got"
            raise ValueError(f"adj must be non-negative and smaller than stride {stride}; "
                             f"{source} adj {a} on spatial axis {i}")
        size = full - 2 * p + a
        if size < 1:
            raise ValueError(f"pad {pad} leaves no output for input size {tuple(spatial)}")
        pads.append(p)
        adjs.append(a)
        out.append(size)
    return tuple(pads), tuple(adjs), tuple(out)


def _deconv_setup(shape, kernel, stride, dilate, pad, adj, target_shape):
    stride, dilate, pad = _spatial(kernel, shape, stride, dilate, pad)
    pad, adj, out = deconv_geometry(shape[2:], kernel, stride, dilate, pad, adj, target_shape)
    return stride, dilate, pad, adj, out


def _check_deconv(shapes, dtypes, *, kernel, stride, dilate, pad, adj, target_shape, num_filter,
                  num_group, no_bias, layout, **_):
    x = shapes[0]
    _deconv_setup(x, kernel, stride, dilate, pad, adj, target_shape)
    _check_layout(layout, len(kernel))
    if num_filter < 1:
        raise ValueError(f"num_filter must be positive, got {num_filter}")
    _check_groups(x[1], num_filter, num_group)
    want = (x[1], num_filter // num_group) + tuple(kernel)
    if tuple(shapes[1]) != want:
        raise ValueError(f"weight must have shape {want} (channels, num_filter/num_group, "
                         f"*kernel) for data {tuple(x)}, got {tuple(shapes[1])}")
    if not no_bias and tuple(shapes[2]) != (num_filter,):
        raise ValueError(f"bias must have shape ({num_filter},), got {tuple(shapes[2])}")


def _deconvolution(K, x, w, b=None, *, kernel, stride, dilate, pad, adj, target_shape,
                   num_filter, num_group, **_):
    stride, dilate, pad, adj, _out = _deconv_setup(x.shape, kernel, stride, dilate, pad, adj,
                                                   target_shape)
    y = deconv_forward(K, x, w, stride, dilate, pad, adj, num_group)
    return y if b is None else _bias(K, y, b)


def _deconv_grad(F, inputs, outputs, out_grads, *, kernel, stride, dilate, pad, adj,
                 target_shape, num_filter, num_group, no_bias, **_):
    x, w = inputs[0], inputs[1]
    og = out_grads[0]
    stride, dilate, pad, adj, _out = _deconv_setup(x.shape, kernel, stride, dilate, pad, adj,
                                                   target_shape)
    geo = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad, num_group=num_group)
    dx = F.Convolution(og, w, num_filter=x.shape[1], no_bias=True, **geo)
    dw = F._conv_weight_grad(og, x, **geo)
    return [dx, dw] if no_bias else [dx, dw, _bias_grad(F, og)]


register_op(OpDef(
    "Deconvolution", ("data", "weight", "bias"),
    _GEOMETRY + (
        Param("adj", to_shape, (), "extra output size per axis (< stride); () = 0"),
        Param("target_shape", to_shape, (), "output spatial size; sets pad and adj"),
        Param("num_filter", to_int, doc="output channels"),
        Param("num_group", to_int, 1, "channel groups"),
        Param("workspace", to_int, 512, "accepted for compatibility; unused"),
        Param("no_bias", to_bool, True, "leave out the bias input"),
    ) + _CUDNN[2:],
    compute=_deconvolution, gradient=_deconv_grad, optional_inputs=_conv_inputs,
    check=_check_deconv, area=AREA,
    doc="Transposed convolution of (N, C, *spatial) data with weight "
        "(C, num_filter/num_group, *kernel); output size (in-1)*stride + dilated kernel "
        "- 2*pad + adj."))


# -- Pooling -----------------------------------------------------------------------------------
def pool_geometry(shape: Sequence[int], kernel: Ints, global_pool: bool, pooling_convention: str,
                  stride: Ints, pad: Ints) -> Tuple[Ints, Ints, Ints, Ints, Ints]:
    """(kernel, stride, pad_before, pad_after, output size) for pooling ``shape``."""
    nsp = len(shape) - 2
    if nsp not in (1, 2, 3):
        raise ValueError(f"data must be 3-, 4- or 5-d (N, C, *spatial), got shape {tuple(shape)}")
    spatial = tuple(shape[2:])
    if global_pool:
        ones = (1,) * nsp
        return spatial, ones, (0,) * nsp, (0,) * nsp, ones
    if not kernel:
        raise ValueError("kernel is required unless global_pool=True")
    stride, _dil, pad = _spatial(kernel, shape, stride, (), pad)
    lo, hi, out = [], [], []
    for n, k, s, p in zip(spatial, kernel, stride, pad):
        if k > n + 2 * p:
            raise ValueError(f"kernel {kernel} exceeds the input {spatial} padded by {pad}")
        if pooling_convention == "valid":
            o, before, after = (n + 2 * p - k) // s + 1, p, p
        elif pooling_convention == "full":
            o = -(-(n + 2 * p - k) // s) + 1
            before, after = p, p + max(0, (o - 1) * s + k - n - 2 * p)
        else:  # same
            if nsp != 1 or p:
                raise ValueError("pooling_convention='same' supports only 1-d pooling "
                                 "without pad")
            o = -(-n // s)
            total = max(0, (o - 1) * s + k - n)
            before, after = total // 2, total - total // 2
        lo.append(before)
        hi.append(after)
        out.append(o)
    return tuple(kernel), stride, tuple(lo), tuple(hi), tuple(out)


def _lowest(dtype: Any) -> Any:
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _pool_divisor(K, x: Any, kernel: Ints, stride: Ints, lo: Ints, hi: Ints, pad: Ints,
                  count_include_pad: bool) -> Any:
    """Elements averaged per window, shape (1, 1, *out); a scalar when constant."""
    nsp = len(kernel)
    pad = _expand("pad", pad, nsp, 0)
    extra = any(h > p for h, p in zip(hi, pad)) or any(b > p for b, p in zip(lo, pad))
    if not extra and (count_include_pad or not any(pad)):
        return x.dtype.type(_prod(kernel))
    ones = K.full((1, 1) + tuple(x.shape[2:]), 1, x.dtype)
    if count_include_pad:
        ones = _pad(K, ones, pad, pad, 1)
        ones = _pad(K, ones, [b - p for b, p in zip(lo, pad)], [h - p for h, p in zip(hi, pad)])
    else:
        ones = _pad(K, ones, lo, hi)
    win = K.windows(ones, kernel, stride, (1,) * nsp)
    count = K.sum(win, tuple(range(2 + nsp, 2 + 2 * nsp)), False)
    return K.maximum(count, x.dtype.type(1))


def _cbrt(K, x: Any) -> Any:
    return K.multiply(K.sign(x), K.power(K.abs(x), x.dtype.type(1.0 / 3.0)))


def _pooling(K, x, *, kernel, pool_type, global_pool, pooling_convention, stride, pad, p_value,
             count_include_pad, **_):
    kernel, stride, lo, hi, _out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                 stride, pad)
    nsp = len(kernel)
    axes = tuple(range(2 + nsp, 2 + 2 * nsp))
    fill = _lowest(x.dtype) if pool_type == "max" else 0
    win = K.windows(_pad(K, x, lo, hi, fill), kernel, stride, (1,) * nsp)
    if pool_type == "max":
        return K.max(win, axes, False)
    if pool_type == "lp" and p_value != 1:
        if p_value == 2:
            return K.sqrt(K.sum(K.square(win), axes, False))
        return _cbrt(K, K.sum(K.multiply(K.square(win), win), axes, False))
    total = K.sum(win, axes, False)
    if pool_type != "avg":
        return total
    cip = True if count_include_pad is None else count_include_pad
    pad = () if global_pool else pad
    return K.divide(total, _pool_divisor(K, x, kernel, stride, lo, hi, pad, cip))


def _check_pool(shapes, dtypes, *, kernel, pool_type, global_pool, pooling_convention, stride,
                pad, p_value, layout, **_):
    pool_geometry(shapes[0], kernel, global_pool, pooling_convention, stride, pad)
    _check_layout(layout, len(shapes[0]) - 2)
    if pool_type == "lp" and p_value not in (1, 2, 3):
        raise ValueError(f"pool_type='lp' needs p_value 1, 2 or 3, got {p_value}")


def _pool_grad(F, inputs, outputs, out_grads, **attrs):
    x, og = inputs[0], out_grads[0]
    pool_type = attrs["pool_type"]
    if pool_type == "max":
        return [F._pool_scatter_max(og, x, **attrs)]
    if pool_type != "lp":
        return [F._pool_adjoint(og, x, **attrs)]
    p = attrs["p_value"]
    as_sum = dict(attrs, pool_type="sum")
    if p == 1:
        return [F._pool_adjoint(og, x, **as_sum)]
    # d/dx (sum x^p)^(1/p) = x^(p-1) / y^(p-1)
    y = F.Pooling(x, **attrs) if _autograd.is_recording() else outputs[0]
    if p == 2:
        return [F._pool_adjoint(og / y, x, **as_sum) * x]
    return [F._pool_adjoint(og / F.square(y), x, **as_sum) * F.square(x)]


_POOL_PARAMS = (
    Param("kernel", to_shape, (), "window size; ignored with global_pool"),
    Param("pool_type", one_of("max", "avg", "sum", "lp"), "max", "reduction over a window"),
    Param("global_pool", to_bool, False, "pool over all spatial positions"),
    Param("cudnn_off", to_bool, False, "accepted for compatibility; unused"),
    Param("pooling_convention", one_of("valid", "full", "same"), "valid",
          "output size: floor (valid), ceil (full) or ceil(size/stride) (same, 1-d only)"),
    Param("stride", to_shape, (), "step per spatial axis; () = 1"),
    Param("pad", to_shape, (), "padding per spatial axis (both sides); () = 0"),
    Param("p_value", to_int_or_none, None, "p for pool_type='lp' (1, 2 or 3)"),
    Param("count_include_pad", to_bool_or_none, None,
          "avg: count padded positions in the divisor (None = True)"),
    Param("layout", to_layout, None, "only channel-first layouts are supported"),
)

register_op(OpDef(
    "Pooling", ("data",), _POOL_PARAMS, compute=_pooling, gradient=_pool_grad,
    check=_check_pool, area=AREA,
    doc="1-, 2- or 3-d max/avg/sum/lp pooling of (N, C, *spatial) data."))


def _max_positions(K, x: Any, kernel: Ints, stride: Ints, lo: Ints, hi: Ints) -> Tuple[Any, Ints]:
    """Flat int64 index of each window's (first) maximum in the padded, flattened data."""
    nsp = len(kernel)
    xp = _pad(K, x, lo, hi, _lowest(x.dtype))
    win = K.windows(xp, kernel, stride, (1,) * nsp)
    n, c = x.shape[:2]
    out = tuple(win.shape[2:2 + nsp])
    arg = K.argmax(K.reshape(win, (n, c) + out + (_prod(kernel),)), 2 + nsp, False)
    i64 = np.dtype("int64")
    padded = tuple(xp.shape[2:])
    pos = None
    for i in range(nsp):
        k_i = K.mod(K.divide(arg, i64.type(_prod(kernel[i + 1:]))), i64.type(kernel[i]))
        o_i = K.reshape(K.arange(0, out[i], 1, i64),
                        (1, 1) + (1,) * i + (out[i],) + (1,) * (nsp - i - 1))
        coord = K.add(K.multiply(o_i, i64.type(stride[i])), k_i)
        pos = coord if pos is None else K.add(K.multiply(pos, i64.type(padded[i])), coord)
    base = K.multiply(K.arange(0, n * c, 1, i64), i64.type(_prod(padded)))
    pos = K.add(pos, K.reshape(base, (n, c) + (1,) * nsp))
    return K.reshape(pos, (pos.size,)), padded


def _pool_scatter_max(K, og, x, *, kernel, global_pool, pooling_convention, stride, pad, **_):
    kernel, stride, lo, hi, _out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                 stride, pad)
    pos, padded = _max_positions(K, x, kernel, stride, lo, hi)
    n, c = x.shape[:2]
    flat = K.full((n * c * _prod(padded),), 0, og.dtype)
    flat = K.scatter_add(flat, 0, pos, K.reshape(og, (og.size,)))
    return _window_box(K, K.reshape(flat, (n, c) + padded), lo, x.shape[2:])


def _pool_gather_max(K, g, x, *, kernel, global_pool, pooling_convention, stride, pad, **_):
    kernel, stride, lo, hi, out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                stride, pad)
    pos, _padded = _max_positions(K, x, kernel, stride, lo, hi)
    gp = _pad(K, g, lo, hi)
    return K.reshape(K.take(K.reshape(gp, (gp.size,)), pos, 0), tuple(x.shape[:2]) + out)


def _pool_adjoint(K, og, x, *, kernel, pool_type, global_pool, pooling_convention, stride, pad,
                  count_include_pad, **_):
    """Adjoint of sum (or avg) pooling: spread each output gradient over its window."""
    kernel, stride, lo, hi, _out = pool_geometry(x.shape, kernel, global_pool, pooling_convention,
                                                 stride, pad)
    nsp = len(kernel)
    if pool_type == "avg":
        cip = True if count_include_pad is None else count_include_pad
        og = K.divide(og, _pool_divisor(K, x, kernel, stride, lo, hi,
                                        () if global_pool else pad, cip))
    spread = _pad(K, _spread(K, og, stride), [k - 1 for k in kernel], [k - 1 for k in kernel])
    win = K.windows(spread, kernel, (1,) * nsp, (1,) * nsp)
    dxp = K.sum(win, tuple(range(2 + nsp, 2 + 2 * nsp)), False)
    return _window_box(K, dxp, lo, x.shape[2:])


def _scatter_max_grad(F, inputs, outputs, out_grads, **attrs):
    return [F._pool_gather_max(out_grads[0], inputs[1], **attrs), None]


def _gather_max_grad(F, inputs, outputs, out_grads, **attrs):
    return [F._pool_scatter_max(out_grads[0], inputs[1], **attrs), None]


def _adjoint_grad(F, inputs, outputs, out_grads, **attrs):
    return [F.Pooling(out_grads[0], **attrs), None]


def _check_pool_helper(shapes, dtypes, *, kernel, global_pool, pooling_convention, stride, pad,
                       **_):
    grad, data = shapes
    _k, _s, _lo, _hi, out = pool_geometry(data, kernel, global_pool, pooling_convention, stride,
                                          pad)
    if tuple(grad) != tuple(data[:2]) + out:
        raise ValueError(f"grad must have the pooling output shape {tuple(data[:2]) + out}, "
                         f"got {tuple(grad)}")


def _check_gather_max(shapes, dtypes, **attrs):
    if tuple(shapes[0]) != tuple(shapes[1]):
        raise ValueError(f"grad must have the data's shape {tuple(shapes[1])}, got "
                         f"{tuple(shapes[0])}")
    _check_pool(shapes[1:], dtypes[1:], **attrs)


for _name, _compute, _grad, _check, _doc in (
        ("_pool_scatter_max", _pool_scatter_max, _scatter_max_grad, _check_pool_helper,
         "Max pooling's gradient: route each output gradient to its window's maximum of data."),
        ("_pool_gather_max", _pool_gather_max, _gather_max_grad, _check_gather_max,
         "Pick, per window of data, the value of grad at the window's maximum."),
        ("_pool_adjoint", _pool_adjoint, _adjoint_grad, _check_pool_helper,
         "Sum/avg pooling's gradient: spread each output gradient over its window.")):
    register_op(OpDef(_name, ("grad", "data"), _POOL_PARAMS, compute=_compute, gradient=_grad,
                      check=_check, area=AREA, doc=_doc))


# -- normalisation -----------------------------------------------------------------------------
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


# -- Dropout -----------------------------------------------------------------------------------
def _check_dropout(shapes, dtypes, *, p, axes, **_):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    for a in axes:
        normalize_axis(a, len(shapes[0]))


def _dropout(K, x, *, p, mode, axes, rng, is_train=False, **_):
    if not (is_train or mode == "always") or p == 0.0:
        return K.copy(x), K.full((1,) * x.ndim, 1, x.dtype)
    dropped = {normalize_axis(a, x.ndim) for a in axes}
    shape = tuple(1 if i in dropped else d for i, d in enumerate(x.shape))
    keep = K.greater_equal(K.random_uniform(rng, 0.0, 1.0, shape, np.dtype("float64")),
                           np.float64(p))
    scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    mask = K.multiply(K.cast(keep, x.dtype), x.dtype.type(scale))
    return K.multiply(x, mask), mask


def _dropout_grad(F, inputs, outputs, out_grads, **_):
    return [out_grads[0] * outputs[1]]


register_op(OpDef(
    "Dropout", ("data",),
    (Param("p", to_float, 0.5, "fraction of elements set to zero"),
     Param("mode", one_of("training", "always"), "training",
           "'training': only in training mode; 'always': also at inference"),
     Param("axes", to_shape, (), "axes along which one mask value is shared"),
     Param("cudnn_off", to_bool, False, "accepted for compatibility; unused")),
    compute=_dropout, gradient=_dropout_grad, check=_check_dropout, num_outputs=2,
    num_visible_outputs=1, uses_rng=True, uses_train_flag=True, area=AREA,
    doc="Zero each element with probability p and scale the rest by 1/(1-p) in training "
        "(or always, with mode='always'); identity otherwise. The mask is a hidden second "
        "output the gradient reuses."))
