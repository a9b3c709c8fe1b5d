"""gluon.rnn cells and layers against float64 NumPy recurrences."""

import re

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.gluon import rnn

GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


# -- NumPy references ----------------------------------------------------------------------------
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_step(mode, x, h, c, w):
    """One step of ``mode``; ``w`` = (i2h_weight, h2h_weight, i2h_bias, h2h_bias)."""
    wi, wh, bi, bh = w
    i2h = x @ wi.T + bi
    h2h = h @ wh.T + bh
    if mode == "rnn_tanh":
        return np.tanh(i2h + h2h), None
    if mode == "rnn_relu":
        return np.maximum(i2h + h2h, 0), None
    if mode == "lstm":
        i, f, g, o = np.split(i2h + h2h, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    xr, xz, xn = np.split(i2h, 3, axis=1)
    hr, hz, hn = np.split(h2h, 3, axis=1)
    r = _sigmoid(xr + hr)
    z = _sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h, None


def np_unroll(mode, xs, h, c, w):
    """Run one direction over time-major ``xs`` (T, N, C); returns outputs (T, N, H), h, c."""
    outs = []
    for x in xs:
        h, c = np_step(mode, x, h, c, w)
        outs.append(h)
    return np.stack(outs), h, c


def np_layer(mode, x, h0, c0, weights, num_layers, dirs):
    """Multi-layer, optionally bidirectional; ``weights[(side, layer)]`` as in np_step."""
    hs, cs = [], []
    inp = x
    for i in range(num_layers):
        outs = []
        for d, side in enumerate("lr"[:dirs]):
            k = i * dirs + d
            seq = inp if side == "l" else inp[::-1]
            out, h, c = np_unroll(mode, seq, h0[k], None if c0 is None else c0[k],
                                  weights[(side, i)])
            outs.append(out if side == "l" else out[::-1])
            hs.append(h)
            cs.append(c)
        inp = np.concatenate(outs, axis=2)
    return inp, np.stack(hs), (np.stack(cs) if c0 is not None else None)


def _rand(rng, *shape):
    return rng.uniform(-0.5, 0.5, size=shape)


def set_cell_weights(cell, rng, in_size, hidden, gates):
    w = (_rand(rng, gates * hidden, in_size), _rand(rng, gates * hidden, hidden),
         _rand(rng, gates * hidden), _rand(rng, gates * hidden))
    for name, value in zip(("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"), w):
        getattr(cell, name).set_data(mx.nd.array(value))
    return w


def set_layer_weights(layer, rng, in_size, hidden, gates, num_layers, dirs):
    weights = {}
    params = layer.collect_params()
    for i in range(num_layers):
        features = in_size if i == 0 else hidden * dirs
        for side in "lr"[:dirs]:
            w = (_rand(rng, gates * hidden, features), _rand(rng, gates * hidden, hidden),
                 _rand(rng, gates * hidden), _rand(rng, gates * hidden))
            for name, value in zip(("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"), w):
                params[f"{layer.prefix}{side}{i}_{name}"].set_data(mx.nd.array(value))
            weights[(side, i)] = w
    return weights


def _cell(mode, hidden, **kwargs):
    if mode == "lstm":
        return rnn.LSTMCell(hidden, **kwargs)
    if mode == "gru":
        return rnn.GRUCell(hidden, **kwargs)
    return rnn.RNNCell(hidden, activation=mode[4:], **kwargs)


def _layer(mode, hidden, **kwargs):
    if mode == "lstm":
        return rnn.LSTM(hidden, **kwargs)
    if mode == "gru":
        return rnn.GRU(hidden, **kwargs)
    return rnn.RNN(hidden, activation=mode[4:], **kwargs)


def _close(a, b, tol=1e-5):
    a = a.asnumpy() if isinstance(a, mx.nd.NDArray) else a
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


MODES = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


# -- cells ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_cell_step_matches_numpy(mode):
    rng = np.random.default_rng(0)
    cell = _cell(mode, 6)
    cell.initialize()
    x = _rand(rng, 3, 5)
    states = [mx.nd.array(_rand(rng, 3, 6)) for _ in cell.state_info(3)]
    cell(mx.nd.array(x), states)  # infers input size
    w = set_cell_weights(cell, rng, 5, 6, GATES[mode])
    out, new_states = cell(mx.nd.array(x), states)
    c = states[1].asnumpy() if mode == "lstm" else None
    h_ref, c_ref = np_step(mode, x, states[0].asnumpy(), c, w)
    _close(out, h_ref)
    _close(new_states[0], h_ref)
    assert len(new_states) == (2 if mode == "lstm" else 1)
    if mode == "lstm":
        _close(new_states[1], c_ref)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layout", ["NTC", "TNC"])
@pytest.mark.parametrize("merge", [True, False, None])
def test_cell_unroll_matches_numpy(mode, layout, merge):
    rng = np.random.default_rng(1)
    cell = _cell(mode, 4, input_size=3)
    cell.initialize()
    w = set_cell_weights(cell, rng, 3, 4, GATES[mode])
    x_tnc = _rand(rng, 5, 2, 3)
    x = x_tnc if layout == "TNC" else x_tnc.transpose(1, 0, 2)
    outputs, states = cell.unroll(5, mx.nd.array(x), layout=layout, merge_outputs=merge)
    zeros = np.zeros((2, 4))
    ref, h, c = np_unroll(mode, x_tnc, zeros, zeros if mode == "lstm" else None, w)
    if merge is not True:  # None: "whatever is faster", a list for stepped cells as in MXNet
        assert isinstance(outputs, list) and len(outputs) == 5
        outputs = np.stack([o.asnumpy() for o in outputs], axis=layout.find("T"))
    else:
        assert outputs.shape == x.shape[:2] + (4,)
        outputs = outputs.asnumpy()
    _close(outputs, ref if layout == "TNC" else ref.transpose(1, 0, 2))
    _close(states[0], h)
    if mode == "lstm":
        _close(states[1], c)


def test_cell_unroll_list_inputs_and_begin_state():
    rng = np.random.default_rng(2)
    cell = rnn.GRUCell(4)
    cell.initialize()
    steps = [mx.nd.array(_rand(rng, 2, 3)) for _ in range(3)]
    h0 = mx.nd.array(_rand(rng, 2, 4))
    outputs, states = cell.unroll(3, steps, begin_state=[h0])
    assert isinstance(outputs, list) and len(outputs) == 3
    w = [p.data().asnumpy() for p in (cell.i2h_weight, cell.h2h_weight, cell.i2h_bias,
                                      cell.h2h_bias)]
    ref, h, _ = np_unroll("gru", np.stack([s.asnumpy() for s in steps]), h0.asnumpy(), None, w)
    _close(outputs[2], ref[2])
    _close(states[0], h)
    with pytest.raises(MXNetError):
        cell.unroll(4, steps)


def test_cell_params_names_and_deferred_shape():
    cell = rnn.LSTMCell(5, prefix="enc_")
    assert sorted(cell.collect_params()) == ["enc_h2h_bias", "enc_h2h_weight", "enc_i2h_bias",
                                             "enc_i2h_weight"]
    assert cell.i2h_weight.shape == (20, 0)
    assert cell.h2h_weight.shape == (20, 5)
    cell.initialize()
    cell(mx.nd.ones((2, 7)), cell.begin_state(2))
    assert cell.i2h_weight.shape == (20, 7)
    assert rnn.GRUCell(3, input_size=4).i2h_weight.shape == (9, 4)
    assert re.fullmatch(r"gru\d+_", rnn.GRUCell(3).prefix)


def test_begin_state_and_state_info():
    cell = rnn.LSTMCell(3)
    assert cell.state_info(2) == [{"shape": (2, 3), "__layout__": "NC"}] * 2
    states = cell.begin_state(batch_size=2, func=mx.nd.ones)
    assert [s.shape for s in states] == [(2, 3), (2, 3)]
    assert states[0].asnumpy().sum() == 6
    states = cell.begin_state(4, dtype="float64")
    assert states[0].dtype == np.float64


def test_sequential_cell_matches_numpy_and_steps():
    rng = np.random.default_rng(3)
    stack = rnn.SequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.LSTMCell(4, input_size=3))
        stack.add(rnn.GRUCell(5, input_size=4))
    stack.initialize()
    w0 = set_cell_weights(stack[0], rng, 3, 4, 4)
    w1 = set_cell_weights(stack[1], rng, 4, 5, 3)
    assert len(stack) == 2
    assert [i["shape"] for i in stack.state_info(2)] == [(2, 4), (2, 4), (2, 5)]
    x = _rand(rng, 2, 6, 3)
    out, states = stack.unroll(6, mx.nd.array(x), merge_outputs=True)
    z4, z5 = np.zeros((2, 4)), np.zeros((2, 5))
    mid, h1, c1 = np_unroll("lstm", x.transpose(1, 0, 2), z4, z4, w0)
    ref, h2, _ = np_unroll("gru", mid, z5, None, w1)
    _close(out, ref.transpose(1, 0, 2))
    _close(states[0], h1)
    _close(states[1], c1)
    _close(states[2], h2)
    step_out, step_states = stack(mx.nd.array(x[:, 0]), stack.begin_state(2))
    _close(step_out, ref[0])
    assert len(step_states) == 3
    assert all(name.startswith(stack.prefix) for name in stack.collect_params())


