"""gluon.model_zoo.vision: every architecture builds, runs forward on its smallest valid
input, has MXNet 1.x names and parameter counts; a few run backward."""

from __future__ import annotations

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetValueError
from mxcore.gluon.model_zoo import vision

# (name, input side): the smallest convenient side for each net's fixed pooling windows
SIDES = {
    **{f"resnet{n}_v{v}": 32 for n in (18, 34, 50, 101, 152) for v in (1, 2)},
    **{f"vgg{n}{bn}": 32 for n in (11, 13, 16, 19) for bn in ("", "_bn")},
    "alexnet": 63,
    **{f"densenet{n}": 224 for n in (121, 161, 169, 201)},
    "squeezenet1.0": 224, "squeezenet1.1": 224,
    **{f"mobilenet{m}": 32 for m in ("1.0", "0.75", "0.5", "0.25")},
    **{f"mobilenetv2_{m}": 32 for m in ("1.0", "0.75", "0.5", "0.25")},
    "inceptionv3": 299,
}


def test_every_zoo_name_is_listed():
    assert set(SIDES) == set(vision.models._MODELS)


# trainable parameters with the default 1000 classes
COUNTS = {
    "resnet18_v1": 11_689_512,       # torchvision's resnet18 has the same count
    "resnet50_v1": 25_575_912,       # + MXNet's biases on the 1x1 bottleneck convs
    "densenet121": 7_978_856,
    "squeezenet1.1": 1_235_496,
    "mobilenet1.0": 4_231_976,
    "mobilenetv2_1.0": 3_504_960,    # MXNet keeps the t=1 expansion conv
}


def _trainable_size(net) -> int:
    return sum(p.data().size for p in net.collect_params().values() if p.grad_req != "null")


@pytest.mark.parametrize("name", sorted(SIDES))
def test_forward_shape(name):
    net = vision.get_model(name)
    net.initialize(mx.init.Xavier())
    side = SIDES[name]
    with mx.autograd.predict_mode():
        out = net(mx.nd.ones((1, 3, side, side)))
    assert out.shape == (1, 1000)
    assert np.isfinite(out.asnumpy()).all()
    if name in COUNTS:
        assert _trainable_size(net) == COUNTS[name]


def test_parameter_names_follow_mxnet():
    net = vision.resnet18_v1(prefix="resnetv10_")
    names = list(net.collect_params().keys())
    assert names[:2] == ["resnetv10_conv0_weight", "resnetv10_batchnorm0_gamma"]
    assert "resnetv10_stage1_conv0_weight" in names
    assert "resnetv10_stage2_conv2_weight" in names  # the downsample conv of stage 2
    assert names[-2:] == ["resnetv10_dense0_weight", "resnetv10_dense0_bias"]
    v2 = vision.mobilenet_v2_0_25(prefix="mobilenetv20_")
    assert list(v2.collect_params().keys())[-1] == "mobilenetv20_output_pred_weight"
    inception = vision.inception_v3(prefix="inception30_")
    keys = inception.collect_params().keys()
    assert "inception30_A1_conv0_weight" in keys and "inception30_E2_conv8_weight" in keys


def test_thumbnail_resnet_keeps_resolution_in_stage1():
    net = vision.resnet18_v2(classes=10, thumbnail=True)
    net.initialize()
    assert net.features[1].name.endswith("conv0")  # 3x3 stem instead of 7x7 + pool
    assert net(mx.nd.ones((2, 3, 8, 8))).shape == (2, 10)


def _train_step(net, x, classes):
    net.initialize(mx.init.Xavier())
    label = mx.nd.array(np.arange(x.shape[0]) % classes)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    with mx.autograd.record():
        loss = loss_fn(net(x), label)
    loss.backward()
    return loss


@pytest.mark.parametrize("builder, shape", [
    (lambda: vision.resnet18_v1(classes=5, thumbnail=True), (2, 3, 16, 16)),
    (lambda: vision.resnet50_v2(classes=5, thumbnail=True), (2, 3, 8, 8)),
    (lambda: vision.mobilenet_v2_0_25(classes=5), (2, 3, 32, 32)),
    (lambda: vision.DenseNet(8, 4, [2, 2], classes=5), (2, 3, 56, 56)),
    (lambda: vision.squeezenet1_1(classes=5), (2, 3, 224, 224)),
])
def test_backward_reaches_every_trainable_parameter(builder, shape):
    net = builder()
    x = mx.nd.random.uniform(shape=shape)
    loss = _train_step(net, x, 5)
    assert loss.shape == (shape[0],)
    assert np.isfinite(loss.asnumpy()).all()
    for name, param in net.collect_params().items():
        if param.grad_req == "null":
            continue
        grad = param.grad().asnumpy()
        assert np.isfinite(grad).all(), name
        # a BN shift feeding a linear conv and a batch-stat BN has an exactly zero
        # gradient (MobileNet v2's linear bottlenecks), so only weights must be reached
        if name.endswith("_weight"):
            assert np.abs(grad).sum() > 0, name


def test_batchnorm_running_stats_update_in_training():
    net = vision.resnet18_v1(classes=3, thumbnail=True)
    _train_step(net, mx.nd.random.uniform(shape=(2, 3, 8, 8)), 3)
    (param,) = net.collect_params(net.prefix + "stage1_batchnorm0_running_mean").values()
    assert np.abs(param.data().asnumpy()).sum() > 0


@pytest.mark.parametrize("name", ["resnet18_v1", "vgg11_bn", "alexnet", "densenet121",
                                  "squeezenet1.0", "mobilenet0.5", "mobilenetv2_1.0",
                                  "inceptionv3"])
def test_pretrained_raises_clearly(name):
    with pytest.raises(vision.PretrainedUnavailableError) as info:
        vision.get_model(name, pretrained=True)
    assert isinstance(info.value, MXNetError)
    message = str(info.value)
    assert "pretrained" in message and "load_parameters" in message


def test_pretrained_error_names_the_model():
    with pytest.raises(MXNetError, match="resnet50_v2"):
        vision.resnet50_v2(pretrained=True)
    with pytest.raises(MXNetError, match="mobilenet0.75"):
        vision.mobilenet0_75(pretrained=True)


def test_get_model_is_case_insensitive_and_passes_kwargs():
    net = vision.get_model("ResNet18_V1", classes=4, thumbnail=True)
    assert isinstance(net, vision.ResNetV1)
    net.initialize()
    assert net(mx.nd.ones((1, 3, 8, 8))).shape == (1, 4)


def test_get_model_unknown_name_lists_options():
    with pytest.raises(MXNetValueError, match="resnet18_v1") as info:
        vision.get_model("resnet19_v1")
    assert "resnet19_v1" in str(info.value)


@pytest.mark.parametrize("call, match", [
    (lambda: vision.get_resnet(1, 19), "number of layers 19"),
    (lambda: vision.get_resnet(3, 18), "version 3"),
    (lambda: vision.get_vgg(12), "number of layers 12"),
    (lambda: vision.get_densenet(100), "number of layers 100"),
    (lambda: vision.SqueezeNet("1.2"), "'1.2'"),
    (lambda: vision.ResNetV1(vision.BasicBlockV1, [2, 2], [64, 64]), "one more entry"),
])
def test_bad_configuration_raises(call, match):
    with pytest.raises(MXNetValueError, match=match):
        call()
