"""``mx.autograd`` as a user meets it (MXNet 1.x semantics)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd as ag


def _close(actual, expected, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(actual.asnumpy(), np.asarray(expected), rtol=rtol, atol=atol)


def _var(values, grad_req="write", dtype="float32"):
    x = mx.nd.array(values, dtype=dtype)
    x.attach_grad(grad_req)
    return x


# -- scopes ------------------------------------------------------------------------------------
def test_recording_and_training_flags():
    assert not ag.is_recording() and not ag.is_training()
    with ag.record():
        assert ag.is_recording() and ag.is_training()
        with ag.pause():
            assert not ag.is_recording() and not ag.is_training()
            with ag.train_mode():
                assert ag.is_training() and not ag.is_recording()
        with ag.pause(train_mode=True):
            assert not ag.is_recording() and ag.is_training()
        with ag.predict_mode():
            assert ag.is_recording() and not ag.is_training()
        assert ag.is_recording() and ag.is_training()
    with ag.record(train_mode=False):
        assert ag.is_recording() and not ag.is_training()
    with ag.train_mode():
        assert ag.is_training() and not ag.is_recording()
        with ag.predict_mode():
            assert not ag.is_training()
        assert ag.is_training()
    assert not ag.is_recording() and not ag.is_training()


def test_scopes_restore_after_exceptions():
    with pytest.raises(KeyError):
        with ag.record():
            with ag.pause():
                raise KeyError("x")
    assert not ag.is_recording() and not ag.is_training()


def test_set_recording_and_set_training_return_previous():
    assert ag.set_recording(True) is False
    try:
        assert ag.is_recording()
        assert ag.set_recording(False) is True
    finally:
        ag.set_recording(False)
    assert ag.set_training(True) is False
    assert ag.set_training(False) is True
    assert not ag.is_training()


def test_state_is_per_thread():
    seen = []
    with ag.record():
        thread = threading.Thread(target=lambda: seen.append((ag.is_recording(),
                                                              ag.is_training())))
        thread.start()
        thread.join()
    assert seen == [(False, False)]


# -- attach_grad and backward ------------------------------------------------------------------
def test_simple_gradient():
    x = _var([1.0, 2.0, 3.0])
    assert x.grad is not None and x.grad.shape == (3,)
    _close(x.grad, [0, 0, 0])
    with ag.record():
        y = x * x + 3 * x
    y.backward()
    _close(x.grad, [5, 7, 9])
    assert x.grad.dtype is np.float32
    assert x.grad.context == x.context


def test_grad_req_write_overwrites():
    x = _var([1.0, 2.0])
    for _ in range(3):
        with ag.record():
            y = x * x
        y.backward()
    _close(x.grad, [2, 4])


def test_grad_req_add_accumulates():
    x = _var([1.0, 2.0], grad_req="add")
    for _ in range(3):
        with ag.record():
            y = x * x
        y.backward()
    _close(x.grad, [6, 12])
    x.grad[:] = 0
    with ag.record():
        y = x * 5
    y.backward()
    _close(x.grad, [5, 5])


def test_grad_req_null_leaves_grad_untouched():
    x = _var([1.0, 2.0], grad_req="null")
    w = _var([3.0, 4.0])
    with ag.record():
        y = x * w
    y.backward()
    _close(x.grad, [0, 0])
    _close(w.grad, [1, 2])


def test_invalid_grad_req():
    with pytest.raises(mx.MXNetError, match="grad_req"):
        mx.nd.ones((2,)).attach_grad("sometimes")


def test_backward_with_head_grads():
    x = _var([1.0, 2.0, 3.0])
    with ag.record():
        y = x * 2
    y.backward(mx.nd.array([1.0, 10.0, 100.0]))
    _close(x.grad, [2, 20, 200])


def test_backward_of_several_heads_with_head_grads():
    x = _var([1.0, 2.0])
    with ag.record():
        y1 = x * x
        y2 = x * 3
    ag.backward([y1, y2], [mx.nd.array([1.0, 1.0]), mx.nd.array([2.0, 0.0])])
    _close(x.grad, [2 + 6, 4 + 0])
    with pytest.raises(mx.MXNetError):
        with ag.record():
            z = x * 2
        ag.backward([z], [mx.nd.ones((2,)), mx.nd.ones((2,))])


def test_second_backward_without_retain_graph_raises():
    x = _var([3.0])
    with ag.record():
        y = x * x
    y.backward()
    with pytest.raises(mx.MXNetError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_another_backward():
    x = _var([3.0], grad_req="add")
    with ag.record():
        y = x * x * x
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    _close(x.grad, [3 * 27.0])
    with pytest.raises(mx.MXNetError):
        y.backward()


def test_backward_on_unrecorded_array_raises():
    x = _var([1.0])
    y = x * 2  # not recorded
    with pytest.raises(mx.MXNetError):
        y.backward()
    with pytest.raises(mx.MXNetError):
        mx.nd.ones((2,)).backward()


def test_ops_under_pause_are_not_recorded():
    x = _var([2.0])
    with ag.record():
        y = x * x
        with ag.pause():
            z = y * 100
        out = y * 3
    assert z._ag is None
    out.backward()
    _close(x.grad, [12.0])


def test_detach_and_stop_gradient_block_the_path():
    x = _var([2.0, 3.0])
    with ag.record():
        y = x.detach() * x
    y.backward()
    _close(x.grad, [2, 3])
    with ag.record():
        z = mx.nd.stop_gradient(x * x) * x + mx.nd.BlockGrad(x) * 0
    z.backward()
    _close(x.grad, [4, 9])


# -- broadcasting, fan-out, depth --------------------------------------------------------------
def test_gradients_under_broadcasting():
    x = _var([1.0, 2.0])
    w = _var([2.0, 3.0])
    b = _var([4.0])
    with ag.record():
        z = mx.nd.sum(x * w + b)
    z.backward()
    _close(z, [16.0])
    _close(x.grad, [2, 3])
    _close(w.grad, [1, 2])
    _close(b.grad, [2])
    assert b.grad.shape == (1,)


def test_broadcast_gradients_over_rows_and_columns():
    a = _var(np.arange(6).reshape(2, 3))
    row = _var([[1.0, 2.0, 3.0]])
    col = _var([[10.0], [20.0]])
    with ag.record():
        out = (a * row + col) * col
    out.backward()
    _close(a.grad, np.array([[1, 2, 3], [1, 2, 3]]) * np.array([[10], [20]]))
    _close(row.grad, [[0 * 10 + 3 * 20, 1 * 10 + 4 * 20, 2 * 10 + 5 * 20]])
    # d/dcol of (a*row + col)*col summed over the row = sum(a*row) + 2*col*3
    a_np = np.arange(6).reshape(2, 3)
    expected_col = (a_np * [1, 2, 3]).sum(axis=1, keepdims=True) + 2 * 3 * np.array([[10], [20]])
    _close(col.grad, expected_col)


def test_fan_out_accumulates():
    x = _var([2.0, 5.0])
    with ag.record():
        a = x * 3
        b = x * x
        c = a + b + x  # x used by three paths
        d = c * c  # c used twice by one op
    d.backward()
    xv = np.array([2.0, 5.0])
    cv = 3 * xv + xv ** 2 + xv
    _close(x.grad, 2 * cv * (3 + 2 * xv + 1))


def test_same_array_as_both_inputs():
    x = _var([3.0])
    with ag.record():
        y = x * x
    y.backward()
    _close(x.grad, [6.0])
    with ag.record():
        z = x + x + x
    z.backward()
    _close(x.grad, [3.0])


def test_deep_chain_has_no_recursion_limit():
    x = _var([1.0])
    with ag.record():
        y = x
        for _ in range(10000):
            y = y + 1
        y = y * 2
    y.backward()
    _close(y, [2 * 10001.0])
    _close(x.grad, [2.0])


def test_deep_chain_of_products():
    x = _var([1.0], dtype="float64")
    with ag.record():
        y = x
        for _ in range(10000):
            y = y * 1.0001
    y.backward()
    _close(x.grad, [1.0001 ** 10000], rtol=1e-9)


# -- autograd.grad and higher order ------------------------------------------------------------
def test_grad_returns_without_writing_dot_grad():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x * x * x
    (g,) = ag.grad(y, [x])
    _close(g, [3, 12])
    _close(x.grad, [0, 0])
    single = _var([2.0])
    with ag.record():
        z = single * 4
    g_single = ag.grad(z, single)
    assert isinstance(g_single, list) and len(g_single) == 1
    _close(g_single[0], [4.0])


def test_grad_of_unrelated_variable_is_zero():
    x = _var([1.0, 2.0])
    w = _var([5.0])
    with ag.record():
        y = x * 2
    gx, gw = ag.grad(y, [x, w])
    _close(gx, [2, 2])
    _close(gw, [0])


def test_second_derivative_with_create_graph():
    x = _var([1.0, 2.0, 3.0])
    with ag.record():
        y = x * x * x
        (dy,) = ag.grad(y, [x], create_graph=True)
    _close(dy, [3, 12, 27])
    dy.backward()
    _close(x.grad, [6, 12, 18])  # d2/dx2 of x^3 = 6x


def test_third_derivative():
    x = _var([2.0])
    with ag.record():
        y = x ** 4
        (d1,) = ag.grad(y, [x], create_graph=True)
        (d2,) = ag.grad(d1, [x], create_graph=True)
    d2.backward()
    _close(d1, [4 * 8.0])
    _close(d2, [12 * 4.0])
    _close(x.grad, [24 * 2.0])


def test_second_derivative_of_exp_sin():
    x = _var([0.3, -1.2])
    with ag.record():
        y = mx.nd.sin(x) * mx.nd.exp(x)
        (dy,) = ag.grad(y, [x], create_graph=True)
    dy.backward()
    xv = np.array([0.3, -1.2])
    _close(dy, np.exp(xv) * (np.sin(xv) + np.cos(xv)), rtol=1e-5)
    _close(x.grad, 2 * np.exp(xv) * np.cos(xv), rtol=1e-5)


@pytest.mark.parametrize("fn, second", [
    (lambda F, x: F.exp(x * 2), lambda x: 4 * np.exp(2 * x)),
    (lambda F, x: F.sigmoid(x),
     lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))
     * (1 - 2 / (1 + np.exp(-x)))),
    (lambda F, x: F.tanh(x), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    (lambda F, x: F.sqrt(x + 2), lambda x: -0.25 * (x + 2) ** -1.5),
])
def test_second_derivative_through_output_based_gradients(fn, second):
    """Ops whose gradient is written with their output stay differentiable twice."""
    values = np.array([0.25, -0.5, 1.0])
    x = _var(values, dtype="float64")
    with ag.record():
        (dy,) = ag.grad(fn(mx.nd, x), [x], create_graph=True)
    dy.backward()
    _close(x.grad, second(values), rtol=1e-10, atol=1e-12)


def test_grad_requires_attached_variables():
    x = mx.nd.array([1.0])
    w = _var([1.0])
    with ag.record():
        y = w * 2
    with pytest.raises(mx.MXNetError):
        ag.grad(y, [x])


# -- mark_variables ----------------------------------------------------------------------------
def test_mark_variables():
    x = mx.nd.array([1.0, 2.0])
    w = mx.nd.array([3.0, 4.0])
    gx = mx.nd.zeros((2,))
    gw = mx.nd.ones((2,))
    ag.mark_variables([x, w], [gx, gw], grad_reqs=["write", "add"])
    with ag.record():
        y = x * w
    y.backward()
    assert x.grad is gx and w.grad is gw
    _close(gx, [3, 4])
    _close(gw, [2, 3])  # added to the initial ones


def test_mark_variables_single_and_mismatch():
    x = mx.nd.array([2.0])
    g = mx.nd.zeros((1,))
    ag.mark_variables(x, g)
    with ag.record():
        y = x * x
    y.backward()
    _close(g, [4.0])
    with pytest.raises(mx.MXNetError):
        ag.mark_variables([x, x], [g])
    with pytest.raises(mx.MXNetError):
        ag.mark_variables([x], [g], grad_reqs="bogus")


# -- custom Function ---------------------------------------------------------------------------
class _Sigmoid(ag.Function):
    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class _MulAdd(ag.Function):
    """f(a, b) = (a * b, a + b): two inputs, two outputs."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b, a + b

    def backward(self, d_prod, d_sum):
        a, b = self.saved_tensors
        return d_prod * b + d_sum, d_prod * a + d_sum


