"""The executor's compiled backward: captured on the first backward, replayed later."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.executor import backward as cb
from mxcore.ndarray.invoke import CAPTURE
from mxcore.ops.registry import OPS


def _mlp():
    x = mx.sym.Variable("data")
    y = mx.sym.FullyConnected(x, num_hidden=8, name="fc1")
    y = mx.sym.Activation(y, act_type="tanh")
    y = mx.sym.FullyConnected(y, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(y, name="sm")


def _convnet():
    x = mx.sym.Variable("data")
    y = mx.sym.Convolution(x, num_filter=4, kernel=(3, 3), pad=(1, 1), name="c1")
    y = mx.sym.BatchNorm(y, name="bn1")
    y = mx.sym.Activation(y, act_type="relu")
    y = mx.sym.Pooling(y, kernel=(2, 2), stride=(2, 2), pool_type="max")
    y = mx.sym.FullyConnected(mx.sym.flatten(y), num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(y, name="sm")


def _bind(sym, shapes, grad_req="write", seed=0, scale=1.0):
    exe = sym.simple_bind(mx.cpu(), grad_req=grad_req, **shapes)
    rs = np.random.RandomState(seed)
    for arr in exe.arg_dict.values():
        arr[:] = rs.uniform(-scale, scale, arr.shape)
    exe.arg_dict["sm_label"][:] = rs.randint(0, 3, exe.arg_dict["sm_label"].shape)
    for grad in exe.grad_arrays:
        if grad is not None:
            grad[:] = rs.uniform(-1, 1, grad.shape)
    return exe


def _steps(exe, n, lr=0.1):
    for i in range(n):
        exe.arg_dict["data"][:] = np.sin(np.arange(exe.arg_dict["data"].size) * (i + 1.0)
                                         ).reshape(exe.arg_dict["data"].shape)
        exe.forward(is_train=True)
        exe.backward()
        yield exe
        for name, grad in exe.grad_dict.items():
            if name not in ("data", "sm_label"):
                exe.arg_dict[name][:] = exe.arg_dict[name] - lr * grad


def _tape_only(exe):
    exe._bwd_state = -1
    return exe


def _assert_same(a, b):
    for name in a.grad_dict:
        np.testing.assert_array_equal(a.grad_dict[name].asnumpy(),
                                      b.grad_dict[name].asnumpy(), err_msg=name)
    for name in a.aux_dict:
        np.testing.assert_array_equal(a.aux_dict[name].asnumpy(),
                                      b.aux_dict[name].asnumpy(), err_msg=name)
    for x, y in zip(a.outputs, b.outputs):
        np.testing.assert_array_equal(x.asnumpy(), y.asnumpy())


@pytest.mark.parametrize("make,shapes", [
    (_mlp, {"data": (5, 6), "sm_label": (5,)}),
    (_convnet, {"data": (2, 2, 6, 6), "sm_label": (2,)}),
])
def test_compiled_equals_tape(make, shapes):
    sym = make()
    a = _bind(sym, shapes)
    b = _tape_only(_bind(sym, shapes))
    for ea, eb in zip(_steps(a, 5), _steps(b, 5)):
        _assert_same(ea, eb)
    assert a._bwd_state == 2  # captured, checked, now replaying
    assert b._bwd_state == -1


def test_grad_req_add_and_null():
    sym = _mlp()
    shapes = {"data": (4, 6), "sm_label": (4,)}
    req = {"data": "null", "sm_label": "null", "fc1_weight": "add", "fc1_bias": "null",
           "fc2_weight": "write", "fc2_bias": "add"}
    a = _bind(sym, shapes, req)
    b = _tape_only(_bind(sym, shapes, req))
    for ea, eb in zip(_steps(a, 4), _steps(b, 4)):
        _assert_same(ea, eb)
    assert a._bwd_state == 2
    assert "fc1_bias" not in a.grad_dict


def test_head_gradients_and_repeated_backward():
    x = mx.sym.Variable("x")
    w = mx.sym.Variable("w")
    y = mx.sym.Group([mx.sym.tanh(x * w), mx.sym.sum(x * x, axis=1)])
    shapes = {"x": (3, 4), "w": (3, 4)}

    def run(exe):
        out = []
        for i in range(4):
            exe.arg_dict["x"][:] = np.cos(np.arange(12.0) + i).reshape(3, 4)
            exe.forward(is_train=True)
            heads = [mx.nd.array(np.full((3, 4), i + 1.0)), mx.nd.array([1.0, 2.0, 3.0])]
            exe.backward(heads)
            exe.backward(heads)  # again without a forward: the same gradients
            out.append({k: v.asnumpy() for k, v in exe.grad_dict.items()})
        return out

    rs = np.random.RandomState(1)
    wval = rs.uniform(size=(3, 4))
    a = y.simple_bind(mx.cpu(), **shapes)
    b = y.simple_bind(mx.cpu(), **shapes)
    a.arg_dict["w"][:] = wval
    b.arg_dict["w"][:] = wval
    b._bwd_state = -1
    for ga, gb in zip(run(a), run(b)):
        for k in ga:
            np.testing.assert_array_equal(ga[k], gb[k])
    assert a._bwd_state == 2


def test_module_training_matches_tape(monkeypatch):
    def train(tape):
        if tape:
            monkeypatch.setattr(cb.Capture, "finish", lambda self, leaf_grads: None)
        else:
            monkeypatch.undo()
        mx.random.seed(3)
        rs = np.random.RandomState(0)
        data = rs.uniform(-1, 1, (40, 6)).astype(np.float32)
        label = rs.randint(0, 3, (40,)).astype(np.float32)
        it = mx.io.NDArrayIter(data, label, batch_size=10, label_name="sm_label")
        mod = mx.mod.Module(_mlp(), label_names=["sm_label"])
        mod.fit(it, num_epoch=3, optimizer="sgd",
                optimizer_params={"learning_rate": 0.5, "momentum": 0.9},
                initializer=mx.init.Xavier())
        states = {e._bwd_state for e in mod._exec_group.execs}
        assert states == ({-1} if tape else {2})
        args, _ = mod.get_params()
        return {k: v.asnumpy() for k, v in args.items()}

    tape = train(True)
    compiled = train(False)
    assert tape.keys() == compiled.keys()
    for k in tape:
        np.testing.assert_array_equal(tape[k], compiled[k], err_msg=k)


def test_value_dependent_gradient_stays_on_tape(monkeypatch):
    op = OPS["Activation"]
    original = op.gradient

    def peeking(F, inputs, outputs, out_grads, **attrs):
        inputs[0].asnumpy()  # host read: the op sequence could depend on values
        return original(F, inputs, outputs, out_grads, **attrs)

    monkeypatch.setattr(op, "gradient", peeking)
    shapes = {"data": (4, 6), "sm_label": (4,)}
    a = _bind(_mlp(), shapes)
    for _ in _steps(a, 3):
        pass
    assert a._bwd_state == -1
    assert CAPTURE.rec is None
    monkeypatch.undo()
    b = _tape_only(_bind(_mlp(), shapes))
    for _ in _steps(b, 3):
        pass
    _assert_same(a, b)


def test_capture_hook_cleared_after_error(monkeypatch):
    op = OPS["Activation"]

    def broken(F, inputs, outputs, out_grads, **attrs):
        raise RuntimeError("boom")

    monkeypatch.setattr(op, "gradient", broken)
    exe = _bind(_mlp(), {"data": (4, 6), "sm_label": (4,)})
    exe.forward(is_train=True)
    with pytest.raises(RuntimeError):
        exe.backward()
    assert CAPTURE.rec is None


def _deep_mlp(depth, hidden, act_type, classes):
    y = mx.sym.Variable("data")
    for i in range(depth):
        y = mx.sym.Activation(mx.sym.FullyConnected(y, num_hidden=hidden, name=f"fc{i}"),
                              act_type=act_type)
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(y, num_hidden=classes, name="out"),
                                name="sm")


def test_compiled_training_frees_activations():
    import tracemalloc

    y = _deep_mlp(6, 256, "relu", 10)
    shapes = {"data": (100, 256), "sm_label": (100,)}

    def peak(exe):
        for _ in _steps(exe, 3):
            pass
        tracemalloc.start()
        try:
            for _ in _steps(exe, 1, lr=0.0):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    a = _bind(y, shapes, scale=0.05)
    compiled = peak(a)
    tape = peak(_tape_only(_bind(y, shapes, scale=0.05)))
    # parameter gradients are handed over as soon as they are final, not all at the end
    assert compiled < 0.75 * tape
    stats = a.memory_stats()
    planned = stats["training_compiled"]
    assert abs(planned["peak_live_bytes"] - compiled) < 0.2 * compiled
    # the training plan covers the captured backward graph and models the same run
    assert stats["training_basis"] == "forward and backward graphs"
    train = stats["training"]
    assert abs(train["peak_live_bytes"] - planned["peak_live_bytes"]) < 0.05 * compiled
    assert train["peak_live_bytes"] <= train["planned_bytes"] <= 0.5 * train["naive_bytes"]
    assert _tape_only(_bind(y, shapes)).memory_stats()["training_compiled"] is None


def test_training_plan_before_and_after_the_backward_graph_is_known():
    exe = _bind(_deep_mlp(4, 32, "tanh", 4), {"data": (16, 32), "sm_label": (16,)}, scale=0.05)
    before = exe.memory_stats()
    assert before["training_basis"].startswith("static estimate")
    for _ in _steps(exe, 2):
        pass
    after = exe.memory_stats()
    assert after["training_basis"] == "forward and backward graphs"
    # the backward graph adds its temporaries to naive, and the plan frees the activations
    # backward does not read: far below the static estimate that keeps them all
    assert after["training"]["naive_bytes"] > before["training"]["naive_bytes"]
    assert after["training"]["planned_bytes"] < 0.6 * before["training"]["planned_bytes"]


def test_asynchronous_engine_uses_the_tape():
    from mxcore.engine.threaded import ThreadedEngine

    shapes = {"data": (4, 6), "sm_label": (4,)}
    b = _tape_only(_bind(_mlp(), shapes))
    for _ in _steps(b, 3):
        pass
    engine = ThreadedEngine()
    previous = mx.engine.set_engine(engine)
    try:
        a = _bind(_mlp(), shapes)
        for _ in _steps(a, 3):
            pass
        mx.nd.waitall()
        assert a._bwd_state == 0  # nothing captured under the asynchronous engine
        _assert_same(a, b)
    finally:
        mx.nd.waitall()
        mx.engine.set_engine(previous)