def test_bidirectional_cell_matches_numpy():
    rng = np.random.default_rng(4)
    cell = rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=2, prefix="l0_"),
                                 rnn.LSTMCell(3, input_size=2, prefix="r0_"))
    cell.initialize()
    l_cell, r_cell = cell._children["l_cell"], cell._children["r_cell"]
    wl = set_cell_weights(l_cell, rng, 2, 3, 4)
    wr = set_cell_weights(r_cell, rng, 2, 3, 4)
    x = _rand(rng, 4, 2, 2)
    out, states = cell.unroll(4, mx.nd.array(x), layout="TNC", merge_outputs=True)
    assert out.shape == (4, 2, 6) and len(states) == 4
    z = np.zeros((2, 3))
    lo, lh, _ = np_unroll("lstm", x, z, z, wl)
    ro, rh, _ = np_unroll("lstm", x[::-1], z, z, wr)
    _close(out, np.concatenate([lo, ro[::-1]], axis=2))
    _close(states[0], lh)
    _close(states[2], rh)
    outs, _ = cell.unroll(4, mx.nd.array(x), layout="TNC", merge_outputs=False)
    assert len(outs) == 4 and outs[0].shape == (2, 6)
    _close(outs[1], out[1].asnumpy())
    with pytest.raises(MXNetError):
        cell(mx.nd.array(x[0]), cell.begin_state(2))


