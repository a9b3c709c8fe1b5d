"""ResNet v1 (He et al. 2015) and v2 (pre-activation, He et al. 2016), MXNet 1.x layout."""

from __future__ import annotations

from typing import Any, List, Optional, Type, Union

from ....base import MXNetValueError
from ....context import Context
from ... import nn
from ...block import HybridBlock
from ._common import DEFAULT_ROOT, FeaturesOutput, check_pretrained, variant

__all__ = ["ResNetV1", "ResNetV2", "BasicBlockV1", "BasicBlockV2", "BottleneckV1",
           "BottleneckV2", "resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1",
           "resnet152_v1", "resnet18_v2", "resnet34_v2", "resnet50_v2", "resnet101_v2",
           "resnet152_v2", "get_resnet"]


def _conv3x3(channels: int, stride: int, in_channels: int) -> nn.Conv2D:
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def _sequential(*layers: HybridBlock) -> nn.HybridSequential:
    seq = nn.HybridSequential(prefix="")
    for layer in layers:
        seq.add(layer)
    return seq


class _ResidualV1(HybridBlock):
    """``body`` plus the shortcut (a 1x1 conv + BN projection when ``downsample``), ReLU
    after the sum; subclasses build ``body`` before calling :meth:`_add_shortcut`."""

    def _add_shortcut(self, downsample: bool, channels: int, stride: int,
                      in_channels: int) -> None:
        self.downsample = _sequential(
            nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                      in_channels=in_channels),
            nn.BatchNorm()) if downsample else None

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        residual = x
        x = self.body(x)
        if self.downsample is not None:
            residual = self.downsample(residual)
        return F.Activation(x + residual, act_type="relu")


class BasicBlockV1(_ResidualV1):
    """Two 3x3 convolutions with batch norm; ReLU after the residual sum (18/34 layers)."""

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body = _sequential(_conv3x3(channels, stride, in_channels), nn.BatchNorm(),
                                nn.Activation("relu"), _conv3x3(channels, 1, channels),
                                nn.BatchNorm())
        self._add_shortcut(downsample, channels, stride, in_channels)


class BottleneckV1(_ResidualV1):
    """1x1 -> 3x3 -> 1x1 convolutions (channels/4 inside), ReLU after the sum (50+ layers)."""

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body = _sequential(nn.Conv2D(channels // 4, kernel_size=1, strides=stride),
                                nn.BatchNorm(), nn.Activation("relu"),
                                _conv3x3(channels // 4, 1, channels // 4), nn.BatchNorm(),
                                nn.Activation("relu"),
                                nn.Conv2D(channels, kernel_size=1, strides=1), nn.BatchNorm())
        self._add_shortcut(downsample, channels, stride, in_channels)


class _ResidualV2(HybridBlock):
    """Pre-activation residual: ``bn1``/``conv1`` ... ``bn{depth}``/``conv{depth}`` (each
    BN -> ReLU -> conv) plus the shortcut, a 1x1 conv of the first activation when
    ``downsample``."""

    depth = 0

    def _add_shortcut(self, downsample: bool, channels: int, stride: int,
                      in_channels: int) -> None:
        self.downsample = nn.Conv2D(channels, 1, stride, use_bias=False,
                                    in_channels=in_channels) if downsample else None

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        residual = x
        x = F.Activation(self.bn1(x), act_type="relu")
        if self.downsample is not None:
            residual = self.downsample(x)
        x = self.conv1(x)
        for k in range(2, self.depth + 1):
            x = F.Activation(getattr(self, f"bn{k}")(x), act_type="relu")
            x = getattr(self, f"conv{k}")(x)
        return x + residual


class BasicBlockV2(_ResidualV2):
    """Pre-activation basic block: BN -> ReLU -> conv, twice, plus the shortcut."""

    depth = 2

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self._add_shortcut(downsample, channels, stride, in_channels)


class BottleneckV2(_ResidualV2):
    """Pre-activation bottleneck: (BN -> ReLU -> conv) x3 with 1x1, 3x3, 1x1 kernels."""

    depth = 3

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(channels // 4, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels // 4, stride, channels // 4)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self._add_shortcut(downsample, channels, stride, in_channels)


_Block = Type[Union[BasicBlockV1, BasicBlockV2, BottleneckV1, BottleneckV2]]


def _make_stage(block: _Block, num_layers: int, channels: int, stride: int, stage_index: int,
                in_channels: int) -> nn.HybridSequential:
    stage = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=""))
        for _ in range(num_layers - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=""))
    return stage


def _add_stages(features: nn.HybridSequential, block: _Block, layers: List[int],
                channels: List[int]) -> None:
    """One stage per entry of ``layers``; stage ``i`` widens ``channels[i]`` to
    ``channels[i + 1]`` (stride 2 from the second stage on)."""
    for i, num_layers in enumerate(layers):
        features.add(_make_stage(block, num_layers, channels[i + 1], 1 if i == 0 else 2, i + 1,
                                 in_channels=channels[i]))


