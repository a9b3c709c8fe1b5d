"""gluon.nn layers: values against NumPy, parameter names/shapes, deferred shapes, BatchNorm
running statistics, gradients and a small CNN."""

import math

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetValueError
from mxcore.gluon import nn


def _arr(shape, seed=0, dtype="float32", low=-1.0, high=1.0):
    return np.random.RandomState(seed).uniform(low, high, shape).astype(dtype)


def _run(layer, *xs, init=None):
    layer.initialize(init)
    return layer(*[mx.nd.array(x, dtype=x.dtype) for x in xs]).asnumpy()


# -- NumPy references -------------------------------------------------------------------------
def np_conv(x, w, b, stride, pad, dilate, groups=1):
    n, c = x.shape[:2]
    o, k = w.shape[0], w.shape[2:]
    nsp = len(k)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad]).astype(np.float64)
    out_sp = [(xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1
              for i in range(nsp)]
    out = np.zeros((n, o) + tuple(out_sp))
    cg, og = c // groups, o // groups
    for idx in np.ndindex(*out_sp):
        for ki in np.ndindex(*k):
            pos = tuple(idx[i] * stride[i] + ki[i] * dilate[i] for i in range(nsp))
            patch = xp[(slice(None), slice(None)) + pos]
            for g in range(groups):
                wg = w[(slice(g * og, (g + 1) * og), slice(None)) + ki]
                out[(slice(None), slice(g * og, (g + 1) * og)) + idx] += \
                    patch[:, g * cg:(g + 1) * cg] @ wg.T
    if b is not None:
        out += b.reshape((1, o) + (1,) * nsp)
    return out


def np_deconv(x, w, b, stride, pad, dilate, adj, groups=1):
    n, c = x.shape[:2]
    og, k = w.shape[1], w.shape[2:]
    o, nsp, cg = og * groups, len(k), c // groups
    full = [(x.shape[2 + i] - 1) * stride[i] + dilate[i] * (k[i] - 1) + 1 + adj[i]
            for i in range(nsp)]
    buf = np.zeros((n, o) + tuple(full))
    for idx in np.ndindex(*x.shape[2:]):
        for ki in np.ndindex(*k):
            pos = tuple(idx[i] * stride[i] + ki[i] * dilate[i] for i in range(nsp))
            for g in range(groups):
                xin = x[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
                wg = w[(slice(g * cg, (g + 1) * cg), slice(None)) + ki]
                buf[(slice(None), slice(g * og, (g + 1) * og)) + pos] += xin @ wg
    crop = tuple(slice(p, f - p) for p, f in zip(pad, full))
    out = buf[(slice(None), slice(None)) + crop]
    if b is not None:
        out = out + b.reshape((1, o) + (1,) * nsp)
    return out


def np_pool2d(x, k, s, p, kind, ceil=False, count_include_pad=True):
    n, c, h, w = x.shape
    rnd = math.ceil if ceil else math.floor
    oh = rnd((h + 2 * p[0] - k[0]) / s[0]) + 1
    ow = rnd((w + 2 * p[1] - k[1]) / s[1]) + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            size = (h1 - h0) * (w1 - w0)
            win = x[:, :, max(h0, 0):min(h1, h), max(w0, 0):min(w1, w)]
            if kind == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                if not count_include_pad:
                    size = win.shape[2] * win.shape[3]
                out[:, :, i, j] = win.sum(axis=(2, 3)) / size
    return out


# -- Dense ------------------------------------------------------------------------------------
def test_dense_names_deferred_shape_and_repr():
    layer = nn.Dense(10)
    assert layer.prefix.startswith("dense") and layer.name == layer.prefix[:-1]
    names = list(layer.collect_params().keys())
    assert names == [layer.prefix + "weight", layer.prefix + "bias"]
    assert layer.weight.shape == (10, 0)
    assert repr(layer) == "Dense(None -> 10, linear)"
    layer.initialize()
    with pytest.raises(MXNetError):
        layer.weight.data()  # still deferred
    layer(mx.nd.ones((2, 3, 4)))
    assert layer.weight.shape == (10, 12) and layer.bias.shape == (10,)
    assert repr(layer) == "Dense(12 -> 10, linear)"
    assert repr(nn.Dense(4, activation="relu", in_units=3)) == "Dense(3 -> 4, Activation(relu))"


def test_dense_parameter_names_in_a_fresh_scope():
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Dense(3, activation="tanh"), nn.Dense(2, use_bias=False))
    assert list(net.collect_params().keys()) == ["net_dense0_weight", "net_dense0_bias",
                                                 "net_dense1_weight"]
    assert net[0].act.prefix == "net_dense0_tanh_"


@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_forward_matches_numpy(flatten, use_bias):
    x = _arr((2, 3, 4))
    layer = nn.Dense(5, use_bias=use_bias, flatten=flatten,
                     bias_initializer=mx.init.Constant(0.5))
    out = _run(layer, x)
    w = layer.weight.data().asnumpy()
    expect = x.reshape(2, 12) @ w.T if flatten else x @ w.T
    if use_bias:
        expect = expect + 0.5
    assert w.shape == ((5, 12) if flatten else (5, 4))
    np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-6)


