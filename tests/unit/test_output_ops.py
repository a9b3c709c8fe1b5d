"""Output heads as a user trains with them: the head gradient is ignored, the label gets no
gradient, and the gradient flows into the layers below (the formulas themselves are checked
by the conformance cases in mxcore/conformance/cases_output.py)."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetValueError


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _data_grad(op, x, *inputs, head=None, **attrs):
    x = x.copy()
    x.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd, op)(x, *inputs, **attrs)
    y.backward(head)
    return x.grad.asnumpy()


@pytest.mark.parametrize("op", ["SoftmaxOutput", "LinearRegressionOutput",
                                "LogisticRegressionOutput", "MAERegressionOutput"])
def test_head_gradient_is_ignored(op):
    x = mx.nd.array(np.random.RandomState(0).randn(3, 4))
    label = mx.nd.array([0, 1, 3]) if op == "SoftmaxOutput" else mx.nd.ones((3, 4))
    plain = _data_grad(op, x, label)
    scaled = _data_grad(op, x, label, head=mx.nd.full((3, 4), 7.0))
    np.testing.assert_allclose(plain, scaled)
    assert np.abs(plain).sum() > 0


def test_out_grad_multiplies_by_head_gradient():
    x = mx.nd.array(np.random.RandomState(1).randn(2, 3))
    label = mx.nd.array([2, 0])
    head = mx.nd.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    got = _data_grad("SoftmaxOutput", x, label, head=head, out_grad=True)
    want = (_softmax(x.asnumpy()) - np.eye(3)[[2, 0]]) * head.asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_label_gets_no_gradient():
    x = mx.nd.array([[0.1, 0.9], [0.4, 0.2]])
    label = mx.nd.array([1, 0])
    x.attach_grad()
    label.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SoftmaxOutput(x, label)
    y.backward()
    assert np.all(label.grad.asnumpy() == 0)
    assert np.abs(x.grad.asnumpy()).sum() > 0


def test_gradient_reaches_the_layer_below():
    rng = np.random.RandomState(2)
    data = mx.nd.array(rng.randn(4, 3))
    weight = mx.nd.array(rng.randn(5, 3))
    label = mx.nd.array([0, 4, 2, 2])
    weight.attach_grad()
    with mx.autograd.record():
        fc = mx.nd.FullyConnected(data, weight, num_hidden=5, no_bias=True)
        out = mx.nd.SoftmaxOutput(fc, label, normalization="batch")
    out.backward()
    logits = data.asnumpy() @ weight.asnumpy().T
    dlogits = (_softmax(logits) - np.eye(5)[[0, 4, 2, 2]]) / 4
    np.testing.assert_allclose(weight.grad.asnumpy(), dlogits.T @ data.asnumpy(), rtol=1e-4,
                               atol=1e-5)


def test_make_loss_trains_a_custom_loss():
    x = mx.nd.array([[1.0, -2.0], [3.0, 0.5]])
    x.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.MakeLoss(mx.nd.square(x), grad_scale=0.5)
    loss.backward(mx.nd.full((2, 2), 9.0))
    np.testing.assert_allclose(x.grad.asnumpy(), x.asnumpy())  # 0.5 * d(x^2)/dx
    np.testing.assert_allclose(loss.asnumpy(), np.square(x.asnumpy()))


def test_softmax_output_training_step_reduces_the_loss():
    rng = np.random.RandomState(3)
    data = mx.nd.array(rng.randn(8, 4))
    label_np = rng.randint(0, 3, size=8)
    label = mx.nd.array(label_np)
    weight = mx.nd.array(rng.randn(3, 4) * 0.1)

    def loss(w):
        p = _softmax(data.asnumpy() @ w.T)
        return -np.log(p[np.arange(8), label_np]).mean()

    before = loss(weight.asnumpy())
    for _ in range(20):
        weight.attach_grad()
        with mx.autograd.record():
            out = mx.nd.SoftmaxOutput(mx.nd.FullyConnected(data, weight, num_hidden=3,
                                                           no_bias=True), label,
                                      normalization="batch")
        out.backward()
        weight = weight - 0.5 * weight.grad
    assert loss(weight.asnumpy()) < before * 0.8


def test_softmax_output_params_keep_mxnet_names_and_defaults():
    op = mx.ops.get_op("SoftmaxOutput")
    assert op.param_order == ("grad_scale", "ignore_label", "multi_output", "use_ignore",
                              "preserve_shape", "normalization", "out_grad", "smooth_alpha")
    assert op.defaults["ignore_label"] == -1.0 and op.defaults["normalization"] == "null"
    assert mx.ops.get_op("Softmax") is op
    assert mx.ops.get_op("MakeLoss").param_order == ("grad_scale", "valid_thresh",
                                                     "normalization")


def test_bad_label_shape_names_the_op():
    with pytest.raises(MXNetValueError, match="SoftmaxOutput"):
        mx.nd.SoftmaxOutput(mx.nd.zeros((2, 3)), mx.nd.zeros((3,)))