def _check_spec(name: str, layers: List[int], channels: List[int]) -> None:
    if len(layers) != len(channels) - 1:
        raise MXNetValueError(f"{name}: channels needs one more entry than layers; got "
                              f"layers={layers}, channels={channels}")


def _add_stem(features: nn.HybridSequential, channels: int, thumbnail: bool) -> None:
    """One 3x3 conv (``thumbnail``), else the 7x7/2 conv, BN, ReLU and 3x3/2 max pool."""
    if thumbnail:
        features.add(_conv3x3(channels, 1, 0))
    else:
        features.add(nn.Conv2D(channels, 7, 2, 3, use_bias=False))
        features.add(nn.BatchNorm())
        features.add(nn.Activation("relu"))
        features.add(nn.MaxPool2D(3, 2, 1))


class ResNetV1(FeaturesOutput):
    """ResNet v1: ``block`` repeated ``layers[i]`` times per stage, ``channels[i+1]`` wide.

    ``thumbnail=True`` replaces the 7x7/2 stem and max pool by one 3x3 conv (CIFAR-sized
    inputs).

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.model_zoo.vision.resnet18_v1(classes=10, thumbnail=True)
        >>> net.initialize()
        >>> net(mx.nd.ones((1, 3, 32, 32))).shape
        (1, 10)
    """

    def __init__(self, block: _Block, layers: List[int], channels: List[int],
                 classes: int = 1000, thumbnail: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_spec("ResNetV1", layers, channels)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            _add_stem(self.features, channels[0], thumbnail)
            _add_stages(self.features, block, layers, channels)
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])


class ResNetV2(FeaturesOutput):
    """ResNet v2 (pre-activation); same arguments as :class:`ResNetV1`.

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.model_zoo.vision.resnet18_v2(classes=10, thumbnail=True)
        >>> net.initialize()
        >>> net(mx.nd.ones((1, 3, 32, 32))).shape
        (1, 10)
    """

    def __init__(self, block: _Block, layers: List[int], channels: List[int],
                 classes: int = 1000, thumbnail: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_spec("ResNetV2", layers, channels)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.BatchNorm(scale=False, center=False))
            _add_stem(self.features, channels[0], thumbnail)
            _add_stages(self.features, block, layers, channels)
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.GlobalAvgPool2D())
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes, in_units=channels[-1])


_SPEC = {18: ("basic_block", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
         34: ("basic_block", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
         50: ("bottle_neck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
         101: ("bottle_neck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
         152: ("bottle_neck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
_NETS = {1: ResNetV1, 2: ResNetV2}
_BLOCKS = {1: {"basic_block": BasicBlockV1, "bottle_neck": BottleneckV1},
           2: {"basic_block": BasicBlockV2, "bottle_neck": BottleneckV2}}


def get_resnet(version: int, num_layers: int, pretrained: bool = False,
               ctx: Optional[Context] = None, root: str = DEFAULT_ROOT,
               **kwargs: Any) -> HybridBlock:
    """ResNet ``version`` (1 or 2) with ``num_layers`` in 18, 34, 50, 101, 152."""
    if num_layers not in _SPEC:
        raise MXNetValueError(f"get_resnet: invalid number of layers {num_layers}; "
                              f"options are {sorted(_SPEC)}")
    if version not in _NETS:
        raise MXNetValueError(f"get_resnet: invalid resnet version {version}; options are "
                              "1 and 2")
    check_pretrained(f"resnet{num_layers}_v{version}", pretrained, root)
    del ctx  # only used to place downloaded weights
    block_type, layers, channels = _SPEC[num_layers]
    return _NETS[version](_BLOCKS[version][block_type], layers, channels, **kwargs)


resnet18_v1 = variant("resnet18_v1", "ResNet-18 v1.", get_resnet, 1, 18)
resnet34_v1 = variant("resnet34_v1", "ResNet-34 v1.", get_resnet, 1, 34)
resnet50_v1 = variant("resnet50_v1", "ResNet-50 v1.", get_resnet, 1, 50)
resnet101_v1 = variant("resnet101_v1", "ResNet-101 v1.", get_resnet, 1, 101)
resnet152_v1 = variant("resnet152_v1", "ResNet-152 v1.", get_resnet, 1, 152)
resnet18_v2 = variant("resnet18_v2", "ResNet-18 v2.", get_resnet, 2, 18)
resnet34_v2 = variant("resnet34_v2", "ResNet-34 v2.", get_resnet, 2, 34)
resnet50_v2 = variant("resnet50_v2", "ResNet-50 v2.", get_resnet, 2, 50)
resnet101_v2 = variant("resnet101_v2", "ResNet-101 v2.", get_resnet, 2, 101)
resnet152_v2 = variant("resnet152_v2", "ResNet-152 v2.", get_resnet, 2, 152)