def test_dense_activation_dtype_and_initializers():
    x = _arr((3, 4))
    layer = nn.Dense(2, activation="relu", in_units=4, dtype="float64",
                     weight_initializer="ones", bias_initializer=mx.init.Constant(-1.0))
    assert layer.weight.shape == (2, 4)  # known: no deferred init
    out = _run(layer, x.astype("float64"))
    assert layer.weight.data().dtype == np.float64
    np.testing.assert_allclose(out, np.maximum(x.sum(1, keepdims=True) - 1.0, 0) * [1, 1],
                               rtol=1e-6)


def test_dense_gradients():
    x = _arr((3, 4))
    layer = nn.Dense(2, in_units=4)
    layer.initialize()
    with mx.autograd.record():
        y = layer(mx.nd.array(x))
    y.backward(mx.nd.ones((3, 2)))
    np.testing.assert_allclose(layer.weight.grad().asnumpy(), np.ones((2, 3)) @ x, rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad().asnumpy(), [3.0, 3.0])


# -- Dropout --------------------------------------------------------------------------------
def test_dropout_identity_outside_training():
    x = _arr((4, 5))
    np.testing.assert_array_equal(_run(nn.Dropout(0.5), x), x)
    np.testing.assert_array_equal(_run(nn.Dropout(0.0), x), x)
    assert repr(nn.Dropout(0.3, axes=(1,))) == "Dropout(p = 0.3, axes=(1,))"


def test_dropout_in_training_drops_and_rescales():
    mx.random.seed(3)
    layer = nn.Dropout(0.25)
    with mx.autograd.record():
        out = layer(mx.nd.ones((100, 100))).asnumpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.2 < (out == 0).mean() < 0.3
    with mx.autograd.train_mode():
        shared = nn.Dropout(0.5, axes=(1,))(mx.nd.ones((50, 6))).asnumpy()
    assert (shared == shared[:, :1]).all() and 0 < (shared[:, 0] == 0).sum() < 50


# -- BatchNorm --------------------------------------------------------------------------------
def test_batchnorm_parameters():
    bn = nn.BatchNorm()
    keys = list(bn.collect_params().keys())
    assert [k[len(bn.prefix):] for k in keys] == ["gamma", "beta", "running_mean",
                                                 "running_var"]
    assert bn.prefix.startswith("batchnorm")
    assert bn.running_mean.grad_req == "null" and bn.running_var.grad_req == "null"
    assert bn.gamma.grad_req == "write" and bn.gamma.shape == (0,)
    assert repr(bn) == ("BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
                        "use_global_stats=False, in_channels=None)")
    no_scale = nn.BatchNorm(scale=False, center=False, in_channels=3)
    assert no_scale.gamma.grad_req == "null" and no_scale.beta.grad_req == "null"
    assert no_scale.gamma.shape == (3,)


def test_batchnorm_train_updates_running_stats_predict_uses_them():
    x = _arr((4, 3, 2, 2), low=0.0, high=4.0)
    bn = nn.BatchNorm(momentum=0.8, gamma_initializer=mx.init.Constant(2.0),
                      beta_initializer=mx.init.Constant(0.5))
    bn.initialize()
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    b = (1, 3, 1, 1)
    with mx.autograd.record():
        y = bn(mx.nd.array(x))
    expect = (x - mean.reshape(b)) / np.sqrt(var.reshape(b) + 1e-5) * 2.0 + 0.5
    np.testing.assert_allclose(y.asnumpy(), expect, rtol=1e-4, atol=1e-5)
    assert bn.gamma.shape == (3,)
    rm, rv = 0.2 * mean, 0.8 + 0.2 * var
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), rm, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), rv, rtol=1e-5)

    y = bn(mx.nd.array(x))  # predict mode: running statistics, no update
    expect = (x - rm.reshape(b)) / np.sqrt(rv.reshape(b) + 1e-5) * 2.0 + 0.5
    np.testing.assert_allclose(y.asnumpy(), expect, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), rm, rtol=1e-5)

    with mx.autograd.train_mode():  # training without recording also updates
        bn(mx.nd.array(x))
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.8 * rm + 0.2 * mean,
                               rtol=1e-5)


