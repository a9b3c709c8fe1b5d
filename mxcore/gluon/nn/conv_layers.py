"""Convolution, transposed convolution, pooling and padding layers, as in MXNet 1.x.

The operators work in channel-first layouts (NCW, NCHW, NCDHW); a layer built with a
channel-last layout (NWC, NHWC, NDHWC, where MXNet allows one) transposes its input, its
weight (stored in that layout, as in MXNet) and its output around the operator.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence, Tuple, Union

from ...base import MXNetValueError
from ..block import HybridBlock
from .activations import _make_activation

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D",
           "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]

Ints = Tuple[int, ...]
IntOrInts = Union[int, Sequence[int]]
Init = Union[str, Any, None]
_CHANNEL_FIRST = {"NCW": "NCW", "NCHW": "NCHW", "NCDHW": "NCDHW",
                  "NWC": "NCW", "NHWC": "NCHW", "NDHWC": "NCDHW"}


def _ints(owner: str, name: str, value: IntOrInts, n: int) -> Ints:
    """``value`` as a tuple of ``n`` ints (an int is repeated)."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    try:
        result = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        result = ()
    if len(result) != n:
        raise MXNetValueError(f"{owner}: {name} must be an int or a tuple of {n} ints, "
                              f"got {value!r}")
    return result


def _check_layout(owner: str, layout: str, allowed: Sequence[str]) -> None:
    if layout not in allowed:
        raise MXNetValueError(f"{owner}: layout must be one of {list(allowed)}, "
                              f"got {layout!r}")


def _to_channel_first(F: Any, x: Any, n: int) -> Any:
    """(N, *spatial, C) -> (N, C, *spatial) for ``n`` spatial axes."""
    return F.transpose(x, axes=(0, n + 1) + tuple(range(1, n + 1)))


def _to_channel_last(F: Any, x: Any, n: int) -> Any:
    """(N, C, *spatial) -> (N, *spatial, C) for ``n`` spatial axes."""
    return F.transpose(x, axes=(0,) + tuple(range(2, n + 2)) + (1,))