def test_unroll_valid_length():
    rng = np.random.default_rng(5)
    cell = rnn.LSTMCell(3, input_size=2)
    cell.initialize()
    w = set_cell_weights(cell, rng, 2, 3, 4)
    x = _rand(rng, 3, 5, 2)
    lengths = [5, 2, 3]
    out, states = cell.unroll(5, mx.nd.array(x), merge_outputs=True,
                              valid_length=mx.nd.array(lengths))
    for b, n in enumerate(lengths):
        z = np.zeros((1, 3))
        ref, h, c = np_unroll("lstm", x[b:b + 1, :n].transpose(1, 0, 2), z, z, w)
        _close(out[b, :n], ref[:, 0])
        _close(out[b, n:], np.zeros((5 - n, 3)))
        _close(states[0][b], h[0])
        _close(states[1][b], c[0])


def test_bidirectional_cell_valid_length_reverses_valid_part():
    rng = np.random.default_rng(6)
    cell = rnn.BidirectionalCell(rnn.GRUCell(3, input_size=2), rnn.GRUCell(3, input_size=2))
    cell.initialize()
    x = _rand(rng, 2, 4, 2)
    lengths = [4, 2]
    out, _ = cell.unroll(4, mx.nd.array(x), merge_outputs=True,
                         valid_length=mx.nd.array(lengths))
    for b, n in enumerate(lengths):
        alone, _ = cell.unroll(n, mx.nd.array(x[b:b + 1, :n]), merge_outputs=True)
        _close(out[b, :n], alone[0].asnumpy())
        _close(out[b, n:], np.zeros((4 - n, 6)))


