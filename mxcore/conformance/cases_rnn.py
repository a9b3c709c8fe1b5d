"""Conformance cases for the recurrent area: :mod:`mxcore.ops.rnn` (the fused RNN operator
and its backward) and :mod:`mxcore.ops.sequence` (SequenceMask/Last/Reverse).

The RNN reference is a plain float64 loop over layers, directions and steps with every gate
written out; the backward reference is the central-difference vector-Jacobian product of that
loop, so no backpropagation code is shared with the implementation.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

import numpy as np

from ..base import MXNetValueError
from .case import Case, ErrorCase, Input

CASES: list = []
ERROR_CASES: list = []
_RNN_DTYPES = ("float32", "float64")
_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


# -- RNN reference --------------------------------------------------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _unpack(flat, mode, layers, dirs, hidden, features, proj):
    """Per (layer, direction) dict of weights sliced from the flat vector (MXNet's order)."""
    gated = _GATES[mode] * hidden
    rec = proj or hidden
    weights, pos, size_in = [], 0, features
    for _ in range(layers):
        for _ in range(dirs):
            w = {}
            for key, shape in (("wi", (gated, size_in)), ("wh", (gated, rec))) + \
                    ((("wr", (proj, hidden)),) if proj else ()):
                n = shape[0] * shape[1]
                w[key] = flat[pos:pos + n].reshape(shape)
                pos += n
            weights.append(w)
        size_in = rec * dirs
    for w in weights:
        w["bi"], w["bh"] = flat[pos:pos + gated], flat[pos + gated:pos + 2 * gated]
        pos += 2 * gated
    assert pos == flat.size, (pos, flat.size)
    return weights


def _cell(mode, w, x, h, c, clip):
    if mode == "lstm":
        z = w["wi"] @ x + w["bi"] + w["wh"] @ h + w["bh"]
        i, f, g, o = np.split(z, 4)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        if clip is not None:
            if clip[2]:
                c = np.where(np.isnan(c), clip[0], c)
            c = np.clip(c, clip[0], clip[1])
        h = _sigmoid(o) * np.tanh(c)
        return (w["wr"] @ h if "wr" in w else h), c
    if mode == "gru":
        xr, xz, xn = np.split(w["wi"] @ x + w["bi"], 3)
        hr, hz, hn = np.split(w["wh"] @ h + w["bh"], 3)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    a = w["wi"] @ x + w["bi"] + w["wh"] @ h + w["bh"]
    return (np.tanh(a) if mode == "rnn_tanh" else np.maximum(a, 0)), None


def rnn_ref(data, flat, state, *rest, state_size, num_layers, mode, bidirectional=False,
            state_outputs=False, projection_size=None, lstm_state_clip_min=None,
            lstm_state_clip_max=None, lstm_state_clip_nan=False, use_sequence_length=False,
            p=0.0):
    rest = list(rest)
    cell0 = rest.pop(0) if mode == "lstm" else None
    lengths = rest.pop(0).astype(int) if use_sequence_length else None
    steps, batch, features = data.shape
    dirs = 2 if bidirectional else 1
    clip = None
    if mode == "lstm" and (lstm_state_clip_min is not None or lstm_state_clip_max is not None):
        clip = (-np.inf if lstm_state_clip_min is None else lstm_state_clip_min,
                np.inf if lstm_state_clip_max is None else lstm_state_clip_max,
                lstm_state_clip_nan)
    weights = _unpack(flat, mode, num_layers, dirs, state_size, features, projection_size)
    width = projection_size or state_size
    x = data
    hy = np.zeros((num_layers * dirs, batch, width))
    cy = np.zeros((num_layers * dirs, batch, state_size))
    for layer in range(num_layers):
        out = np.zeros((steps, batch, dirs * width))
        for d in range(dirs):
            k = layer * dirs + d
            for b in range(batch):
                valid = steps if lengths is None else lengths[b]
                order = range(valid) if d == 0 else range(valid - 1, -1, -1)
                h = state[k, b]
                c = cell0[k, b] if cell0 is not None else None
                for t in order:
                    h, c = _cell(mode, weights[k], x[t, b], h, c, clip)
                    out[t, b, d * width:(d + 1) * width] = h
                hy[k, b] = h
                if c is not None:
                    cy[k, b] = c
        x = out
    if not state_outputs:
        return x
    return (x, hy, cy) if mode == "lstm" else (x, hy)


def rnn_backward_ref(*arrays, **attrs):
    """Central-difference VJP of :func:`rnn_ref` for the float inputs."""
    n_in = 3 + (attrs["mode"] == "lstm") + bool(attrs.get("use_sequence_length"))
    inputs = [np.array(a, dtype=np.float64) for a in arrays[:n_in]]
    heads = list(arrays[n_in + 1:])  # after the (empty) dropout mask
    full = dict(attrs, state_outputs=True)

    def objective():
        outs = rnn_ref(*inputs, **full)
        return sum(float((o * h).sum()) for o, h in zip(outs, heads))

    grads = []
    for k in range(3 + (attrs["mode"] == "lstm")):
        x, g = inputs[k], np.zeros_like(inputs[k])
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + 1e-6
            up = objective()
            x[i] = old - 1e-6
            g[i] = (up - objective()) / 2e-6
            x[i] = old
        grads.append(g)
    if attrs["mode"] != "lstm":
        grads.append(np.zeros((0,)))
    return tuple(grads)


def _param_count(mode, layers, dirs, hidden, features, proj=None):
    gated, rec = _GATES[mode] * hidden, proj or hidden
    total, size_in = 0, features
    for _ in range(layers):
        total += dirs * (gated * size_in + gated * rec + (proj * hidden if proj else 0)
                         + 2 * gated)
        size_in = rec * dirs
    return total


def _named_call(op: str, names: Sequence[str]):
    return lambda nd, *arrays, **attrs: getattr(nd, op)(**dict(zip(names, arrays)), **attrs)


def _rnn_case(name, mode, steps=3, batch=2, features=2, hidden=2, layers=1, dirs=1,
              proj=None, lengths=None, **attrs) -> List[Case]:
    width = proj or hidden
    rows = layers * dirs
    inputs = [Input((steps, batch, features), -1.0, 1.0),
              Input((_param_count(mode, layers, dirs, hidden, features, proj),), -0.6, 0.6),
              Input((rows, batch, width), -0.5, 0.5)]
    names = ["data", "parameters", "state"]
    if mode == "lstm":
        inputs.append(Input((rows, batch, hidden), -0.5, 0.5))
        names.append("state_cell")
    if lengths is not None:
        inputs.append(Input((batch,), values=lengths, grad=False))
        names.append("sequence_length")
        attrs["use_sequence_length"] = True
    attrs = dict(attrs, state_size=hidden, num_layers=layers, mode=mode,
                 bidirectional=dirs == 2, projection_size=proj)
    forward = Case("RNN", inputs, rnn_ref, dict(attrs, state_outputs=True), dtypes=_RNN_DTYPES,
                   name=name, call=_named_call("RNN", names), rtol=1e-4, atol=1e-5)
    heads = [Input((steps, batch, dirs * width)), Input((rows, batch, width)),
             Input((rows, batch, hidden) if mode == "lstm" else (0,))]
    backward_names = names + ["dropout_mask", "out_grad", "state_grad", "state_cell_grad"]
    backward = Case("_backward_RNN", inputs + [Input((0,), grad=False)] + heads,
                    rnn_backward_ref, attrs, dtypes=_RNN_DTYPES, name=name, grad=False,
                    call=_named_call("_backward_RNN", backward_names), rtol=1e-4, atol=1e-5)
    return [forward, backward]


CASES += _rnn_case("lstm", "lstm")
CASES += _rnn_case("lstm_two_layers_lengths", "lstm", layers=2, hidden=1, lengths=[3, 1])
CASES += _rnn_case("lstm_projection_clip", "lstm", proj=1, lstm_state_clip_min=-0.2,
                   lstm_state_clip_max=0.3)
CASES += _rnn_case("gru_bidirectional", "gru", features=1, dirs=2)
CASES += _rnn_case("rnn_tanh_two_layers", "rnn_tanh", layers=2)
CASES += _rnn_case("rnn_relu_bidirectional_lengths", "rnn_relu", dirs=2, lengths=[2, 3])
CASES += [
    Case("RNN", [Input((3, 2, 2), -1.0, 1.0, noncontiguous=True),
                 Input((_param_count("gru", 1, 1, 2, 2),), -0.6, 0.6),
                 Input((1, 2, 2), -0.5, 0.5)],
         rnn_ref, {"state_size": 2, "num_layers": 1, "mode": "gru"}, dtypes=_RNN_DTYPES,
         name="output_only_noncontiguous", rtol=1e-4, atol=1e-5),
]


# -- sequence ops -----------------------------------------------------------------------------
def _valid(lengths, steps):
    return np.arange(steps)[:, None] < np.asarray(lengths, dtype=int)[None, :]


def mask_ref(data, *lengths, use_sequence_length=False, value=0.0, axis=0):
    if not use_sequence_length:
        return data.copy()
    inside = _valid(lengths[0], data.shape[axis])
    if axis == 1:
        inside = inside.T
    return np.where(inside.reshape(inside.shape + (1,) * (data.ndim - 2)), data, value)


def last_ref(data, *lengths, use_sequence_length=False, axis=0):
    moved = data if axis == 0 else np.swapaxes(data, 0, 1)
    index = (np.asarray(lengths[0], dtype=int) - 1 if use_sequence_length
             else np.full(moved.shape[1], moved.shape[0] - 1))
    return np.stack([moved[index[b], b] for b in range(moved.shape[1])])


def last_backward_ref(out_grad, data, *lengths, use_sequence_length=False, axis=0):
    grad = np.zeros_like(data)
    moved = grad if axis == 0 else np.swapaxes(grad, 0, 1)  # a view: writes reach grad
    index = (np.asarray(lengths[0], dtype=int) - 1 if use_sequence_length
             else np.full(moved.shape[1], moved.shape[0] - 1))
    for b in range(moved.shape[1]):
        moved[index[b], b] += out_grad[b]
    return grad


def reverse_ref(data, *lengths, use_sequence_length=False, axis=0):
    out = data.copy()
    for b in range(data.shape[1]):
        valid = int(lengths[0][b]) if use_sequence_length else data.shape[0]
        out[:valid, b] = data[:valid, b][::-1]
    return out


_LEN = Input((3,), values=[4, 1, 2], grad=False)
_LEN2 = Input((2,), values=[1, 3], grad=False)
_ON = {"use_sequence_length": True}
CASES += [
    Case("SequenceMask", [Input((4, 3, 2))], mask_ref, name="no_lengths_copies"),
    Case("SequenceMask", [Input((4, 3, 2)), _LEN], mask_ref, dict(_ON, value=-1.5),
         name="time_major"),
    Case("SequenceMask", [Input((3, 4), noncontiguous=True), _LEN], mask_ref,
         dict(_ON, axis=1), name="batch_major"),
    Case("SequenceLast", [Input((4, 3, 2))], last_ref, name="no_lengths"),
    Case("SequenceLast", [Input((4, 3, 2)), _LEN], last_ref, _ON, name="time_major"),
    Case("SequenceLast", [Input((2, 3)), _LEN2], last_ref, dict(_ON, axis=1),
         name="batch_major"),
    Case("_backward_SequenceLast", [Input((3, 2)), Input((4, 3, 2)), _LEN],
         last_backward_ref, _ON, name="time_major", grad=False),
    Case("_backward_SequenceLast", [Input((2,)), Input((2, 3))], last_backward_ref,
         {"axis": 1}, name="batch_major_no_lengths", grad=False),
    Case("SequenceReverse", [Input((4, 3, 2))], reverse_ref, name="no_lengths"),
    Case("SequenceReverse", [Input((4, 3, 2), noncontiguous=True), _LEN], reverse_ref, _ON,
         name="lengths"),
    Case("SequenceReverse", [Input((4, 3), dtype="int32", grad=False), _LEN], reverse_ref,
         _ON, dtypes=("int32",), name="int_data", grad=False),
]


# -- errors ---------------------------------------------------------------------------------------
def _rnn_error(name: str, shapes: List[Any], attrs: Dict[str, Any]) -> ErrorCase:
    return ErrorCase("RNN", [Input(s) for s in shapes], attrs, error=MXNetValueError,
                     name=name)


_GRU = {"state_size": 2, "num_layers": 1, "mode": "gru"}
ERROR_CASES += [
    _rnn_error("wrong_parameter_count", [(3, 2, 2), (5,), (1, 2, 2)], _GRU),
    _rnn_error("wrong_state_shape", [(3, 2, 2), (36,), (2, 2, 2)], _GRU),
    _rnn_error("data_not_3d", [(3, 2), (36,), (1, 2, 2)], _GRU),
    _rnn_error("projection_needs_lstm", [(3, 2, 2), (36,), (1, 2, 2)],
               dict(_GRU, projection_size=1)),
    ErrorCase("RNN", [Input((3, 2, 2)), Input((36,)), Input((1, 2, 2))],
              dict(_GRU, mode="elman"), error=MXNetValueError, name="unknown_mode"),
    ErrorCase("SequenceMask", [Input((4, 3, 2)), Input((2,))], _ON, error=MXNetValueError,
              name="length_shape"),
    ErrorCase("SequenceReverse", [Input((4, 3, 2))], {"axis": 1}, error=MXNetValueError,
              name="axis_must_be_0"),
    ErrorCase("SequenceLast", [Input((0, 3, 2))], {}, error=MXNetValueError,
              name="no_steps"),
]