class _Conv(HybridBlock):
    """Shared implementation of the convolution layers (``Convolution`` or
    ``Deconvolution``), with weight ``(out, in/groups, *kernel)`` resp.
    ``(in, out/groups, *kernel)`` in the layout's order and bias ``(channels,)``."""

    def __init__(self, channels: int, kernel_size: Ints, strides: IntOrInts,
                 padding: IntOrInts, dilation: IntOrInts, groups: int, layout: str,
                 in_channels: int = 0, activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Init = None, bias_initializer: Init = "zeros",
                 op_name: str = "Convolution", adj: Optional[IntOrInts] = None,
                 prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        owner = type(self).__name__
        n = len(kernel_size)
        if groups < 1 or channels < 1:
            raise MXNetValueError(f"{owner}: channels ({channels}) and groups ({groups}) "
                                  "must be positive")
        if op_name == "Deconvolution" and channels % groups:
            raise MXNetValueError(f"{owner}: channels ({channels}) must be divisible by "
                                  f"groups ({groups})")
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._op_name = op_name
            self._layout = layout
            self._channel_last = layout != _CHANNEL_FIRST[layout]
            self._kwargs = {
                "kernel": kernel_size, "stride": _ints(owner, "strides", strides, n),
                "dilate": _ints(owner, "dilation", dilation, n),
                "pad": _ints(owner, "padding", padding, n), "num_filter": channels,
                "num_group": groups, "no_bias": not use_bias,
                "layout": _CHANNEL_FIRST[layout]}
            if adj is not None:
                self._kwargs["adj"] = _ints(owner, "output_padding", adj, n)
                self.outpad = self._kwargs["adj"]
            self.weight = self.params.get("weight", shape=self._weight_shape(in_channels),
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            self.act = _make_activation(activation)

    def _weight_shape(self, in_channels: int) -> Ints:
        groups = self._kwargs["num_group"]
        if self._op_name == "Deconvolution":
            first, second = in_channels, self._channels // groups
        else:
            first, second = self._channels, in_channels // groups
        kernel = tuple(self._kwargs["kernel"])
        if self._channel_last:
            return (first,) + kernel + (second,)
        return (first, second) + kernel

    def _alias(self) -> str:
        return "conv"

    def infer_shape(self, x: Any, *args: Any) -> None:
        if len(x.shape) != len(self._layout):
            raise MXNetValueError(f"{self.name}: {type(self).__name__} with layout "
                                  f"{self._layout!r} needs {len(self._layout)}-d input, got "
                                  f"shape {tuple(x.shape)}")
        self._in_channels = int(x.shape[self._layout.find("C")])
        self.weight.shape = self._weight_shape(self._in_channels)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        n = len(self._kwargs["kernel"])
        if self._channel_last:
            x = _to_channel_first(F, x, n)
            weight = _to_channel_first(F, weight, n)
        op = getattr(F, self._op_name)
        if bias is None:
            out = op(x, weight, **self._kwargs)
        else:
            out = op(x, weight, bias, **self._kwargs)
        if self._channel_last:
            out = _to_channel_last(F, out, n)
        return out if self.act is None else self.act(out)

    def __repr__(self) -> str:
        kw = self._kwargs
        n = len(kw["kernel"])
        s = f"{type(self).__name__}({self._in_channels or None} -> {self._channels}, " \
            f"kernel_size={kw['kernel']}, stride={kw['stride']}"
        if kw["pad"] != (0,) * n:
            s += f", padding={kw['pad']}"
        if kw["dilate"] != (1,) * n:
            s += f", dilation={kw['dilate']}"
        if kw.get("adj", (0,) * n) != (0,) * n:
            s += f", output_padding={kw['adj']}"
        if kw["num_group"] != 1:
            s += f", groups={kw['num_group']}"
        if self.bias is None:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act}"
        return s + ")"


def _conv_init(cls_name: str, n: int, kernel_size: IntOrInts, layout: str,
               allowed: Sequence[str]) -> Ints:
    _check_layout(cls_name, layout, allowed)
    return _ints(cls_name, "kernel_size", kernel_size, n)


class Conv1D(_Conv):
    """1-D convolution over the last axis of ``(N, C, W)`` input. Parameters ``weight``
    ``(channels, in_channels/groups, k)`` and ``bias`` ``(channels,)``; ``in_channels=0``
    infers the input channels from the first input.

    Example::

        >>> conv = mx.gluon.nn.Conv1D(4, 3)
        >>> conv.initialize()
        >>> conv(mx.nd.zeros((2, 3, 10))).shape
        (2, 4, 8)
    """

    def __init__(self, channels: int, kernel_size: IntOrInts, strides: IntOrInts = 1,
                 padding: IntOrInts = 0, dilation: IntOrInts = 1, groups: int = 1,
                 layout: str = "NCW", activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Init = None, bias_initializer: Init = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        kernel_size = _conv_init("Conv1D", 1, kernel_size, layout, ("NCW",))
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over images ``(N, C, H, W)`` (or ``NHWC``). Parameters ``weight``
    ``(channels, in_channels/groups, kh, kw)`` and ``bias`` ``(channels,)``.

    Example::

        >>> conv = mx.gluon.nn.Conv2D(4, 3, padding=1)
        >>> conv.initialize()
        >>> conv(mx.nd.zeros((2, 3, 8, 8))).shape
        (2, 4, 8, 8)
    """

    def __init__(self, channels: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1),
                 padding: IntOrInts = (0, 0), dilation: IntOrInts = (1, 1), groups: int = 1,
                 layout: str = "NCHW", activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Init = None, bias_initializer: Init = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        kernel_size = _conv_init("Conv2D", 2, kernel_size, layout, ("NCHW", "NHWC"))
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over volumes ``(N, C, D, H, W)`` (or ``NDHWC``). Parameters
    ``weight`` ``(channels, in_channels/groups, kd, kh, kw)`` and ``bias`` ``(channels,)``.

    Example::

        >>> conv = mx.gluon.nn.Conv3D(2, 3)
        >>> conv.initialize()
        >>> conv(mx.nd.zeros((1, 1, 4, 4, 4))).shape
        (1, 2, 2, 2, 2)
    """

    def __init__(self, channels: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1, 1),
                 padding: IntOrInts = (0, 0, 0), dilation: IntOrInts = (1, 1, 1),
                 groups: int = 1, layout: str = "NCDHW", activation: Optional[str] = None,
                 use_bias: bool = True, weight_initializer: Init = None,
                 bias_initializer: Init = "zeros", in_channels: int = 0,
                 **kwargs: Any) -> None:
        kernel_size = _conv_init("Conv3D", 3, kernel_size, layout, ("NCDHW", "NDHWC"))
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv1DTranspose(_Conv):
    """1-D transposed convolution (the gradient of Conv1D with respect to its input).
    Parameters ``weight`` ``(in_channels, channels/groups, k)`` and ``bias``
    ``(channels,)``; output width ``(W-1)*stride - 2*padding + dilation*(k-1) + 1 +
    output_padding``.

    Example::

        >>> deconv = mx.gluon.nn.Conv1DTranspose(2, 3, strides=2)
        >>> deconv.initialize()
        >>> deconv(mx.nd.zeros((1, 4, 5))).shape
        (1, 2, 11)
    """

    def __init__(self, channels: int, kernel_size: IntOrInts, strides: IntOrInts = 1,
                 padding: IntOrInts = 0, output_padding: IntOrInts = 0,
                 dilation: IntOrInts = 1, groups: int = 1, layout: str = "NCW",
                 activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Init = None, bias_initializer: Init = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        kernel_size = _conv_init("Conv1DTranspose", 1, kernel_size, layout, ("NCW",))
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name="Deconvolution", adj=output_padding,
                         **kwargs)


class Conv2DTranspose(_Conv):
    """2-D transposed convolution ("deconvolution"). Parameters ``weight``
    ``(in_channels, channels/groups, kh, kw)`` and ``bias`` ``(channels,)``.

    Example::

        >>> deconv = mx.gluon.nn.Conv2DTranspose(2, 4, strides=2, padding=1)
        >>> deconv.initialize()
        >>> deconv(mx.nd.zeros((1, 3, 4, 4))).shape
        (1, 2, 8, 8)
    """

    def __init__(self, channels: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1),
                 padding: IntOrInts = (0, 0), output_padding: IntOrInts = (0, 0),
                 dilation: IntOrInts = (1, 1), groups: int = 1, layout: str = "NCHW",
                 activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Init = None, bias_initializer: Init = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        kernel_size = _conv_init("Conv2DTranspose", 2, kernel_size, layout, ("NCHW", "NHWC"))
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name="Deconvolution", adj=output_padding,
                         **kwargs)


