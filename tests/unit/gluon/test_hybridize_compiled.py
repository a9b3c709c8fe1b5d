"""Hybridized training recorded as one autograd node with a compiled backward."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon
from mxcore.gluon import cached_graph as cg
from mxcore.gluon import nn


@pytest.fixture
def per_step():
    """Switch the one-node path off for the duration of a test."""
    cg.ONE_NODE = False
    yield
    cg.ONE_NODE = True


def _net(kind):
    mx.random.seed(0)
    net = nn.HybridSequential()
    with net.name_scope():
        if kind == "conv":
            net.add(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Activation("relu"), nn.Flatten(),
                    nn.Dense(10))
        elif kind == "dropout":
            net.add(nn.Dense(16, activation="relu"), nn.Dropout(0.5), nn.Dense(10))
        else:
            net.add(nn.Dense(16, activation="relu"), nn.Dense(8, activation="tanh"),
                    nn.Dense(10))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    net(mx.nd.ones((6, 2, 6, 6) if kind == "conv" else (6, 12)))  # deferred shapes
    return net


def _train(kind, steps=5):
    net = _net(kind)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loss.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.1, "momentum": 0.9})
    rs = np.random.RandomState(1)
    shape = (6, 2, 6, 6) if kind == "conv" else (6, 12)
    for _ in range(steps):
        x = mx.nd.array(rs.randn(*shape))
        y = mx.nd.array(rs.randint(0, 10, 6))
        with autograd.record():
            out = loss(net(x), y)
        out.backward()
        trainer.step(6)
    return [p.data().asnumpy() for p in net.collect_params().values()], net


def _states(net):
    return [c.state for c in net._cached_graph.compiled.values()]


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_one_node_matches_per_step_bitwise(kind):
    fast, net = _train(kind)
    assert _states(net) == [2]  # captured, verified, replayed
    cg.ONE_NODE = False
    try:
        slow, ref = _train(kind)
    finally:
        cg.ONE_NODE = True
    assert ref._cached_graph.compiled == {}
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        assert np.array_equal(a, b)


def test_one_node_is_one_tape_node():
    net = _net("mlp")
    x = mx.nd.ones((2, 12))
    with autograd.record():
        y = net(x)
    assert type(y._ag.node.op).__name__ == "_GraphOp"
    assert y._ag.node.inputs[0] is x


@pytest.mark.parametrize("step", range(4))
def test_input_gradient(step):
    net = _net("mlp")
    rs = np.random.RandomState(2)
    for _ in range(step):  # walk the capture states: capture, check, replay
        with autograd.record():
            z = net(mx.nd.array(rs.randn(3, 12)))
        z.backward()
    x = mx.nd.array(rs.randn(3, 12))
    x.attach_grad()
    head = mx.nd.array(rs.randn(3, 10))
    with autograd.record():
        (net(x) * 2).backward(head)
    x2 = x.copy()
    x2.attach_grad()
    cg.ONE_NODE = False
    try:
        with autograd.record():
            ref = net(x2) * 2
        ref.backward(head)
    finally:
        cg.ONE_NODE = True
    assert np.array_equal(x.grad.asnumpy(), x2.grad.asnumpy())
    assert np.abs(x.grad.asnumpy()).sum() > 0


def test_input_gradient_numeric():
    net = _net("mlp")
    x = mx.nd.array(np.random.RandomState(3).randn(2, 12))
    x.attach_grad()
    for _ in range(3):
        with autograd.record():
            y = net(x).sum()
        y.backward()
    g = x.grad.asnumpy().astype(np.float64)
    eps = 1e-2
    xn = x.asnumpy().astype(np.float64)
    for i, j in [(0, 0), (1, 5), (0, 11)]:
        lo, hi = xn.copy(), xn.copy()
        lo[i, j] -= eps
        hi[i, j] += eps
        num = (net(mx.nd.array(hi)).sum().asscalar()
               - net(mx.nd.array(lo)).sum().asscalar()) / (2 * eps)
        assert abs(num - g[i, j]) < 1e-2 * max(1.0, abs(num))


def test_dropout_graph_stays_per_step():
    net = _net("dropout")
    mx.random.seed(5)
    with autograd.record():
        y = net(mx.nd.ones((4, 12)))
    y.backward()
    assert _states(net) == [-1]
    assert type(y._ag.node.op).__name__ != "_GraphOp"


def test_dropout_training_unchanged(per_step):
    cg.ONE_NODE = True
    mx.random.seed(7)
    fast, _ = _train("dropout", steps=3)
    cg.ONE_NODE = False
    mx.random.seed(7)
    slow, _ = _train("dropout", steps=3)
    for a, b in zip(fast, slow):
        assert np.array_equal(a, b)


def test_create_graph_falls_back_to_recomputation():
    net = _net("mlp")
    for _ in range(3):  # reach the replay state first
        with autograd.record():
            z = net(mx.nd.ones((2, 12)))
        z.backward()
    x = mx.nd.array(np.random.RandomState(4).randn(2, 12))
    x.attach_grad()
    with autograd.record():
        y = net(x).sum()
        (gx,) = autograd.grad(y, [x], create_graph=True)
        gg = (gx * gx).sum()
    gg.backward()
    got_g, got_gg = gx.asnumpy(), x.grad.asnumpy()
    cg.ONE_NODE = False
    try:
        x2 = x.copy()
        x2.attach_grad()
        with autograd.record():
            y2 = net(x2).sum()
            (gx2,) = autograd.grad(y2, [x2], create_graph=True)
            gg2 = (gx2 * gx2).sum()
        gg2.backward()
    finally:
        cg.ONE_NODE = True
    assert np.allclose(got_g, gx2.asnumpy(), rtol=1e-5, atol=1e-6)
    assert np.allclose(got_gg, x2.grad.asnumpy(), rtol=1e-5, atol=1e-6)
    assert np.abs(got_gg).sum() > 0


def test_batchnorm_moving_stats_updated_once_per_call():
    fast, net = _train("conv", steps=4)
    cg.ONE_NODE = False
    try:
        slow, _ = _train("conv", steps=4)
    finally:
        cg.ONE_NODE = True
    names = [n for n in net.collect_params() if "running" in n or "moving" in n]
    assert names
    for a, b in zip(fast, slow):
        assert np.array_equal(a, b)


def test_retain_graph_backward_twice():
    net = _net("mlp")
    x = mx.nd.ones((2, 12))
    for _ in range(4):
        with autograd.record():
            y = net(x)
        y.backward(retain_graph=True)
        w = net[0].weight.grad().asnumpy().copy()
        y.backward()
        assert np.array_equal(w, net[0].weight.grad().asnumpy())


def test_no_gradient_inputs_not_recorded():
    net = _net("mlp")
    net.collect_params().setattr("grad_req", "null")
    with autograd.record():
        y = net(mx.nd.ones((2, 12)))
    assert y._ag is None