def test_batchnorm_global_stats_axis_and_gradients():
    x = _arr((5, 4), seed=1)
    bn = nn.BatchNorm(axis=-1, use_global_stats=True,
                      running_mean_initializer=mx.init.Constant(0.25))
    bn.initialize()
    with mx.autograd.record():
        y = bn(mx.nd.array(x))
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), (x - 0.25) / np.sqrt(1 + 1e-5), rtol=1e-5)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), [0.25] * 4)
    np.testing.assert_allclose(bn.beta.grad().asnumpy(), [5.0] * 4)
    np.testing.assert_allclose(bn.gamma.grad().asnumpy(),
                               ((x - 0.25) / np.sqrt(1 + 1e-5)).sum(0), rtol=1e-5)


def test_batchnorm_cast_keeps_float16_params_at_float32():
    bn = nn.BatchNorm(in_channels=2)
    bn.initialize()
    bn.cast("float16")
    assert bn.gamma.data().dtype == np.float32


# -- other normalisations -------------------------------------------------------------------
def test_layer_norm():
    x = _arr((2, 3, 5))
    layer = nn.LayerNorm(gamma_initializer=mx.init.Constant(1.5))
    out = _run(layer, x)
    assert layer.gamma.shape == (5,) and layer.beta.shape == (5,)
    expect = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * 1.5
    np.testing.assert_allclose(out, expect, rtol=1e-4, atol=1e-5)
    layer = nn.LayerNorm(axis=1)
    _run(layer, x)
    assert layer.gamma.shape == (3,)
    assert repr(layer).startswith("LayerNorm(eps=1e-05, axis=1, center=True, scale=True")