def test_custom_function():
    x = _var([0.0, 1.0, -2.0])
    with ag.record():
        y = _Sigmoid()(x)
        z = y * 2
    z.backward()
    s = 1 / (1 + np.exp(-np.array([0.0, 1.0, -2.0])))
    _close(y, s)
    _close(x.grad, 2 * s * (1 - s))


def test_custom_function_several_inputs_and_outputs():
    a = _var([1.0, 2.0])
    b = _var([3.0, 4.0])
    with ag.record():
        prod, total = _MulAdd()(a, b)
        out = prod * 2 + total * 3
    out.backward()
    _close(a.grad, 2 * np.array([3.0, 4.0]) + 3)
    _close(b.grad, 2 * np.array([1.0, 2.0]) + 3)


def test_custom_function_forward_is_not_recorded_inside():
    class Spy(ag.Function):
        def forward(self, x):
            self.recording = ag.is_recording()
            return x * 1

        def backward(self, dy):
            return dy * 7

    x = _var([1.0])
    spy = Spy()
    with ag.record():
        y = spy(x)
    assert spy.recording is False
    y.backward()
    _close(x.grad, [7.0])


def test_custom_function_wrong_gradient_count():
    class Bad(ag.Function):
        def forward(self, a, b):
            return a + b

        def backward(self, dy):
            return dy

    a, b = _var([1.0]), _var([2.0])
    with ag.record():
        y = Bad()(a, b)
    with pytest.raises(mx.MXNetError, match="gradients"):
        y.backward()