class Conv3DTranspose(_Conv):
    """3-D transposed convolution. Parameters ``weight``
    ``(in_channels, channels/groups, kd, kh, kw)`` and ``bias`` ``(channels,)``.

    Example::

        >>> deconv = mx.gluon.nn.Conv3DTranspose(2, 2, strides=2)
        >>> deconv.initialize()
        >>> deconv(mx.nd.zeros((1, 1, 2, 2, 2))).shape
        (1, 2, 4, 4, 4)
    """

    def __init__(self, channels: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1, 1),
                 padding: IntOrInts = (0, 0, 0), output_padding: IntOrInts = (0, 0, 0),
                 dilation: IntOrInts = (1, 1, 1), groups: int = 1, layout: str = "NCDHW",
                 activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Init = None, bias_initializer: Init = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        kernel_size = _conv_init("Conv3DTranspose", 3, kernel_size, layout,
                                 ("NCDHW", "NDHWC"))
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name="Deconvolution", adj=output_padding,
                         **kwargs)


class _Pooling(HybridBlock):
    """Shared implementation of the pooling layers (``mx.nd.Pooling``)."""

    def __init__(self, pool_size: Ints, strides: Optional[IntOrInts], padding: IntOrInts,
                 ceil_mode: bool, global_pool: bool, pool_type: str, layout: str,
                 count_include_pad: Optional[bool] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        n = len(pool_size)
        if strides is None:
            strides = pool_size
        self._layout = layout
        self._channel_last = layout != _CHANNEL_FIRST[layout]
        self._kwargs = {
            "kernel": pool_size, "stride": _ints(owner, "strides", strides, n),
            "pad": _ints(owner, "padding", padding, n), "global_pool": global_pool,
            "pool_type": pool_type, "layout": _CHANNEL_FIRST[layout],
            "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self) -> str:
        return "pool"

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        n = len(self._kwargs["kernel"])
        if self._channel_last:
            x = _to_channel_first(F, x, n)
        out = F.Pooling(x, **self._kwargs)
        return _to_channel_last(F, out, n) if self._channel_last else out

    def __repr__(self) -> str:
        kw = self._kwargs
        return (f"{type(self).__name__}(size={kw['kernel']}, stride={kw['stride']}, "
                f"padding={kw['pad']}, ceil_mode={kw['pooling_convention'] == 'full'}, "
                f"global_pool={kw['global_pool']}, pool_type={kw['pool_type']}, "
                f"layout={self._layout})")


_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}


def _pool_size(cls_name: str, n: int, pool_size: IntOrInts, layout: str) -> Ints:
    _check_layout(cls_name, layout, _LAYOUTS[n])
    return _ints(cls_name, "pool_size", pool_size, n)


class MaxPool1D(_Pooling):
    """Max pooling over the width of ``(N, C, W)`` input; ``strides=None`` uses
    ``pool_size``; ``ceil_mode`` rounds the output size up.

    Example::

        >>> mx.gluon.nn.MaxPool1D()(mx.nd.array([[[1, 3, 2, 0]]])).asnumpy().tolist()
        [[[3.0, 2.0]]]
    """

    def __init__(self, pool_size: IntOrInts = 2, strides: Optional[IntOrInts] = None,
                 padding: IntOrInts = 0, layout: str = "NCW", ceil_mode: bool = False,
                 **kwargs: Any) -> None:
        pool_size = _pool_size("MaxPool1D", 1, pool_size, layout)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout,
                         **kwargs)


