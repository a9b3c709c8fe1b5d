"""The fused RNN operator (mxcore/ops/rnn.py) beyond the conformance cases: dropout between
layers, symbolic use with inferred parameter shapes, and MXNet's parameter layout."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd
from mxcore.ops.rnn import rnn_param_size


def _inputs(mode="lstm", steps=4, batch=3, features=2, hidden=3, layers=2, seed=0):
    rs = np.random.RandomState(seed)
    size = rnn_param_size(mode, layers, False, hidden, features)
    arrays = [rs.uniform(-1, 1, (steps, batch, features)), rs.uniform(-0.5, 0.5, size),
              rs.uniform(-0.5, 0.5, (layers, batch, hidden))]
    if mode == "lstm":
        arrays.append(rs.uniform(-0.5, 0.5, (layers, batch, hidden)))
    return [mx.nd.array(a, dtype="float64") for a in arrays]


ATTRS = {"state_size": 3, "num_layers": 2, "mode": "lstm", "p": 0.5}


def test_dropout_only_in_training_and_its_gradient_uses_the_same_mask():
    xs = _inputs()
    plain = mx.nd.RNN(*xs, **dict(ATTRS, p=0.0)).asnumpy()
    np.testing.assert_allclose(mx.nd.RNN(*xs, **ATTRS).asnumpy(), plain)  # inference

    def train_forward(data):
        mx.random.seed(7)
        with autograd.train_mode():
            return mx.nd.RNN(data, *xs[1:], **ATTRS)

    assert not np.allclose(train_forward(xs[0]).asnumpy(), plain)
    head = np.random.RandomState(1).uniform(-1, 1, plain.shape)
    data = xs[0].copy()
    data.attach_grad()
    with autograd.record():
        out = train_forward(data)
    out.backward(mx.nd.array(head, dtype="float64"))
    base = xs[0].asnumpy()
    numeric = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        for sign in (1, -1):
            shifted = base.copy()
            shifted[i] += sign * 1e-6
            value = (train_forward(mx.nd.array(shifted, dtype="float64")).asnumpy() * head).sum()
            numeric[i] += sign * value / 2e-6
    np.testing.assert_allclose(data.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-7)


def test_symbol_infers_parameter_and_state_shapes_and_matches_ndarray():
    data = mx.sym.Variable("data")
    net = mx.sym.RNN(data, mx.sym.Variable("params"), mx.sym.Variable("h0"),
                     mx.sym.Variable("c0"), state_size=3, num_layers=2, mode="lstm",
                     state_outputs=True, name="rnn")
    assert net.list_outputs() == ["rnn_output", "rnn_state", "rnn_state_cell"]
    arg_shapes, out_shapes, _ = net.infer_shape(data=(4, 3, 2))
    shapes = dict(zip(net.list_arguments(), arg_shapes))
    assert shapes["params"] == (rnn_param_size("lstm", 2, False, 3, 2),)
    assert shapes["h0"] == shapes["c0"] == (2, 3, 3)
    assert out_shapes == [(4, 3, 3), (2, 3, 3), (2, 3, 3)]
    xs = _inputs()
    exe = net.bind(mx.cpu(), {"data": xs[0], "params": xs[1], "h0": xs[2], "c0": xs[3]})
    outs = exe.forward()
    want = mx.nd.RNN(*xs, state_size=3, num_layers=2, mode="lstm", state_outputs=True)
    for got, ref in zip(outs, want):
        np.testing.assert_allclose(got.asnumpy(), ref.asnumpy(), rtol=1e-12)


def test_gru_with_lengths_by_keyword_and_clear_errors():
    xs = _inputs("gru", layers=1)
    lengths = mx.nd.array([4, 2, 1])
    out = mx.nd.RNN(*xs, sequence_length=lengths, state_size=3, num_layers=1, mode="gru",
                    use_sequence_length=True).asnumpy()
    assert np.all(out[2:, 1] == 0) and np.all(out[1:, 2] == 0)  # padding steps are zero
    with pytest.raises(mx.MXNetError, match=r"RNN: .*parameters must have shape \(63,\)"):
        mx.nd.RNN(xs[0], xs[1][:5], xs[2], state_size=3, num_layers=1, mode="gru")
    with pytest.raises(mx.MXNetError, match="sequence_length"):
        mx.nd.RNN(*xs, state_size=3, num_layers=1, mode="gru", use_sequence_length=True)
