"""VGG 11/13/16/19 (Simonyan & Zisserman 2014), with or without batch norm."""

from __future__ import annotations

from typing import Any, List, Optional

from .... import initializer as init
from ....base import MXNetValueError
from ....context import Context
from ... import nn
from ._common import DEFAULT_ROOT, FeaturesOutput, check_pretrained, variant

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn", "get_vgg"]


class VGG(FeaturesOutput):
    """Stages of ``layers[i]`` 3x3 convolutions with ``filters[i]`` channels, each followed
    by a 2x2 max pool, then two 4096-unit dense layers with dropout.

    Inputs need a side of at least 32 (five halvings).

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.model_zoo.vision.vgg11(classes=10)
        >>> net.initialize()
        >>> net(mx.nd.ones((1, 3, 32, 32))).shape
        (1, 10)
    """

    def __init__(self, layers: List[int], filters: List[int], classes: int = 1000,
                 batch_norm: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise MXNetValueError(f"VGG: layers and filters need the same length; got "
                                  f"layers={layers}, filters={filters}")
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                           bias_initializer="zeros"))
                self.features.add(nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal",
                                   bias_initializer="zeros")

    @staticmethod
    def _make_features(layers: List[int], filters: List[int],
                       batch_norm: bool) -> nn.HybridSequential:
        features = nn.HybridSequential(prefix="")
        for num_convs, channels in zip(layers, filters):
            for _ in range(num_convs):
                features.add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                       weight_initializer=init.Xavier(rnd_type="gaussian",
                                                                      factor_type="out",
                                                                      magnitude=2),
                                       bias_initializer="zeros"))
                if batch_norm:
                    features.add(nn.BatchNorm())
                features.add(nn.Activation("relu"))
            features.add(nn.MaxPool2D(strides=2))
        return features


_SPEC = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
         13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
         16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
         19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers: int, pretrained: bool = False, ctx: Optional[Context] = None,
            root: str = DEFAULT_ROOT, **kwargs: Any) -> VGG:
    """VGG with ``num_layers`` in 11, 13, 16, 19 (``batch_norm=True`` for the _bn nets)."""
    if num_layers not in _SPEC:
        raise MXNetValueError(f"get_vgg: invalid number of layers {num_layers}; options are "
                              f"{sorted(_SPEC)}")
    suffix = "_bn" if kwargs.get("batch_norm") else ""
    check_pretrained(f"vgg{num_layers}{suffix}", pretrained, root)
    del ctx
    layers, filters = _SPEC[num_layers]
    return VGG(layers, filters, **kwargs)


vgg11 = variant("vgg11", "VGG-11.", get_vgg, 11)
vgg13 = variant("vgg13", "VGG-13.", get_vgg, 13)
vgg16 = variant("vgg16", "VGG-16.", get_vgg, 16)
vgg19 = variant("vgg19", "VGG-19.", get_vgg, 19)
vgg11_bn = variant("vgg11_bn", "VGG-11 with batch normalisation.", get_vgg, 11, batch_norm=True)
vgg13_bn = variant("vgg13_bn", "VGG-13 with batch normalisation.", get_vgg, 13, batch_norm=True)
vgg16_bn = variant("vgg16_bn", "VGG-16 with batch normalisation.", get_vgg, 16, batch_norm=True)
vgg19_bn = variant("vgg19_bn", "VGG-19 with batch normalisation.", get_vgg, 19, batch_norm=True)
