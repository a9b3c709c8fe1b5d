"""Convolution and Deconvolution (1-, 2- and 3-d, grouped), as in MXNet 1.x.

Convolution is an im2col by the ``windows`` primitive and one batched ``matmul``; Deconvolution
is a stride-1 convolution of the zero-spread input with the flipped kernel. Gradients are written
with ops, so higher-order gradients work: Convolution's data gradient is a Deconvolution and its
weight gradient the helper op ``_conv_weight_grad`` (itself differentiable). Only channel-first
layouts (NCW, NCHW, NCDHW) are supported.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from ._nn_common import (
    Ints,
    _check_layout,
    _expand,
    _pad,
    _prod,
    _spatial,
    _spread,
    _window_box,
    to_layout,
)
from .registry import OpDef, Param, one_of, register_op, to_any, to_bool, to_int, to_shape

AREA = "nn"


def _optional_choice(*choices: str) -> Any:
    """One of ``choices`` or None (MXNet writes an unset optional as ``"None"``)."""
    pick = one_of(*choices)

    def convert(value: Any) -> Optional[str]:
        return None if to_any(value) is None else pick(value)

    convert.__name__ = pick.__name__
    return convert


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


# -- kernels (backend arrays, primitives only) --------------------------------------------------
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
               num_group, no_bias, needed=(True, True, True), **_):
    x, w = inputs[0], inputs[1]
    og = out_grads[0]
    stride, dilate, pad = _spatial(kernel, x.shape, stride, dilate, pad)
    geo = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad, num_group=num_group)
    dx = dw = None
    if needed[0]:  # the data gradient of a first layer is rarely wanted: skip it then
        dx = F.Deconvolution(og, w, adj=_conv_adj(x.shape[2:], kernel, stride, dilate, pad),
                             num_filter=x.shape[1], no_bias=True, **geo)
    if needed[1]:
        dw = F._conv_weight_grad(x, og, **geo)
    return [dx, dw] if no_bias else [dx, dw, _bias_grad(F, og) if needed[2] else None]


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
    check=_check_conv, area=AREA, partial_gradient=True,
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

