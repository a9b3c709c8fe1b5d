"""Executor: forward/backward equal the imperative computation; grad_req; reshape; params."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.executor import Executor
from mxcore.ops.registry import OPS


def _bind(sym, shapes, grad_req="write", seed=0, ctx=None):
    """An executor over random arguments (zero aux: mean 0, var 1) for ``shapes``."""
    ctx = ctx or mx.cpu()
    rng = np.random.default_rng(seed)
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    args = [mx.nd.array(rng.standard_normal(s)) for s in arg_shapes]
    grads = [mx.nd.zeros(s) for s in arg_shapes]
    aux = [mx.nd.zeros(s) if "mean" in n else mx.nd.ones(s)
           for n, s in zip(sym.list_auxiliary_states(), aux_shapes)]
    return Executor(sym, ctx, args, grads, grad_req, aux)


def _mlp(depth=2, hidden=8, classes=3):
    h = mx.sym.Variable("data")
    for i in range(depth):
        h = mx.sym.FullyConnected(h, num_hidden=hidden, name=f"fc{i}")
        h = mx.sym.Activation(h, act_type="tanh", name=f"act{i}")
    return mx.sym.FullyConnected(h, num_hidden=classes, name="out")


def _mlp_nd(a, depth=2, hidden=8, classes=3):
    h = a["data"]
    for i in range(depth):
        h = mx.nd.FullyConnected(h, a[f"fc{i}_weight"], a[f"fc{i}_bias"], num_hidden=hidden)
        h = mx.nd.tanh(h)
    return mx.nd.FullyConnected(h, a["out_weight"], a["out_bias"], num_hidden=classes)


def _leaves(exe):
    copies = {n: a.copy() for n, a in exe.arg_dict.items()}
    for a in copies.values():
        a.attach_grad()
    return copies


def test_mlp_forward_backward_match_autograd():
    exe = _bind(_mlp(), {"data": (4, 5)})
    ref = _leaves(exe)
    pred = exe.forward()[0].asnumpy()
    head = mx.nd.array(np.random.default_rng(1).standard_normal((4, 3)))
    out = exe.forward(is_train=True)[0].asnumpy()
    exe.backward(head)
    with mx.autograd.record():
        y = _mlp_nd(ref)
    y.backward(head)
    np.testing.assert_allclose(pred, y.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, y.asnumpy(), rtol=1e-5, atol=1e-6)
    for name, a in ref.items():
        np.testing.assert_allclose(exe.grad_dict[name].asnumpy(), a.grad.asnumpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=name)


def test_default_head_gradient_is_ones():
    exe = _bind(_mlp(), {"data": (2, 5)})
    exe.forward(is_train=True)
    exe.backward()
    first = exe.grad_dict["fc0_weight"].asnumpy().copy()
    exe.backward(mx.nd.ones((2, 3)))
    np.testing.assert_allclose(exe.grad_dict["fc0_weight"].asnumpy(), first, rtol=1e-6)


def _convnet():
    x = mx.sym.Variable("data")
    c = mx.sym.Convolution(x, kernel=(3, 3), num_filter=4, pad=(1, 1), name="conv")
    b = mx.sym.BatchNorm(c, fix_gamma=False, name="bn")
    a = mx.sym.Activation(b, act_type="relu", name="relu")
    p = mx.sym.Pooling(a, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool")
    return mx.sym.FullyConnected(mx.sym.Flatten(p, name="flat"), num_hidden=3, name="fc")


def _convnet_nd(a, mean, var):
    c = mx.nd.Convolution(a["data"], a["conv_weight"], a["conv_bias"], kernel=(3, 3),
                          num_filter=4, pad=(1, 1))
    b = mx.nd.BatchNorm(c, a["bn_gamma"], a["bn_beta"], mean, var, fix_gamma=False)
    p = mx.nd.Pooling(mx.nd.relu(b), kernel=(2, 2), stride=(2, 2), pool_type="max")
    return mx.nd.FullyConnected(mx.nd.Flatten(p), a["fc_weight"], a["fc_bias"], num_hidden=3)


def test_convnet_batchnorm_train_matches_autograd_and_updates_aux():
    exe = _bind(_convnet(), {"data": (2, 3, 6, 6)})
    exe.aux_dict["bn_moving_mean"][:] = 0.5
    ref = _leaves(exe)
    mean, var = exe.aux_dict["bn_moving_mean"].copy(), exe.aux_dict["bn_moving_var"].copy()
    out = exe.forward(is_train=True)[0].asnumpy()
    exe.backward()
    with mx.autograd.record():
        y = _convnet_nd(ref, mean, var)
    y.backward()
    np.testing.assert_allclose(out, y.asnumpy(), rtol=1e-4, atol=1e-5)
    for name, a in ref.items():
        np.testing.assert_allclose(exe.grad_dict[name].asnumpy(), a.grad.asnumpy(),
                                   rtol=1e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(exe.aux_dict["bn_moving_mean"].asnumpy(), mean.asnumpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(exe.aux_dict["bn_moving_var"].asnumpy(), var.asnumpy(),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(mean.asnumpy(), 0.5)  # the reference did update them


def test_convnet_batchnorm_predict_uses_moving_stats():
    exe = _bind(_convnet(), {"data": (2, 3, 6, 6)})
    exe.aux_dict["bn_moving_mean"][:] = 0.25
    exe.aux_dict["bn_moving_var"][:] = 2.0
    ref = {n: a.copy() for n, a in exe.arg_dict.items()}
    out = exe.forward(is_train=False)[0].asnumpy()
    y = _convnet_nd(ref, mx.nd.full((4,), 0.25), mx.nd.full((4,), 2.0))
    np.testing.assert_allclose(out, y.asnumpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(exe.aux_dict["bn_moving_mean"].asnumpy(), 0.25)


def test_grad_req_add_accumulates_and_null_skips():
    sym = _mlp()
    reqs = {"data": "null", "fc0_weight": "add", "fc0_bias": "write"}
    exe = _bind(sym, {"data": (3, 5)}, grad_req=reqs)
    assert exe.grad_req["fc1_weight"] == "null"  # missing from the dict
    exe.grad_dict["data"][:] = 7
    exe.forward(is_train=True)
    exe.backward()
    once = exe.grad_dict["fc0_weight"].asnumpy().copy()
    bias = exe.grad_dict["fc0_bias"].asnumpy().copy()
    exe.forward(is_train=True)
    exe.backward()
    np.testing.assert_allclose(exe.grad_dict["fc0_weight"].asnumpy(), 2 * once, rtol=1e-5)
    np.testing.assert_allclose(exe.grad_dict["fc0_bias"].asnumpy(), bias, rtol=1e-6)
    np.testing.assert_allclose(exe.grad_dict["data"].asnumpy(), 7)
    np.testing.assert_allclose(exe.grad_dict["fc1_weight"].asnumpy(), 0)
    assert np.abs(once).sum() > 0


def test_grad_req_list_and_str_null():
    sym = _mlp(depth=1)
    n = len(sym.list_arguments())
    exe = _bind(sym, {"data": (2, 5)}, grad_req=["null"] + ["write"] * (n - 1))
    assert exe.grad_req["data"] == "null" and exe.grad_req["out_bias"] == "write"
    exe = _bind(sym, {"data": (2, 5)}, grad_req="null")
    exe.forward(is_train=True)
    exe.backward()  # nothing to do
    assert all(np.all(g.asnumpy() == 0) for g in exe.grad_arrays)
    with pytest.raises(MXNetError):
        _bind(sym, {"data": (2, 5)}, grad_req="sometimes")


def test_write_zeroes_gradient_of_blocked_argument():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    exe = _bind(a * mx.sym.BlockGrad(b), {"a": (3,), "b": (3,)})
    exe.grad_dict["b"][:] = 5
    exe.forward(is_train=True)
    exe.backward()
    np.testing.assert_allclose(exe.grad_dict["b"].asnumpy(), 0)
    np.testing.assert_allclose(exe.grad_dict["a"].asnumpy(), exe.arg_dict["b"].asnumpy())


def test_backward_needs_training_forward():
    exe = _bind(_mlp(), {"data": (2, 5)})
    exe.forward(is_train=False)
    with pytest.raises(MXNetError, match="is_train=True"):
        exe.backward()


def test_forward_kwargs_copy_into_arguments():
    exe = _bind(_mlp(), {"data": (2, 5)})
    data = np.arange(10, dtype=np.float32).reshape(2, 5)
    exe.forward(data=mx.nd.array(data))
    np.testing.assert_allclose(exe.arg_dict["data"].asnumpy(), data)
    first = exe.outputs[0]
    exe.forward(data=data * 2)
    assert exe.outputs[0] is first  # output arrays persist, as in MXNet
    expected = _mlp_nd({n: a for n, a in exe.arg_dict.items()})
    np.testing.assert_allclose(first.asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="unknown argument"):
        exe.forward(nope=mx.nd.zeros((2, 5)))
    with pytest.raises(ValueError, match="shape"):
        exe.forward(data=mx.nd.zeros((3, 5)))
    with pytest.raises(TypeError):
        exe.forward(data=[1, 2])


def test_dicts_and_group_outputs():
    x = mx.sym.Variable("x")
    exe = _bind(mx.sym.Group([mx.sym.exp(x, name="e"), x * 2]), {"x": (2,)})
    outs = exe.forward()
    assert list(exe.output_dict) == exe._symbol.list_outputs()
    np.testing.assert_allclose(outs[0].asnumpy(), np.exp(exe.arg_dict["x"].asnumpy()),
                               rtol=1e-6)
    assert set(exe.arg_dict) == {"x"} and exe.aux_dict == {}
    exe.forward(is_train=True)
    exe.backward([mx.nd.ones((2,)), mx.nd.ones((2,))])
    xv = exe.arg_dict["x"].asnumpy()
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), np.exp(xv) + 2, rtol=1e-5)


def test_bind_validation():
    sym = _mlp(depth=1)
    with pytest.raises(MXNetError, match="needs"):
        Executor(sym, mx.cpu(), [mx.nd.zeros((2, 5))], None, "write", [])
    with pytest.raises(MXNetError, match="no array"):
        Executor(sym, mx.cpu(), {"data": mx.nd.zeros((2, 5))}, None, "write", [])


def test_op_error_names_node():
    x = mx.sym.Variable("x")
    w = mx.sym.Variable("w")
    sym = mx.sym.FullyConnected(x, w, no_bias=True, num_hidden=4, name="badfc")
    exe = Executor(sym, mx.cpu(), [mx.nd.zeros((2, 5)), mx.nd.zeros((4, 6))], None, "null",
                   [])
    with pytest.raises(MXNetError, match="badfc"):
        exe.forward()


def test_reshape_shares_parameters_and_views_smaller_data():
    exe = _bind(_mlp(), {"data": (4, 5)})
    small = exe.reshape(data=(2, 5))
    assert small.arg_dict["fc0_weight"] is exe.arg_dict["fc0_weight"]
    small.arg_dict["data"][:] = 1.0  # a view on the first elements of the big array
    mx.nd.waitall()  # an asynchronous engine tracks the view and the base apart
    np.testing.assert_allclose(exe.arg_dict["data"].asnumpy()[:2], 1.0)
    out = small.forward()[0]
    assert out.shape == (2, 3)
    expected = _mlp_nd(dict(small.arg_dict))
    np.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError, match="allow_up_sizing"):
        exe.reshape(data=(8, 5))
    big = exe.reshape(allow_up_sizing=True, data=(8, 5))
    assert big.forward()[0].shape == (8, 3)
    with pytest.raises(MXNetError, match="partial_shaping"):
        exe.reshape(data=(5, 4))  # fc0_weight would change too
    narrow = exe.reshape(partial_shaping=True, data=(5, 4))
    assert narrow.arg_dict["fc0_weight"].shape == (8, 4)
    assert narrow.forward()[0].shape == (5, 3)


def test_copy_params_from():
    exe = _bind(_convnet(), {"data": (1, 3, 4, 4)})
    w = mx.nd.ones(exe.arg_dict["fc_weight"].shape, dtype=np.float64)
    exe.copy_params_from({"fc_weight": w}, {"bn_moving_var": mx.nd.full((4,), 3.0)})
    np.testing.assert_allclose(exe.arg_dict["fc_weight"].asnumpy(), 1.0)
    assert exe.arg_dict["fc_weight"].dtype == np.float32
    np.testing.assert_allclose(exe.aux_dict["bn_moving_var"].asnumpy(), 3.0)
    with pytest.raises(MXNetError, match="extra"):
        exe.copy_params_from({"extra": w})
    exe.copy_params_from({"extra": w}, {"extra_aux": w}, allow_extra_params=True)
    with pytest.raises(MXNetError, match="shape"):
        exe.copy_params_from({"fc_bias": mx.nd.zeros((7,))})


def test_memory_stats_plausible():
    exe = _bind(_mlp(depth=10, hidden=32), {"data": (16, 32)})
    stats = exe.memory_stats()  # before any forward: sizes learned without outputs
    assert exe.outputs == []
    infer, train = stats["inference"], stats["training"]
    assert 0 < infer["planned_bytes"] < infer["naive_bytes"]
    assert infer["peak_live_bytes"] <= infer["planned_bytes"]
    assert infer["num_inplace"] == 10  # every tanh over its FullyConnected
    assert 0 < train["planned_bytes"] < train["naive_bytes"]
    assert train["planned_bytes"] >= infer["naive_bytes"]  # activations kept for backward
    assert stats["grad_bytes"] == stats["arg_bytes"]
    text = exe.debug_str()
    assert "Memory plan (inference)" in text and "Op:FullyConnected, Name=fc3" in text


def test_predict_loop_drops_intermediates():
    exe = _bind(_mlp(depth=3), {"data": (2, 5)})
    program = exe._program
    released = {s for step in program.steps for s in step.release}
    intermediates = {s for step in program.steps for s in step.outs}
    assert released == intermediates - set(program.out_slots)


def test_dropout_modes():
    x = mx.sym.Variable("x")
    exe = _bind(mx.sym.Dropout(x, p=0.5), {"x": (50, 20)})
    xv = exe.arg_dict["x"].asnumpy()
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), xv)
    out = exe.forward(is_train=True)[0].asnumpy()
    zeros = np.mean(out == 0)
    assert 0.3 < zeros < 0.7
    np.testing.assert_allclose(out[out != 0], 2 * xv[out != 0], rtol=1e-6)


@pytest.mark.skipif("SoftmaxOutput" not in OPS, reason="output heads not registered")
def test_softmax_output_ignores_head_gradient():
    data, label = mx.sym.Variable("data"), mx.sym.Variable("softmax_label")
    sym = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(data, num_hidden=3, name="fc"), label,
                               name="softmax")
    exe = _bind(sym, {"data": (4, 5), "softmax_label": (4,)},
                grad_req={"fc_weight": "write", "fc_bias": "write"})
    exe.arg_dict["softmax_label"][:] = mx.nd.array([0, 1, 2, 1])
    prob = exe.forward(is_train=True)[0].asnumpy()
    exe.backward()
    g1 = exe.grad_dict["fc_bias"].asnumpy().copy()
    exe.backward(mx.nd.full((4, 3), 5.0))
    np.testing.assert_allclose(exe.grad_dict["fc_bias"].asnumpy(), g1, rtol=1e-6)
    onehot = np.eye(3)[[0, 1, 2, 1]]
    np.testing.assert_allclose(g1, (prob - onehot).sum(0), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("is_train", [False, True])
def test_outputs_never_alias_arguments(is_train):
    x = mx.sym.Variable("x")
    exe = _bind(mx.sym.Reshape(x, shape=(4,)), {"x": (2, 2)})
    out = exe.forward(is_train=is_train)[0]
    before = out.asnumpy().copy()
    exe.arg_dict["x"][:] = 9.0
    np.testing.assert_allclose(out.asnumpy(), before)
