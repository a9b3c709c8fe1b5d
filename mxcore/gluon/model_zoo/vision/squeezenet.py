"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016)."""

from __future__ import annotations

from typing import Any, Optional

from ....base import MXNetValueError
from ....context import Context
from ... import nn
from ._common import DEFAULT_ROOT, FeaturesOutput, HybridConcurrent, check_pretrained, variant

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1", "get_squeezenet"]


def _make_fire_conv(channels: int, kernel_size: int, padding: int = 0) -> nn.HybridSequential:
    conv = nn.HybridSequential(prefix="")
    conv.add(nn.Conv2D(channels, kernel_size, padding=padding))
    conv.add(nn.Activation("relu"))
    return conv


def _make_fire(squeeze_channels: int, expand1x1_channels: int,
               expand3x3_channels: int) -> nn.HybridSequential:
    fire = nn.HybridSequential(prefix="")
    fire.add(_make_fire_conv(squeeze_channels, 1))
    paths = HybridConcurrent(axis=1, prefix="")
    paths.add(_make_fire_conv(expand1x1_channels, 1))
    paths.add(_make_fire_conv(expand3x3_channels, 3, 1))
    fire.add(paths)
    return fire


def _max_pool() -> nn.MaxPool2D:
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


class SqueezeNet(FeaturesOutput):
    """SqueezeNet ``version`` '1.0' or '1.1' (1.1: 2.4x less computation, same accuracy).

    The final 13x13 average pool needs 224x224 inputs.

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.model_zoo.vision.squeezenet1_1(classes=10)
        >>> net.initialize()
        >>> net(mx.nd.ones((1, 3, 224, 224))).shape
        (1, 10)
    """

    def __init__(self, version: str, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if version not in ("1.0", "1.1"):
            raise MXNetValueError(f"SqueezeNet: unsupported version {version!r}; options are "
                                  "'1.0' and '1.1'")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            if version == "1.0":
                self.features.add(nn.Conv2D(96, kernel_size=7, strides=2))
                self.features.add(nn.Activation("relu"))
                self.features.add(_max_pool())
                self.features.add(_make_fire(16, 64, 64))
                self.features.add(_make_fire(16, 64, 64))
                self.features.add(_make_fire(32, 128, 128))
                self.features.add(_max_pool())
                self.features.add(_make_fire(32, 128, 128))
                self.features.add(_make_fire(48, 192, 192))
                self.features.add(_make_fire(48, 192, 192))
                self.features.add(_make_fire(64, 256, 256))
                self.features.add(_max_pool())
                self.features.add(_make_fire(64, 256, 256))
            else:
                self.features.add(nn.Conv2D(64, kernel_size=3, strides=2))
                self.features.add(nn.Activation("relu"))
                self.features.add(_max_pool())
                self.features.add(_make_fire(16, 64, 64))
                self.features.add(_make_fire(16, 64, 64))
                self.features.add(_max_pool())
                self.features.add(_make_fire(32, 128, 128))
                self.features.add(_make_fire(32, 128, 128))
                self.features.add(_max_pool())
                self.features.add(_make_fire(48, 192, 192))
                self.features.add(_make_fire(48, 192, 192))
                self.features.add(_make_fire(64, 256, 256))
                self.features.add(_make_fire(64, 256, 256))
            self.features.add(nn.Dropout(0.5))

            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1))
            self.output.add(nn.Activation("relu"))
            self.output.add(nn.AvgPool2D(13))
            self.output.add(nn.Flatten())


def get_squeezenet(version: str, pretrained: bool = False, ctx: Optional[Context] = None,
                   root: str = DEFAULT_ROOT, **kwargs: Any) -> SqueezeNet:
    """SqueezeNet ``version`` '1.0' or '1.1'."""
    check_pretrained(f"squeezenet{version}", pretrained, root)
    del ctx
    return SqueezeNet(version, **kwargs)


squeezenet1_0 = variant("squeezenet1_0", "SqueezeNet 1.0.", get_squeezenet, "1.0")
squeezenet1_1 = variant("squeezenet1_1", "SqueezeNet 1.1.", get_squeezenet, "1.1")
