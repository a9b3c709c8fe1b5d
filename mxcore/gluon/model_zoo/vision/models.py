"""``get_model``: every model-zoo constructor by its MXNet 1.x name."""

from __future__ import annotations

from typing import Any, Callable, Dict

from ....base import MXNetValueError
from ...block import HybridBlock
from . import densenet as _densenet
from . import inception as _inception
from . import mobilenet as _mobilenet
from . import resnet as _resnet
from . import squeezenet as _squeezenet
from . import vgg as _vgg
from .alexnet import alexnet

__all__ = ["get_model"]

_MODELS: Dict[str, Callable[..., HybridBlock]] = {
    "resnet18_v1": _resnet.resnet18_v1,
    "resnet34_v1": _resnet.resnet34_v1,
    "resnet50_v1": _resnet.resnet50_v1,
    "resnet101_v1": _resnet.resnet101_v1,
    "resnet152_v1": _resnet.resnet152_v1,
    "resnet18_v2": _resnet.resnet18_v2,
    "resnet34_v2": _resnet.resnet34_v2,
    "resnet50_v2": _resnet.resnet50_v2,
    "resnet101_v2": _resnet.resnet101_v2,
    "resnet152_v2": _resnet.resnet152_v2,
    "vgg11": _vgg.vgg11,
    "vgg13": _vgg.vgg13,
    "vgg16": _vgg.vgg16,
    "vgg19": _vgg.vgg19,
    "vgg11_bn": _vgg.vgg11_bn,
    "vgg13_bn": _vgg.vgg13_bn,
    "vgg16_bn": _vgg.vgg16_bn,
    "vgg19_bn": _vgg.vgg19_bn,
    "alexnet": alexnet,
    "densenet121": _densenet.densenet121,
    "densenet161": _densenet.densenet161,
    "densenet169": _densenet.densenet169,
    "densenet201": _densenet.densenet201,
    "squeezenet1.0": _squeezenet.squeezenet1_0,
    "squeezenet1.1": _squeezenet.squeezenet1_1,
    "inceptionv3": _inception.inception_v3,
    "mobilenet1.0": _mobilenet.mobilenet1_0,
    "mobilenet0.75": _mobilenet.mobilenet0_75,
    "mobilenet0.5": _mobilenet.mobilenet0_5,
    "mobilenet0.25": _mobilenet.mobilenet0_25,
    "mobilenetv2_1.0": _mobilenet.mobilenet_v2_1_0,
    "mobilenetv2_0.75": _mobilenet.mobilenet_v2_0_75,
    "mobilenetv2_0.5": _mobilenet.mobilenet_v2_0_5,
    "mobilenetv2_0.25": _mobilenet.mobilenet_v2_0_25,
}


def get_model(name: str, **kwargs: Any) -> HybridBlock:
    """The model called ``name`` (case-insensitive), built with ``kwargs``
    (``classes``, ``pretrained``, ``thumbnail`` for ResNets, ...).

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.model_zoo.vision.get_model("resnet18_v1", classes=10)
        >>> type(net).__name__
        'ResNetV1'
    """
    key = name.lower()
    if key not in _MODELS:
        options = "\n\t".join(sorted(_MODELS))
        raise MXNetValueError(f"get_model: model {name!r} is not supported. Available options "
                              f"are\n\t{options}")
    return _MODELS[key](**kwargs)