@pytest.mark.parametrize("axis", [1, 2])
def test_instance_norm(axis):
    x = _arr((2, 3, 4))
    layer = nn.InstanceNorm(axis=axis, beta_initializer=mx.init.Constant(0.1))
    out = _run(layer, x)
    assert layer.gamma.shape == (x.shape[axis],) and layer.gamma.grad_req == "null"
    red = tuple(a for a in range(1, 3) if a != axis)
    expect = (x - x.mean(red, keepdims=True)) / np.sqrt(x.var(red, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, expect + 0.1, rtol=1e-4, atol=1e-5)


def test_group_norm():
    x = _arr((2, 4, 3))
    layer = nn.GroupNorm(num_groups=2)
    out = _run(layer, x)
    assert layer.gamma.shape == (2,) and layer.beta.shape == (2,)
    xg = x.reshape(2, 2, 6)
    expect = (xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, expect.reshape(x.shape), rtol=1e-4, atol=1e-5)
    assert repr(layer) == "GroupNorm(eps=1e-05, num_groups=2, center=True, scale=True)"


# -- Embedding, Flatten -------------------------------------------------------------------------
def test_embedding():
    layer = nn.Embedding(5, 3)
    assert layer.weight.shape == (5, 3) and repr(layer) == "Embedding(5 -> 3, float32)"
    assert list(layer.collect_params().keys()) == [layer.prefix + "weight"]
    layer.initialize()
    idx = mx.nd.array([[0, 4], [4, 2]])
    with mx.autograd.record():
        out = layer(idx)
    out.backward()
    w = layer.weight.data().asnumpy()
    np.testing.assert_array_equal(out.asnumpy(), w[[[0, 4], [4, 2]]])
    counts = np.array([1, 0, 1, 0, 2], dtype=np.float32)[:, None] * np.ones((1, 3))
    np.testing.assert_array_equal(layer.weight.grad().asnumpy(), counts)


def test_flatten():
    x = _arr((2, 3, 4))
    np.testing.assert_array_equal(_run(nn.Flatten(), x), x.reshape(2, 12))
    assert repr(nn.Flatten()) == "Flatten"


# -- convolutions -------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, xshape, kwargs", [
    (nn.Conv1D, (2, 4, 9), dict(kernel_size=3, strides=2, padding=1, dilation=2, groups=2)),
    (nn.Conv2D, (2, 3, 6, 5), dict(kernel_size=(3, 2), strides=(1, 2), padding=(1, 0))),
    (nn.Conv3D, (1, 2, 4, 4, 3), dict(kernel_size=2, padding=1, use_bias=False)),
])
def test_conv_forward_matches_numpy(cls, xshape, kwargs):
    x = _arr(xshape)
    layer = cls(6, bias_initializer=mx.init.Constant(0.3), **kwargs)
    assert layer.weight.shape[1] == 0
    out = _run(layer, x)
    nsp = len(xshape) - 2
    groups = kwargs.get("groups", 1)
    k = kwargs["kernel_size"]
    k = (k,) * nsp if isinstance(k, int) else k
    assert layer.weight.shape == (6, xshape[1] // groups) + k
    w = layer.weight.data().asnumpy()
    b = layer.bias.data().asnumpy() if layer.bias is not None else None

    def tup(name, default):
        v = kwargs.get(name, default)
        return (v,) * nsp if isinstance(v, int) else v

    expect = np_conv(x, w, b, tup("strides", 1), tup("padding", 0), tup("dilation", 1), groups)
    np.testing.assert_allclose(out, expect, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls, xshape, kwargs", [
    (nn.Conv1DTranspose, (2, 4, 5), dict(kernel_size=3, strides=2, padding=1,
                                         output_padding=1, groups=2)),
    (nn.Conv2DTranspose, (1, 3, 3, 4), dict(kernel_size=(2, 3), strides=(2, 1),
                                            dilation=(1, 2))),
    (nn.Conv3DTranspose, (1, 2, 2, 3, 2), dict(kernel_size=2, strides=2, use_bias=False)),
])
def test_conv_transpose_forward_matches_numpy(cls, xshape, kwargs):
    x = _arr(xshape)
    layer = cls(4, bias_initializer=mx.init.Constant(-0.2), **kwargs)
    out = _run(layer, x)
    nsp = len(xshape) - 2
    groups = kwargs.get("groups", 1)
    k = kwargs["kernel_size"]
    k = (k,) * nsp if isinstance(k, int) else k
    assert layer.weight.shape == (xshape[1], 4 // groups) + k
    w = layer.weight.data().asnumpy()
    b = layer.bias.data().asnumpy() if layer.bias is not None else None

    def tup(name, default):
        v = kwargs.get(name, default)
        return (v,) * nsp if isinstance(v, int) else v

    expect = np_deconv(x, w, b, tup("strides", 1), tup("padding", 0), tup("dilation", 1),
                       tup("output_padding", 0), groups)
    np.testing.assert_allclose(out, expect, rtol=1e-4, atol=1e-5)


def test_conv_channel_last_layout_matches_channel_first():
    x = _arr((2, 3, 5, 6))
    first = nn.Conv2D(4, 3, padding=1, in_channels=3, activation="relu")
    last = nn.Conv2D(4, 3, padding=1, layout="NHWC", in_channels=3, activation="relu")
    assert last.weight.shape == (4, 3, 3, 3)
    out_first = _run(first, x)
    last.initialize()
    last.weight.set_data(first.weight.data().transpose((0, 2, 3, 1)))
    out_last = last(mx.nd.array(x.transpose(0, 2, 3, 1))).asnumpy()
    np.testing.assert_allclose(out_last, out_first.transpose(0, 2, 3, 1), rtol=1e-5,
                               atol=1e-6)
    pooled = nn.MaxPool2D(layout="NHWC")(mx.nd.array(x.transpose(0, 2, 3, 1))).asnumpy()
    np.testing.assert_allclose(pooled.transpose(0, 3, 1, 2),
                               np_pool2d(x, (2, 2), (2, 2), (0, 0), "max"))


def test_conv_names_and_repr():
    conv = nn.Conv2D(8, 3, padding=1, groups=2, use_bias=False, activation="relu")
    assert conv.prefix.startswith("conv")
    assert list(conv.collect_params().keys()) == [conv.prefix + "weight"]
    assert repr(conv) == ("Conv2D(None -> 8, kernel_size=(3, 3), stride=(1, 1), "
                          "padding=(1, 1), groups=2, bias=False, Activation(relu))")
    deconv = nn.Conv2DTranspose(4, 3, strides=2, output_padding=1, in_channels=2)
    assert deconv.weight.shape == (2, 4, 3, 3)
    assert repr(deconv) == ("Conv2DTranspose(2 -> 4, kernel_size=(3, 3), stride=(2, 2), "
                            "output_padding=(1, 1))")


def test_conv_argument_errors():
    with pytest.raises(MXNetValueError):
        nn.Conv2D(4, (3, 3, 3))
    with pytest.raises(MXNetValueError):
        nn.Conv1D(4, 3, layout="NCHW")
    with pytest.raises(MXNetValueError):
        nn.Conv2D(4, 3, strides=(1, 2, 3))
    conv = nn.Conv2D(4, 3)
    conv.initialize()
    with pytest.raises(MXNetValueError):
        conv(mx.nd.ones((2, 3, 5)))  # 3-d input for a 2-d convolution
    with pytest.raises(MXNetValueError):
        nn.LeakyReLU(-0.1)


# -- pooling, padding -----------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kind, kwargs, ref", [
    (nn.MaxPool2D, "max", {}, dict(k=(2, 2), s=(2, 2), p=(0, 0))),
    (nn.MaxPool2D, "max", dict(pool_size=3, strides=2, padding=1, ceil_mode=True),
     dict(k=(3, 3), s=(2, 2), p=(1, 1), ceil=True)),
    (nn.AvgPool2D, "avg", dict(pool_size=(2, 3), strides=1, padding=(1, 1)),
     dict(k=(2, 3), s=(1, 1), p=(1, 1))),
    (nn.AvgPool2D, "avg", dict(pool_size=3, strides=2, padding=1, count_include_pad=False),
     dict(k=(3, 3), s=(2, 2), p=(1, 1), count_include_pad=False)),
])
def test_pool2d_matches_numpy(cls, kind, kwargs, ref):
    x = _arr((2, 3, 5, 6))
    np.testing.assert_allclose(_run(cls(**kwargs), x), np_pool2d(x, kind=kind, **ref),
                               rtol=1e-5, atol=1e-6)