class MaxPool2D(_Pooling):
    """Max pooling over ``(N, C, H, W)`` input (or ``NHWC``).

    Example::

        >>> mx.gluon.nn.MaxPool2D()(mx.nd.zeros((1, 3, 8, 8))).shape
        (1, 3, 4, 4)
    """

    def __init__(self, pool_size: IntOrInts = (2, 2), strides: Optional[IntOrInts] = None,
                 padding: IntOrInts = 0, layout: str = "NCHW", ceil_mode: bool = False,
                 **kwargs: Any) -> None:
        pool_size = _pool_size("MaxPool2D", 2, pool_size, layout)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout,
                         **kwargs)


class MaxPool3D(_Pooling):
    """Max pooling over ``(N, C, D, H, W)`` input (or ``NDHWC``).

    Example::

        >>> mx.gluon.nn.MaxPool3D()(mx.nd.zeros((1, 1, 4, 4, 4))).shape
        (1, 1, 2, 2, 2)
    """

    def __init__(self, pool_size: IntOrInts = (2, 2, 2), strides: Optional[IntOrInts] = None,
                 padding: IntOrInts = 0, ceil_mode: bool = False, layout: str = "NCDHW",
                 **kwargs: Any) -> None:
        pool_size = _pool_size("MaxPool3D", 3, pool_size, layout)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout,
                         **kwargs)