# -- interaction with in-place ops and contexts ------------------------------------------------
def test_inplace_on_recorded_array_raises_while_recording():
    x = _var([1.0])
    with ag.record():
        with pytest.raises(mx.MXNetError, match="in-place"):
            x += 1
        with pytest.raises(mx.MXNetError):
            x[:] = 3
    x[:] = 3  # fine outside record, as the SGD update does
    _close(x, [3.0])


def test_sgd_update_outside_record():
    w = _var([1.0, -1.0])
    for _ in range(2):
        with ag.record():
            loss = mx.nd.sum(w * w)
        loss.backward()
        w[:] = w - 0.25 * w.grad
    _close(w, [0.25, -0.25])
    w -= 0.25 * w.grad
    _close(w, [0.0, 0.0])


def test_gradient_flows_across_copyto():
    x = _var([1.0, 2.0])
    with ag.record():
        y = x.copyto(mx.cpu(1)) * 3
        z = y.as_in_context(mx.cpu(0)) * x
    z.backward()
    assert x.grad.context == mx.cpu(0)
    _close(x.grad, [6, 12])


def test_float64_gradients_keep_dtype():
    x = _var([0.5, 1.5], dtype="float64")
    with ag.record():
        y = mx.nd.log(x) * x
    y.backward()
    assert x.grad.dtype is np.float64
    _close(x.grad, np.log([0.5, 1.5]) + 1, rtol=1e-12)


def test_get_symbol_rebuilds_the_recorded_graph():
    x = mx.nd.array([[1.0, -2.0], [3.0, 4.0]])
    w = mx.nd.array([[0.5, 1.0], [-1.0, 2.0]])
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.relu(mx.nd.dot(x, w)) * 2 + 1
    s = mx.autograd.get_symbol(y)
    assert s.list_arguments() == ["var0", "var1"]
    out = s.eval(ctx=mx.cpu(), var0=x, var1=w)[0]
    np.testing.assert_allclose(out.asnumpy(), y.asnumpy())
    with pytest.raises(mx.MXNetError, match="get_symbol"):
        mx.autograd.get_symbol(mx.nd.ones((2,)))