def test_pool_1d_3d_and_global():
    x1 = _arr((2, 3, 7))
    np.testing.assert_allclose(_run(nn.MaxPool1D(3, 2), x1),
                               np.stack([x1[..., i:i + 3].max(-1) for i in (0, 2, 4)], -1))
    np.testing.assert_allclose(_run(nn.AvgPool1D(), x1),
                               x1[..., :6].reshape(2, 3, 3, 2).mean(-1), rtol=1e-6)
    x3 = _arr((1, 2, 4, 4, 2))
    expect = x3.reshape(1, 2, 2, 2, 2, 2, 1, 2).max(axis=(3, 5, 7))
    np.testing.assert_allclose(_run(nn.MaxPool3D(), x3), expect)
    np.testing.assert_allclose(_run(nn.AvgPool3D(), x3),
                               x3.reshape(1, 2, 2, 2, 2, 2, 1, 2).mean(axis=(3, 5, 7)),
                               rtol=1e-5)
    for cls, fn, x in [(nn.GlobalMaxPool1D, np.max, x1), (nn.GlobalAvgPool1D, np.mean, x1),
                       (nn.GlobalMaxPool2D, np.max, _arr((2, 3, 4, 5))),
                       (nn.GlobalAvgPool2D, np.mean, _arr((2, 3, 4, 5))),
                       (nn.GlobalMaxPool3D, np.max, x3), (nn.GlobalAvgPool3D, np.mean, x3)]:
        axes = tuple(range(2, x.ndim))
        np.testing.assert_allclose(_run(cls(), x), fn(x, axis=axes, keepdims=True),
                                   rtol=1e-5, atol=1e-6)


def test_pool_defaults_and_repr():
    pool = nn.MaxPool2D(pool_size=3)
    assert pool.prefix.startswith("pool")
    assert repr(pool) == ("MaxPool2D(size=(3, 3), stride=(3, 3), padding=(0, 0), "
                          "ceil_mode=False, global_pool=False, pool_type=max, layout=NCHW)")
    assert "global_pool=True, pool_type=avg" in repr(nn.GlobalAvgPool1D())


def test_reflection_pad2d():
    x = _arr((1, 2, 3, 4))
    expect = np.pad(x, [(0, 0), (0, 0), (2, 2), (2, 2)], mode="reflect")
    np.testing.assert_array_equal(_run(nn.ReflectionPad2D(2), x), expect)
    pad = nn.ReflectionPad2D((0, 0, 0, 0, 1, 0, 0, 2))
    np.testing.assert_array_equal(_run(pad, x),
                                  np.pad(x, [(0, 0), (0, 0), (1, 0), (0, 2)], mode="reflect"))
    with pytest.raises(MXNetValueError):
        nn.ReflectionPad2D((1, 1))