class AvgPool1D(_Pooling):
    """Average pooling over the width of ``(N, C, W)`` input; ``count_include_pad``
    counts padded positions in the divisor.

    Example::

        >>> mx.gluon.nn.AvgPool1D()(mx.nd.array([[[1, 3, 2, 0]]])).asnumpy().tolist()
        [[[2.0, 1.0]]]
    """

    def __init__(self, pool_size: IntOrInts = 2, strides: Optional[IntOrInts] = None,
                 padding: IntOrInts = 0, layout: str = "NCW", ceil_mode: bool = False,
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        pool_size = _pool_size("AvgPool1D", 1, pool_size, layout)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout,
                         count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """Average pooling over ``(N, C, H, W)`` input (or ``NHWC``).

    Example::

        >>> mx.gluon.nn.AvgPool2D()(mx.nd.zeros((1, 3, 8, 8))).shape
        (1, 3, 4, 4)
    """

    def __init__(self, pool_size: IntOrInts = (2, 2), strides: Optional[IntOrInts] = None,
                 padding: IntOrInts = 0, ceil_mode: bool = False, layout: str = "NCHW",
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        pool_size = _pool_size("AvgPool2D", 2, pool_size, layout)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout,
                         count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """Average pooling over ``(N, C, D, H, W)`` input (or ``NDHWC``).

    Example::

        >>> mx.gluon.nn.AvgPool3D()(mx.nd.zeros((1, 1, 4, 4, 4))).shape
        (1, 1, 2, 2, 2)
    """

    def __init__(self, pool_size: IntOrInts = (2, 2, 2), strides: Optional[IntOrInts] = None,
                 padding: IntOrInts = 0, ceil_mode: bool = False, layout: str = "NCDHW",
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        pool_size = _pool_size("AvgPool3D", 3, pool_size, layout)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout,
                         count_include_pad, **kwargs)


class _GlobalPooling(_Pooling):
    """Pooling over all spatial positions: the output keeps size-1 spatial axes."""

    _ndim = 0
    _pool_type = ""

    def __init__(self, layout: str, **kwargs: Any) -> None:
        name = type(self).__name__
        pool_size = _pool_size(name, self._ndim, 1, layout)
        super().__init__(pool_size, None, 0, True, True, self._pool_type, layout, **kwargs)


class GlobalMaxPool1D(_GlobalPooling):
    """Max over the whole width: ``(N, C, W)`` -> ``(N, C, 1)``.

    Example::

        >>> mx.gluon.nn.GlobalMaxPool1D()(mx.nd.array([[[1, 3, 2]]])).asnumpy().tolist()
        [[[3.0]]]
    """

    _ndim, _pool_type = 1, "max"

    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class GlobalMaxPool2D(_GlobalPooling):
    """Max over all positions: ``(N, C, H, W)`` -> ``(N, C, 1, 1)``.

    Example::

        >>> mx.gluon.nn.GlobalMaxPool2D()(mx.nd.zeros((2, 3, 4, 4))).shape
        (2, 3, 1, 1)
    """

    _ndim, _pool_type = 2, "max"

    def __init__(self, layout: str = "NCHW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class GlobalMaxPool3D(_GlobalPooling):
    """Max over all positions: ``(N, C, D, H, W)`` -> ``(N, C, 1, 1, 1)``.

    Example::

        >>> mx.gluon.nn.GlobalMaxPool3D()(mx.nd.zeros((1, 2, 3, 3, 3))).shape
        (1, 2, 1, 1, 1)
    """

    _ndim, _pool_type = 3, "max"

    def __init__(self, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class GlobalAvgPool1D(_GlobalPooling):
    """Mean over the whole width: ``(N, C, W)`` -> ``(N, C, 1)``.

    Example::

        >>> mx.gluon.nn.GlobalAvgPool1D()(mx.nd.array([[[1, 3, 2]]])).asnumpy().tolist()
        [[[2.0]]]
    """

    _ndim, _pool_type = 1, "avg"

    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class GlobalAvgPool2D(_GlobalPooling):
    """Mean over all positions: ``(N, C, H, W)`` -> ``(N, C, 1, 1)``.

    Example::

        >>> mx.gluon.nn.GlobalAvgPool2D()(mx.nd.zeros((2, 3, 4, 4))).shape
        (2, 3, 1, 1)
    """

    _ndim, _pool_type = 2, "avg"

    def __init__(self, layout: str = "NCHW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class GlobalAvgPool3D(_GlobalPooling):
    """Mean over all positions: ``(N, C, D, H, W)`` -> ``(N, C, 1, 1, 1)``.

    Example::

        >>> mx.gluon.nn.GlobalAvgPool3D()(mx.nd.zeros((1, 2, 3, 3, 3))).shape
        (1, 2, 1, 1, 1)
    """

    _ndim, _pool_type = 3, "avg"

    def __init__(self, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pads the two spatial axes of ``(N, C, H, W)`` input by reflection. ``padding`` is an
    int (every side) or MXNet's 8-tuple ``pad_width`` ``(0, 0, 0, 0, top, bottom, left,
    right)``.

    Example::

        >>> pad = mx.gluon.nn.ReflectionPad2D(1)
        >>> pad(mx.nd.zeros((1, 3, 4, 4))).shape
        (1, 3, 6, 6)
    """

    def __init__(self, padding: IntOrInts = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, numbers.Integral):
            p = int(padding)
            padding = (0, 0, 0, 0, p, p, p, p)
        self._padding = _ints("ReflectionPad2D", "padding", padding, 8)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.pad(x, mode="reflect", pad_width=self._padding)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(padding={self._padding})"