def test_dropout_cell():
    cell = rnn.DropoutCell(0.5)
    x = mx.nd.ones((4, 10))
    out, states = cell(x, [])
    _close(out, np.ones((4, 10)))
    assert states == [] and cell.state_info() == []
    with mx.autograd.record():
        out, _ = cell(x, [])
    values = set(np.unique(out.asnumpy()).tolist())
    assert values <= {0.0, 2.0} and len(values) == 2
    merged, _ = cell.unroll(3, mx.nd.ones((2, 3, 4)), merge_outputs=True)
    assert merged.shape == (2, 3, 4)
    with pytest.raises(MXNetError):
        rnn.DropoutCell(1.5)


def test_residual_cell():
    rng = np.random.default_rng(7)
    base = rnn.GRUCell(3, input_size=3)
    cell = rnn.ResidualCell(base)
    cell.initialize()
    w = set_cell_weights(base, rng, 3, 3, 3)
    x = _rand(rng, 2, 4, 3)
    out, states = cell.unroll(4, mx.nd.array(x), merge_outputs=True)
    ref, h, _ = np_unroll("gru", x.transpose(1, 0, 2), np.zeros((2, 3)), None, w)
    _close(out, ref.transpose(1, 0, 2) + x)
    _close(states[0], h)
    step, _ = cell(mx.nd.array(x[:, 0]), cell.begin_state(2))
    _close(step, ref[0] + x[:, 0])
    assert sorted(cell.collect_params()) == sorted(base.collect_params())
    with pytest.raises(MXNetError):
        base.begin_state(2)
    with pytest.raises(MXNetError):
        rnn.ResidualCell(base)


def test_zoneout_cell():
    base = rnn.RNNCell(4, input_size=3)
    cell = rnn.ZoneoutCell(base, zoneout_outputs=0.5, zoneout_states=0.5)
    cell.initialize()
    x = mx.nd.ones((2, 5, 3))
    out, _ = cell.unroll(5, x, merge_outputs=True)  # prediction: no zoneout
    base._modified = False
    ref, _ = base.unroll(5, x, merge_outputs=True)
    base._modified = True
    _close(out, ref.asnumpy())
    mx.random.seed(0)
    with mx.autograd.record():
        zoned, _ = cell.unroll(5, x, merge_outputs=True)
    assert zoned.shape == (2, 5, 4)
    assert not np.allclose(zoned.asnumpy(), ref.asnumpy())
    with pytest.raises(MXNetError):
        rnn.ZoneoutCell(rnn.BidirectionalCell(rnn.RNNCell(2), rnn.RNNCell(2)))


def test_lstmp_cell_shapes():
    cell = rnn.LSTMPCell(6, 2)
    cell.initialize()
    out, states = cell.unroll(3, mx.nd.ones((4, 3, 5)), merge_outputs=True)
    assert out.shape == (4, 3, 2)
    assert [s.shape for s in states] == [(4, 2), (4, 6)]
    assert cell.h2h_weight.shape == (24, 2) and cell.h2r_weight.shape == (2, 6)