# -- activations ---------------------------------------------------------------------------------
_ERF = np.vectorize(math.erf)


@pytest.mark.parametrize("layer, fn", [
    (lambda: nn.Activation("relu"), lambda x: np.maximum(x, 0)),
    (lambda: nn.Activation("sigmoid"), lambda x: 1 / (1 + np.exp(-x))),
    (lambda: nn.Activation("tanh"), np.tanh),
    (lambda: nn.Activation("softrelu"), lambda x: np.log1p(np.exp(x))),
    (lambda: nn.Activation("softsign"), lambda x: x / (1 + np.abs(x))),
    (lambda: nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (lambda: nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (lambda: nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (lambda: nn.SELU(), lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x))),
    (lambda: nn.GELU(), lambda x: 0.5 * x * (1 + _ERF(x / np.sqrt(2)))),
    (lambda: nn.Swish(), lambda x: x / (1 + np.exp(-x))),
    (lambda: nn.Swish(2.0), lambda x: x / (1 + np.exp(-2 * x))),
])
def test_activations_match_numpy(layer, fn):
    x = _arr((3, 4), low=-3, high=3)
    np.testing.assert_allclose(_run(layer(), x), fn(x.astype(np.float64)), rtol=1e-5,
                               atol=1e-6)


def test_activation_repr_and_alias():
    act = nn.Activation("tanh")
    assert repr(act) == "Activation(tanh)" and act.prefix.startswith("tanh")
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(0.2)"


def test_prelu_parameter_and_gradient():
    prelu = nn.PReLU(in_channels=3)
    assert list(prelu.collect_params().keys()) == [prelu.prefix + "alpha"]
    assert prelu.prefix.startswith("prelu")
    x = _arr((2, 3, 4), low=-2, high=2)
    prelu.initialize()
    np.testing.assert_allclose(prelu.alpha.data().asnumpy(), [0.25] * 3)
    with mx.autograd.record():
        y = prelu(mx.nd.array(x))
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    np.testing.assert_allclose(prelu.alpha.grad().asnumpy(),
                               np.where(x > 0, 0, x).sum(axis=(0, 2)), rtol=1e-5)
    shared = nn.PReLU(alpha_initializer=mx.init.Constant(0.5))
    np.testing.assert_allclose(_run(shared, x), np.where(x > 0, x, 0.5 * x), rtol=1e-6)


# -- a small CNN ---------------------------------------------------------------------------------
def _cnn():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1, activation="relu"), nn.BatchNorm(),
                nn.MaxPool2D(), nn.Flatten(), nn.Dense(3))
    return net


def test_small_cnn_forward_backward():
    net = _cnn()
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(_arr((2, 1, 6, 6)))
    with mx.autograd.record():
        out = net(x)
        loss = (out * out).sum()
    loss.backward()
    assert out.shape == (2, 3)
    params = net.collect_params()
    assert params[net.prefix + "conv0_weight"].shape == (4, 1, 3, 3)
    assert params[net.prefix + "dense0_weight"].shape == (3, 36)
    for name, param in params.items():
        if param.grad_req != "null":
            assert np.abs(param.grad().asnumpy()).sum() > 0, name


def test_small_cnn_gradient_matches_finite_differences():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(3, 3, padding=1, activation="tanh"), nn.MaxPool2D(),
                nn.Flatten(), nn.Dense(2))
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(_arr((2, 2, 4, 4), seed=5), dtype="float64")
    net(x.astype("float32"))  # finish deferred init, then switch to float64
    net.cast("float64")

    def loss_value():
        out = net(x)
        return float(((out - 0.3) ** 2).sum().asscalar())

    with mx.autograd.record():
        out = net(x)
        loss = ((out - 0.3) ** 2).sum()
    loss.backward()
    rng = np.random.RandomState(0)
    for param in (net[0].weight, net[0].bias, net[3].weight):
        data = param.data()
        grad = param.grad().asnumpy()
        for flat in rng.choice(data.size, 3, replace=False):
            idx = np.unravel_index(flat, data.shape)
            base = data.asnumpy()
            values = []
            for step in (1e-6, -1e-6):
                moved = base.copy()
                moved[idx] += step
                param.set_data(mx.nd.array(moved, dtype="float64"))
                values.append(loss_value())
            param.set_data(mx.nd.array(base, dtype="float64"))
            numeric = (values[0] - values[1]) / 2e-6
            assert abs(numeric - grad[idx]) < 1e-5 + 1e-4 * abs(numeric), (param.name, idx)
