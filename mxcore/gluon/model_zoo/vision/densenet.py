"""DenseNet 121/161/169/201 (Huang et al. 2016), MXNet 1.x layout."""

from __future__ import annotations

from typing import Any, List, Optional

from ....base import MXNetValueError
from ....context import Context
from ... import nn
from ._common import DEFAULT_ROOT, FeaturesOutput, HybridConcurrent, check_pretrained, variant

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201",
           "get_densenet"]


def _make_dense_layer(growth_rate: int, bn_size: int, dropout: float) -> HybridConcurrent:
    new_features = nn.HybridSequential(prefix="")
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False))
    new_features.add(nn.BatchNorm())
    new_features.add(nn.Activation("relu"))
    new_features.add(nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    layer = HybridConcurrent(axis=1, prefix="")
    layer.add(nn.Identity())
    layer.add(new_features)
    return layer


def _make_dense_block(num_layers: int, bn_size: int, growth_rate: int, dropout: float,
                      stage_index: int) -> nn.HybridSequential:
    block = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with block.name_scope():
        for _ in range(num_layers):
            block.add(_make_dense_layer(growth_rate, bn_size, dropout))
    return block


def _make_transition(num_output_features: int) -> nn.HybridSequential:
    transition = nn.HybridSequential(prefix="")
    transition.add(nn.BatchNorm())
    transition.add(nn.Activation("relu"))
    transition.add(nn.Conv2D(num_output_features, kernel_size=1, use_bias=False))
    transition.add(nn.AvgPool2D(pool_size=2, strides=2))
    return transition


class DenseNet(FeaturesOutput):
    """Dense blocks of ``block_config[i]`` layers, each adding ``growth_rate`` channels,
    separated by transitions that halve channels and resolution.

    The final 7x7 average pool needs 224x224 inputs (at least 221).

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.model_zoo.vision.DenseNet(16, 8, [2, 2], classes=10)
        >>> net.collect_params().initialize()
        >>> net(mx.nd.ones((1, 3, 56, 56))).shape
        (1, 10)
    """

    def __init__(self, num_init_features: int, growth_rate: int, block_config: List[int],
                 bn_size: int = 4, dropout: float = 0, classes: int = 1000,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                                        padding=3, use_bias=False))
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_make_dense_block(num_layers, bn_size, growth_rate, dropout,
                                                    i + 1))
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    self.features.add(_make_transition(num_features // 2))
                    num_features //= 2
            self.features.add(nn.BatchNorm())
            self.features.add(nn.Activation("relu"))
            self.features.add(nn.AvgPool2D(pool_size=7))
            self.features.add(nn.Flatten())
            self.output = nn.Dense(classes)


_SPEC = {121: (64, 32, [6, 12, 24, 16]),
         161: (96, 48, [6, 12, 36, 24]),
         169: (64, 32, [6, 12, 32, 32]),
         201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers: int, pretrained: bool = False, ctx: Optional[Context] = None,
                 root: str = DEFAULT_ROOT, **kwargs: Any) -> DenseNet:
    """DenseNet with ``num_layers`` in 121, 161, 169, 201."""
    if num_layers not in _SPEC:
        raise MXNetValueError(f"get_densenet: invalid number of layers {num_layers}; options "
                              f"are {sorted(_SPEC)}")
    check_pretrained(f"densenet{num_layers}", pretrained, root)
    del ctx
    num_init_features, growth_rate, block_config = _SPEC[num_layers]
    return DenseNet(num_init_features, growth_rate, block_config, **kwargs)


densenet121 = variant("densenet121", "DenseNet-121.", get_densenet, 121)
densenet161 = variant("densenet161", "DenseNet-161.", get_densenet, 161)
densenet169 = variant("densenet169", "DenseNet-169.", get_densenet, 169)
densenet201 = variant("densenet201", "DenseNet-201.", get_densenet, 201)