# -- layers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, False), (2, True)])
def test_layer_matches_numpy(mode, num_layers, bidirectional):
    rng = np.random.default_rng(10)
    dirs = 2 if bidirectional else 1
    layer = _layer(mode, 4, num_layers=num_layers, bidirectional=bidirectional, input_size=3)
    layer.initialize()
    weights = set_layer_weights(layer, rng, 3, 4, GATES[mode], num_layers, dirs)
    x = _rand(rng, 5, 2, 3)
    states = [mx.nd.array(_rand(rng, num_layers * dirs, 2, 4)) for _ in layer.state_info(2)]
    out, new_states = layer(mx.nd.array(x), states)
    c0 = states[1].asnumpy() if mode == "lstm" else None
    ref, h, c = np_layer(mode, x, states[0].asnumpy(), c0, weights, num_layers, dirs)
    assert out.shape == (5, 2, 4 * dirs)
    _close(out, ref)
    _close(new_states[0], h)
    if mode == "lstm":
        _close(new_states[1], c)
    else:
        assert len(new_states) == 1


def test_layer_without_states_returns_output_only():
    layer = rnn.LSTM(3, num_layers=2)
    layer.initialize()
    out = layer(mx.nd.ones((4, 2, 5)))
    assert isinstance(out, mx.nd.NDArray) and out.shape == (4, 2, 3)
    result = layer(mx.nd.ones((4, 2, 5)), layer.begin_state(2))
    assert isinstance(result, tuple) and len(result) == 2
    _close(result[0], out.asnumpy())
    gru = rnn.GRU(3)
    gru.initialize()
    out, states = gru(mx.nd.ones((4, 2, 5)), mx.nd.zeros((1, 2, 3)))
    assert states[0].shape == (1, 2, 3)


@pytest.mark.parametrize("mode", MODES)
def test_layer_ntc_equals_tnc(mode):
    rng = np.random.default_rng(11)
    tnc = _layer(mode, 4, bidirectional=True, layout="TNC", prefix="same_")
    ntc = _layer(mode, 4, bidirectional=True, layout="NTC", prefix="same_")
    tnc.initialize()
    ntc.initialize()
    x = _rand(rng, 5, 2, 3)
    out_t = tnc(mx.nd.array(x))
    out_n, states = ntc(mx.nd.array(x.transpose(1, 0, 2)), ntc.begin_state(2))
    for name, param in tnc.collect_params().items():
        ntc.collect_params()[name].set_data(param.data())
    out_n, states = ntc(mx.nd.array(x.transpose(1, 0, 2)), ntc.begin_state(2))
    assert out_n.shape == (2, 5, 8) and states[0].shape == (2, 2, 4)
    _close(out_n, out_t.asnumpy().transpose(1, 0, 2))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layer_equals_unfused_cells(mode, bidirectional):
    rng = np.random.default_rng(12)
    layer = _layer(mode, 4, num_layers=2, bidirectional=bidirectional, layout="NTC")
    layer.initialize()
    x = mx.nd.array(_rand(rng, 2, 5, 3))
    out, states = layer(x, layer.begin_state(2))
    cells = layer._unfuse()
    assert sorted(cells.collect_params()) == sorted(layer.collect_params())
    cell_out, cell_states = cells.unroll(5, x, layout="NTC", merge_outputs=True)
    _close(cell_out, out.asnumpy())
    dirs = 2 if bidirectional else 1
    per_state = 2 if mode == "lstm" else 1
    # cell states are per layer and direction: [h, (c)] for l0, r0, l1, r1
    for k in range(2 * dirs):
        _close(cell_states[k * per_state], states[0][k].asnumpy())
        if mode == "lstm":
            _close(cell_states[k * per_state + 1], states[1][k].asnumpy())


def test_layer_equals_hand_built_cells():
    rng = np.random.default_rng(13)
    layer = rnn.GRU(4, input_size=3, prefix="g_")
    layer.initialize()
    cell = rnn.GRUCell(4, input_size=3)
    cell.initialize()
    for name in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"):
        value = mx.nd.array(_rand(rng, *getattr(cell, name).shape))
        getattr(cell, name).set_data(value)
        layer.collect_params()["g_l0_" + name].set_data(value)
    x = mx.nd.array(_rand(rng, 6, 2, 3))
    out, _ = cell.unroll(6, x, layout="TNC", merge_outputs=True)
    _close(layer(x), out.asnumpy())


def test_layer_param_names_and_deferred_shapes():
    layer = rnn.LSTM(5, num_layers=2, bidirectional=True)
    assert re.fullmatch(r"lstm\d+_", layer.prefix)
    names = [n[len(layer.prefix):] for n in layer.collect_params()]
    expected = [f"{s}{i}_{k}" for i in range(2) for s in "lr"
                for k in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")]
    assert names == expected
    assert layer.l0_i2h_weight.shape == (20, 0)
    assert layer.l1_i2h_weight.shape == (20, 10)
    assert layer.r1_h2h_weight.shape == (20, 5)
    assert "None -> 5" in repr(layer)
    layer.initialize()
    layer(mx.nd.ones((3, 2, 7)))
    assert layer.l0_i2h_weight.shape == (20, 7)
    assert layer.r0_i2h_weight.shape == (20, 7)
    assert repr(layer) == "LSTM(7 -> 5, TNC, num_layers=2, bidirectional)"
    assert rnn.RNN(3, input_size=2).l0_i2h_weight.shape == (3, 2)


def test_layer_state_shapes_and_errors():
    layer = rnn.LSTM(4, num_layers=3, bidirectional=True, layout="NTC")
    info = layer.state_info(2)
    assert [i["shape"] for i in info] == [(6, 2, 4), (6, 2, 4)]
    states = layer.begin_state(2)
    assert [s.shape for s in states] == [(6, 2, 4), (6, 2, 4)]
    layer.initialize()
    with pytest.raises(MXNetError):
        layer(mx.nd.ones((2, 5, 3)), [mx.nd.zeros((6, 3, 4)), mx.nd.zeros((6, 3, 4))])
    with pytest.raises(MXNetError):
        layer(mx.nd.ones((2, 5)))
    with pytest.raises(MXNetError):
        rnn.GRU(4, layout="NCT")
    with pytest.raises(MXNetError):
        rnn.RNN(4, activation="sigmoid")


def test_layer_dropout_between_layers():
    layer = rnn.GRU(6, num_layers=2, dropout=0.5, input_size=3)
    layer.initialize(mx.init.Uniform(1.0))
    x = mx.nd.ones((4, 2, 3))
    first = layer(x).asnumpy()
    _close(layer(x), first)  # prediction mode: no dropout
    with mx.autograd.record():
        trained = layer(x)
    assert not np.allclose(trained.asnumpy(), first)


def test_layer_sequence_length():
    rng = np.random.default_rng(14)
    layer = rnn.LSTM(3, bidirectional=True, use_sequence_length=True, input_size=2)
    layer.initialize()
    x = _rand(rng, 5, 2, 2)
    lengths = [3, 5]
    out, (h, c) = layer(mx.nd.array(x), layer.begin_state(2),
                        sequence_length=mx.nd.array(lengths))
    plain = rnn.LSTM(3, bidirectional=True, input_size=2, prefix=layer.prefix)
    plain.initialize()
    for name, param in layer.collect_params().items():
        plain.collect_params()[name].set_data(param.data())
    for b, n in enumerate(lengths):
        ref, (rh, rc) = plain(mx.nd.array(x[:n, b:b + 1]), plain.begin_state(1))
        _close(out[:n, b], ref[:, 0].asnumpy())
        _close(out[n:, b], np.zeros((5 - n, 6)))
        _close(h[:, b], rh[:, 0].asnumpy())
        _close(c[:, b], rc[:, 0].asnumpy())


def test_lstm_projection_and_clipping():
    layer = rnn.LSTM(6, projection_size=2, num_layers=2, input_size=3, prefix="p_")
    layer.initialize()
    assert layer.l0_h2r_weight.shape == (2, 6)
    assert layer.l1_i2h_weight.shape == (24, 2)
    out, (h, c) = layer(mx.nd.ones((4, 2, 3)), layer.begin_state(2))
    assert out.shape == (4, 2, 2) and h.shape == (2, 2, 2) and c.shape == (2, 2, 6)
    cell = rnn.LSTMPCell(6, 2, input_size=3)
    cell.initialize()
    for name in ("i2h_weight", "h2h_weight", "h2r_weight", "i2h_bias", "h2h_bias"):
        getattr(cell, name).set_data(layer.collect_params()["p_l0_" + name].data())
    one = rnn.LSTM(6, projection_size=2, input_size=3, prefix="p_")
    one.initialize()
    for name, param in one.collect_params().items():
        param.set_data(layer.collect_params()[name].data())
    ref, _ = cell.unroll(4, mx.nd.ones((4, 2, 3)), layout="TNC", merge_outputs=True)
    _close(one(mx.nd.ones((4, 2, 3))), ref.asnumpy())
    clipped = rnn.LSTM(4, state_clip_min=-0.1, state_clip_max=0.1, input_size=3)
    clipped.initialize(mx.init.Uniform(2.0))
    _, (_, c) = clipped(mx.nd.ones((3, 2, 3)) * 5, clipped.begin_state(2))
    assert np.abs(c.asnumpy()).max() <= 0.1 + 1e-7


# -- gradients and training ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_layer_gradients_flow_and_match_finite_differences(mode):
    rng = np.random.default_rng(20)
    layer = _layer(mode, 3, num_layers=2, bidirectional=True, input_size=2, dtype="float64")
    layer.initialize(mx.init.Uniform(0.5))
    x = mx.nd.array(_rand(rng, 3, 2, 2), dtype="float64")
    head = _rand(rng, 3, 2, 6)
    x.attach_grad()
    with mx.autograd.record():
        out = layer(x)
        loss = (out * mx.nd.array(head, dtype="float64")).sum()
    loss.backward()
    for name, param in layer.collect_params().items():
        assert np.abs(param.grad().asnumpy()).sum() > 0, name

    def f(xv):
        return float((layer(mx.nd.array(xv, dtype="float64")).asnumpy() * head).sum())

    base = x.asnumpy()
    numeric = np.zeros_like(base)
    eps = 1e-6
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (f(plus) - f(minus)) / (2 * eps)
    np.testing.assert_allclose(x.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-7)


def test_cell_gradients_flow():
    cell = rnn.LSTMCell(3)
    cell.initialize()
    x = mx.nd.ones((2, 4, 5))
    x.attach_grad()
    with mx.autograd.record():
        out, states = cell.unroll(4, x, merge_outputs=True)
        loss = out.sum() + states[1].sum()
    loss.backward()
    assert np.abs(x.grad.asnumpy()).sum() > 0
    for param in cell.collect_params().values():
        assert np.abs(param.grad().asnumpy()).sum() > 0


def test_tiny_sequence_task_trains():
    """A GRU learns to output the running mean sign of a sequence (loss falls a lot)."""
    rng = np.random.default_rng(30)
    x = rng.uniform(-1, 1, size=(6, 16, 1)).astype(np.float32)
    y = np.sign(np.cumsum(x, axis=0)).astype(np.float32)
    layer = rnn.GRU(8, input_size=1)
    head = rnn.RNNCell(1, input_size=8)  # only its i2h part matters with a zero state
    layer.initialize(mx.init.Xavier())
    head.initialize(mx.init.Xavier())
    params = list(layer.collect_params().values()) + list(head.collect_params().values())
    data, label = mx.nd.array(x), mx.nd.array(y)
    zero = mx.nd.zeros((6 * 16, 1))

    def loss_fn():
        out = layer(data).reshape((-1, 8))
        pred, _ = head(out, [zero])
        return ((pred - label.reshape((-1, 1))) ** 2).mean()

    first = float(loss_fn().asscalar())
    for _ in range(80):
        with mx.autograd.record():
            loss = loss_fn()
        loss.backward()
        for p in params:
            p.set_data(p.data() - 0.5 * p.grad())
    last = float(loss_fn().asscalar())
    assert last < 0.5 * first, (first, last)
