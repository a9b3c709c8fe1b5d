"""The fused recurrent operator ``RNN`` (MXNet's cuDNN-style layer op) and its backward.

One op runs a whole stack of recurrent layers over a time-major sequence, so a traced graph
(``hybridize``, ``export``) holds one node whatever the sequence length. All weights come in
one flat ``parameters`` vector in MXNet's layout: for each layer, for each direction, the
input-to-hidden, hidden-to-hidden (and, for a projected LSTM, hidden-to-projection) weight;
after all weights, the i2h and h2h biases in the same order. Gates are ordered as MXNet's:
LSTM (input, forget, cell, output), GRU (reset, update, new).

The forward keeps nothing but its outputs and the dropout mask (a hidden output);
``_backward_RNN`` recomputes each layer's gates and runs backpropagation through time.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .elemwise import _sigmoid
from .registry import OpDef, Param, one_of, register_op, to_bool, to_float, to_int
from .sequence import reverse_in_time

AREA = "rnn"
GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_INT64 = np.dtype("int64")


def _optional_int(value: Any) -> Optional[int]:
    return None if value is None or value == "None" else to_int(value)


def _optional_float(value: Any) -> Optional[float]:
    return None if value is None or value == "None" else to_float(value)


_PARAMS = (
    Param("state_size", to_int, doc="hidden units per layer and direction"),
    Param("num_layers", to_int, doc="number of stacked layers"),
    Param("bidirectional", to_bool, False, "also run each layer backward in time"),
    Param("mode", one_of("rnn_relu", "rnn_tanh", "lstm", "gru"), doc="the recurrence"),
    Param("p", to_float, 0.0, "dropout on the outputs of every layer but the last (training)"),
    Param("state_outputs", to_bool, False, "also return the final states"),
    Param("projection_size", _optional_int, None,
          "LSTM only: project the hidden state to this size (LSTMP)"),
    Param("lstm_state_clip_min", _optional_float, None, "LSTM cell state lower bound"),
    Param("lstm_state_clip_max", _optional_float, None, "LSTM cell state upper bound"),
    Param("lstm_state_clip_nan", to_bool, False, "clip NaN cell states to the lower bound"),
    Param("use_sequence_length", to_bool, False,
          "take per-sequence valid lengths (batch,) as the last input"),
)


def _inputs(attrs: Dict[str, Any]) -> List[str]:
    names = ["data", "parameters", "state"]
    if attrs["mode"] == "lstm":
        names.append("state_cell")
    if attrs["use_sequence_length"]:
        names.append("sequence_length")
    return names


# -- the parameter layout ---------------------------------------------------------------------
def param_layout(mode: str, num_layers: int, directions: int, hidden: int, features: int,
                 projection: Optional[int] = None
                 ) -> Tuple[List[Dict[str, Tuple[int, Tuple[int, ...]]]], int]:
    """Per (layer, direction) the (offset, shape) of the i2h/h2h(/h2r) weights and the
    biases, and the total length of the flat vector."""
    gated = GATES[mode] * hidden
    recurrent = projection or hidden
    entries: List[Dict[str, Tuple[int, Tuple[int, ...]]]] = []
    offset = 0
    size_in = features
    for _ in range(num_layers):
        for _ in range(directions):
            entry = {"i2h_weight": (offset, (gated, size_in))}
            offset += gated * size_in
            entry["h2h_weight"] = (offset, (gated, recurrent))
            offset += gated * recurrent
            if projection:
                entry["h2r_weight"] = (offset, (projection, hidden))
                offset += projection * hidden
            entries.append(entry)
        size_in = recurrent * directions
    for entry in entries:
        entry["i2h_bias"] = (offset, (gated,))
        entry["h2h_bias"] = (offset + gated, (gated,))
        offset += 2 * gated
    return entries, offset


def rnn_param_size(mode: str, num_layers: int, bidirectional: bool, hidden: int,
                   features: int, projection: Optional[int] = None) -> int:
    """Length of the flat ``parameters`` vector."""
    return param_layout(mode, num_layers, 2 if bidirectional else 1, hidden, features,
                        projection)[1]


def rnn_shapes(attrs: Dict[str, Any], data: Tuple[int, ...]) -> Dict[str, Tuple[int, ...]]:
    """Shapes of the parameter and state inputs implied by the data shape (T, N, C)."""
    directions = 2 if attrs.get("bidirectional") else 1
    rows = attrs["num_layers"] * directions
    projection = attrs.get("projection_size")
    hidden = attrs["state_size"]
    shapes = {"parameters": (rnn_param_size(attrs["mode"], attrs["num_layers"],
                                            bool(attrs.get("bidirectional")), hidden,
                                            data[2], projection),),
              "state": (rows, data[1], projection or hidden)}
    if attrs["mode"] == "lstm":
        shapes["state_cell"] = (rows, data[1], hidden)
    return shapes


def _check(shapes, dtypes, **attrs):
    data = shapes[0]
    if len(data) != 3:
        raise ValueError(f"data must be (sequence length, batch, features); got {data}")
    if attrs["state_size"] <= 0 or attrs["num_layers"] <= 0:
        raise ValueError("state_size and num_layers must be positive")
    if attrs["projection_size"] and attrs["mode"] != "lstm":
        raise ValueError(f"projection_size needs mode='lstm'; got mode={attrs['mode']!r}")
    if not 0.0 <= attrs["p"] < 1.0:
        raise ValueError(f"p must be in [0, 1); got {attrs['p']}")
    if np.dtype(dtypes[0]).kind != "f":
        raise TypeError(f"data must be floating point; got {np.dtype(dtypes[0]).name}")
    expected = rnn_shapes(attrs, data)
    for name, shape in zip(_inputs(attrs)[1:], shapes[1:]):
        if name == "sequence_length":
            if tuple(shape) != (data[1],):
                raise ValueError(f"sequence_length must have shape ({data[1]},); got {shape}")
        elif tuple(shape) != expected[name]:
            raise ValueError(f"{name} must have shape {expected[name]} for data {data}, "
                             f"mode {attrs['mode']}, state_size {attrs['state_size']}, "
                             f"num_layers {attrs['num_layers']}; got {tuple(shape)}")


def _infer(shapes, **attrs):
    steps, batch, _ = shapes[0]
    directions = 2 if attrs["bidirectional"] else 1
    implied = rnn_shapes(attrs, shapes[0])
    width = attrs["projection_size"] or attrs["state_size"]
    return [(steps, batch, directions * width), implied["state"],
            implied.get("state_cell", (0,)), (0,)]


def _mask_shape(attrs, steps, batch) -> Tuple[int, ...]:
    if attrs["p"] <= 0.0 or attrs["num_layers"] < 2:
        return (0,)
    directions = 2 if attrs["bidirectional"] else 1
    width = attrs["projection_size"] or attrs["state_size"]
    return (attrs["num_layers"] - 1, steps, batch, directions * width)


# -- one time step ------------------------------------------------------------------------------
def _split(K, x, parts):
    width = x.shape[1] // parts
    return [K.slice(x, (slice(None), slice(i * width, (i + 1) * width))) for i in range(parts)]


class _Recurrence:
    """The weights of one (layer, direction) and the step/backward-step of its mode."""

    def __init__(self, K, mode, params, entry, clip):
        self.K = K
        self.mode = mode
        self.clip = clip

        def view(key):
            offset, shape = entry[key]
            size = 1
            for d in shape:
                size *= d
            return K.reshape(K.slice(params, (slice(offset, offset + size),)), shape)

        self.wi, self.wh = view("i2h_weight"), view("h2h_weight")
        self.bi, self.bh = view("i2h_bias"), view("h2h_bias")
        self.wr = view("h2r_weight") if "h2r_weight" in entry else None

    def step(self, xp, h, c):
        """(new h, new c, cache) from the projected input ``xp`` (N, G*H)."""
        K = self.K
        hp = K.add(K.matmul(h, K.transpose(self.wh, (1, 0))), self.bh)
        one = xp.dtype.type(1)
        if self.mode == "lstm":
            pre = K.add(xp, hp)
            a_i, a_f, a_g, a_o = _split(K, pre, 4)
            i, f, o = _sigmoid(K, a_i), _sigmoid(K, a_f), _sigmoid(K, a_o)
            g = K.tanh(a_g)
            c_new = K.add(K.multiply(f, c), K.multiply(i, g))
            keep = None
            if self.clip is not None:
                low, high, nan = self.clip
                if nan:
                    c_new = K.where(K.isnan(c_new), K.full(c_new.shape, low, c_new.dtype),
                                    c_new)
                keep = K.logical_and(K.greater_equal(c_new, c_new.dtype.type(low)),
                                     K.less_equal(c_new, c_new.dtype.type(high)))
                c_new = K.minimum(K.maximum(c_new, c_new.dtype.type(low)),
                                  c_new.dtype.type(high))
            tc = K.tanh(c_new)
            h_new = K.multiply(o, tc)
            cache = (i, f, g, o, c, tc, keep, h_new)
            if self.wr is not None:
                h_new = K.matmul(h_new, K.transpose(self.wr, (1, 0)))
            return h_new, c_new, cache
        if self.mode == "gru":
            x_r, x_z, x_n = _split(K, xp, 3)
            h_r, h_z, h_n = _split(K, hp, 3)
            r = _sigmoid(K, K.add(x_r, h_r))
            z = _sigmoid(K, K.add(x_z, h_z))
            n = K.tanh(K.add(x_n, K.multiply(r, h_n)))
            h_new = K.add(K.multiply(K.subtract(one, z), n), K.multiply(z, h))
            return h_new, None, (r, z, n, h_n, h)
        pre = K.add(xp, hp)
        h_new = K.tanh(pre) if self.mode == "rnn_tanh" else K.maximum(pre, pre.dtype.type(0))
        return h_new, None, (h_new,)

    def step_backward(self, cache, dh, dc):
        """(d projected input, d hidden pre-activation, dh_prev part, dc_prev, d h2r weight)
        of a step."""
        K = self.K
        one = dh.dtype.type(1)
        if self.mode == "lstm":
            i, f, g, o, c, tc, keep, h_raw = cache
            d_wr = None
            if self.wr is not None:
                d_wr = K.matmul(K.transpose(dh, (1, 0)), h_raw)
                dh = K.matmul(dh, self.wr)
            d_o = K.multiply(dh, tc)
            dc = K.add(dc, K.multiply(K.multiply(dh, o), K.subtract(one, K.square(tc))))
            if keep is not None:
                dc = K.where(keep, dc, dc.dtype.type(0))
            d_i, d_f, d_g = K.multiply(dc, g), K.multiply(dc, c), K.multiply(dc, i)
            gates = K.concat([K.multiply(d_i, K.multiply(i, K.subtract(one, i))),
                              K.multiply(d_f, K.multiply(f, K.subtract(one, f))),
                              K.multiply(d_g, K.subtract(one, K.square(g))),
                              K.multiply(d_o, K.multiply(o, K.subtract(one, o)))], 1)
            return gates, gates, None, K.multiply(dc, f), d_wr
        if self.mode == "gru":
            r, z, n, h_n, h = cache
            d_z = K.multiply(dh, K.subtract(h, n))
            d_n = K.multiply(K.multiply(dh, K.subtract(one, z)), K.subtract(one, K.square(n)))
            d_r = K.multiply(K.multiply(d_n, h_n), K.multiply(r, K.subtract(one, r)))
            d_z = K.multiply(d_z, K.multiply(z, K.subtract(one, z)))
            x_gates = K.concat([d_r, d_z, d_n], 1)
            h_gates = K.concat([d_r, d_z, K.multiply(d_n, r)], 1)
            return x_gates, h_gates, K.multiply(dh, z), None, None
        (h_new,) = cache
        if self.mode == "rnn_tanh":
            d_pre = K.multiply(dh, K.subtract(one, K.square(h_new)))
        else:
            d_pre = K.where(K.greater(h_new, h_new.dtype.type(0)), dh, dh.dtype.type(0))
        return d_pre, d_pre, None, None, None


# -- one direction of one layer ---------------------------------------------------------------
def _time_keep(K, lengths, steps, batch, dtype):
    """Per step a (N, 1) 1/0 mask of the sequences still running (None without lengths)."""
    if lengths is None:
        return None
    frames = K.reshape(K.arange(0, steps, 1, _INT64), (steps, 1))
    running = K.less(frames, K.reshape(K.cast(lengths, _INT64), (1, batch)))
    keep = K.cast(running, dtype)
    return [K.reshape(K.slice(keep, (slice(t, t + 1),)), (batch, 1)) for t in range(steps)]


def _run(K, cell, x, h, c, keep, want_cache):
    """Outputs (T, N, H), final h and c, and per step (h_prev, cache) when asked."""
    steps, batch = x.shape[0], x.shape[1]
    projected = K.add(K.matmul(K.reshape(x, (steps * batch, x.shape[2])),
                               K.transpose(cell.wi, (1, 0))), cell.bi)
    outputs, caches = [], []
    for t in range(steps):
        xp = K.slice(projected, (slice(t * batch, (t + 1) * batch),))
        h_new, c_new, cache = cell.step(xp, h, c)
        if want_cache:
            caches.append((h, cache))
        if keep is None:
            h, c = h_new, c_new
            outputs.append(h_new)
            continue
        k = keep[t]
        drop = K.subtract(k.dtype.type(1), k)
        h = K.add(K.multiply(h_new, k), K.multiply(h, drop))
        if c_new is not None:
            c = K.add(K.multiply(c_new, k), K.multiply(c, drop))
        outputs.append(K.multiply(h_new, k))
    out = K.concat([K.reshape(o, (1, batch, o.shape[1])) for o in outputs], 0)
    return out, h, c, caches


def _run_backward(K, cell, x, h0, c0, keep, d_out, dh, dc):
    """Gradients ({weight or bias name: grad}, dx, dh0, dc0) of one direction of one layer."""
    steps, batch = x.shape[0], x.shape[1]
    _, _, _, caches = _run(K, cell, x, h0, c0, keep, True)
    zero = x.dtype.type(0)
    d_wr = None if cell.wr is None else K.full(cell.wr.shape, 0, x.dtype)
    d_wh = K.full(cell.wh.shape, 0, x.dtype)
    d_bh = K.full(cell.bh.shape, 0, x.dtype)
    d_projected = [None] * steps
    for t in range(steps - 1, -1, -1):
        h_prev, cache = caches[t]
        d_new = K.add(dh, K.reshape(K.slice(d_out, (slice(t, t + 1),)), dh.shape))
        dc_new = dc
        carry_h = carry_c = None
        if keep is not None:
            k = keep[t]
            drop = K.subtract(k.dtype.type(1), k)
            carry_h, d_new = K.multiply(dh, drop), K.multiply(d_new, k)
            if dc is not None:
                carry_c, dc_new = K.multiply(dc, drop), K.multiply(dc, k)
        if dc_new is None and cell.mode == "lstm":
            dc_new = K.full(d_new.shape, 0, d_new.dtype)
        x_gates, h_gates, dh_part, dc_prev, d_wr_step = cell.step_backward(cache, d_new,
                                                                           dc_new)
        if d_wr_step is not None:
            d_wr = K.add(d_wr, d_wr_step)
        d_projected[t] = x_gates
        d_wh = K.add(d_wh, K.matmul(K.transpose(h_gates, (1, 0)), h_prev))
        d_bh = K.add(d_bh, K.sum(h_gates, (0,), False))
        dh = K.matmul(h_gates, cell.wh)
        if dh_part is not None:
            dh = K.add(dh, dh_part)
        if carry_h is not None:
            dh = K.add(dh, carry_h)
        dc = dc_prev
        if carry_c is not None:
            dc = K.add(dc, carry_c)
    if steps == 0:
        d_flat = K.full((0, cell.wi.shape[0]), zero, x.dtype)
    else:
        d_flat = K.concat(d_projected, 0)
    flat_x = K.reshape(x, (steps * batch, x.shape[2]))
    d_wi = K.matmul(K.transpose(d_flat, (1, 0)), flat_x)
    d_bi = K.sum(d_flat, (0,), False)
    dx = K.reshape(K.matmul(d_flat, cell.wi), x.shape)
    grads = {"i2h_weight": d_wi, "h2h_weight": d_wh, "i2h_bias": d_bi, "h2h_bias": d_bh}
    if d_wr is not None:
        grads["h2r_weight"] = d_wr
    return grads, dx, dh, dc


# -- the op --------------------------------------------------------------------------------------
def _unpack(arrays, attrs):
    named = dict(zip(_inputs(attrs), arrays))
    return (named["data"], named["parameters"], named["state"], named.get("state_cell"),
            named.get("sequence_length"))


def _clip(attrs):
    low, high = attrs["lstm_state_clip_min"], attrs["lstm_state_clip_max"]
    if attrs["mode"] != "lstm" or (low is None and high is None):
        return None
    return (float("-inf") if low is None else low, float("inf") if high is None else high,
            attrs["lstm_state_clip_nan"])


def _cells(K, params, attrs, features):
    directions = 2 if attrs["bidirectional"] else 1
    entries, _ = param_layout(attrs["mode"], attrs["num_layers"], directions,
                              attrs["state_size"], features, attrs["projection_size"])
    clip = _clip(attrs)
    return [_Recurrence(K, attrs["mode"], params, e, clip) for e in entries]


def _state_row(K, state, index):
    if state is None:
        return None
    return K.reshape(K.slice(state, (slice(index, index + 1),)), state.shape[1:])


def _layer_inputs(K, data, mask, attrs, layer, previous):
    """The input of ``layer``: the data, or the previous layer's output after dropout."""
    if layer == 0:
        return data
    if mask is None or mask.size == 0:
        return previous
    return K.multiply(previous, K.reshape(K.slice(mask, (slice(layer - 1, layer),)),
                                          previous.shape))


def _stack(K, cells, data, state, state_cell, mask, keep, lengths, attrs, stop):
    """Run layers [0, stop): (each run layer's input, the last output, final h and c per
    layer and direction)."""
    directions = 2 if attrs["bidirectional"] else 1
    inputs, hs, cs = [], [], []
    layer_out = data
    for layer in range(stop):
        x = _layer_inputs(K, data, mask, attrs, layer, layer_out)
        inputs.append(x)
        outs = []
        for d in range(directions):
            index = layer * directions + d
            seq = x if d == 0 else reverse_in_time(K, x, lengths)
            out, h, c, _ = _run(K, cells[index], seq, _state_row(K, state, index),
                                _state_row(K, state_cell, index), keep, False)
            outs.append(out if d == 0 else reverse_in_time(K, out, lengths))
            hs.append(h)
            cs.append(c)
        layer_out = outs[0] if directions == 1 else K.concat(outs, 2)
    return inputs, layer_out, hs, cs


def _forward(K, *arrays, rng=None, is_train=False, **attrs):
    data, params, state, state_cell, lengths = _unpack(arrays, attrs)
    steps, batch, features = data.shape
    cells = _cells(K, params, attrs, features)
    keep = _time_keep(K, lengths, steps, batch, data.dtype)
    mask_shape = _mask_shape(attrs, steps, batch)
    mask = None
    if is_train and mask_shape != (0,):
        p = attrs["p"]
        kept = K.greater_equal(K.random_uniform(rng, 0.0, 1.0, mask_shape, np.dtype("float64")),
                               np.float64(p))
        mask = K.multiply(K.cast(kept, data.dtype), data.dtype.type(1.0 / (1.0 - p)))
    _, layer_out, hs, cs = _stack(K, cells, data, state, state_cell, mask, keep, lengths,
                                  attrs, attrs["num_layers"])
    hy = K.concat([K.reshape(h, (1,) + h.shape) for h in hs], 0)
    if attrs["mode"] == "lstm":
        cy = K.concat([K.reshape(c, (1,) + c.shape) for c in cs], 0)
    else:
        cy = K.full((0,), 0, data.dtype)
    if mask is None:  # no dropout in this call: an empty mask
        mask = K.full((0,), 0, data.dtype)
    return layer_out, hy, cy, mask


def _backward(K, *arrays, **attrs):
    """Gradients of data, parameters, state and state_cell (zeros for the absent ones)."""
    n_in = len(_inputs(attrs))
    data, params, state, state_cell, lengths = _unpack(arrays[:n_in], attrs)
    mask, d_out, d_hy, d_cy = arrays[n_in:]
    steps, batch, features = data.shape
    directions = 2 if attrs["bidirectional"] else 1
    is_lstm = attrs["mode"] == "lstm"
    cells = _cells(K, params, attrs, features)
    entries, total = param_layout(attrs["mode"], attrs["num_layers"], directions,
                                  attrs["state_size"], features, attrs["projection_size"])
    keep = _time_keep(K, lengths, steps, batch, data.dtype)
    # recompute every layer's input (the forward kept only the last output)
    last = attrs["num_layers"] - 1
    inputs, below, _, _ = _stack(K, cells, data, state, state_cell, mask, keep, lengths,
                                 attrs, last)
    inputs.append(_layer_inputs(K, data, mask, attrs, last, below))
    pieces: Dict[int, Any] = {}
    d_state_rows: List[Any] = [None] * len(cells)
    d_cell_rows: List[Any] = [None] * len(cells)
    width = attrs["projection_size"] or attrs["state_size"]
    d_layer = d_out
    for layer in range(attrs["num_layers"] - 1, -1, -1):
        x = inputs[layer]
        dx_total = None
        for d in range(directions):
            index = layer * directions + d
            cell = cells[index]
            d_seq = K.slice(d_layer, (slice(None), slice(None),
                                      slice(d * width, (d + 1) * width)))
            seq = x
            if d == 1:
                seq, d_seq = reverse_in_time(K, x, lengths), reverse_in_time(K, d_seq, lengths)
            dc = _state_row(K, d_cy, index) if is_lstm else None
            grads, dx, dh0, dc0 = _run_backward(
                K, cell, seq, _state_row(K, state, index), _state_row(K, state_cell, index),
                keep, d_seq, _state_row(K, d_hy, index), dc)
            if d == 1:
                dx = reverse_in_time(K, dx, lengths)
            dx_total = dx if dx_total is None else K.add(dx_total, dx)
            for key, grad in grads.items():
                pieces[entries[index][key][0]] = K.reshape(grad, (grad.size,))
            d_state_rows[index] = K.reshape(dh0, (1,) + dh0.shape)
            if is_lstm:
                d_cell_rows[index] = K.reshape(dc0, (1,) + dc0.shape)
        if layer > 0 and mask is not None and mask.size:
            dx_total = K.multiply(dx_total, K.reshape(
                K.slice(mask, (slice(layer - 1, layer),)), dx_total.shape))
        d_layer = dx_total
    d_params = K.concat([pieces[offset] for offset in sorted(pieces)], 0)
    if d_params.size != total:
        raise ValueError(f"internal: parameter gradient has {d_params.size} values, "
                         f"expected {total}")
    d_state = K.concat(d_state_rows, 0)
    d_cell = K.concat(d_cell_rows, 0) if is_lstm else K.full((0,), 0, data.dtype)
    return d_layer, d_params, d_state, d_cell


def _gradient(F, inputs, outputs, out_grads, is_train=False, **attrs):
    names = _inputs(attrs)
    heads = [g if g is not None else F.zeros_like(o) for g, o in zip(out_grads[:3], outputs[:3])]
    named = dict(zip(names, inputs))
    named.update(zip(("dropout_mask", "out_grad", "state_grad", "state_cell_grad"),
                     [outputs[3]] + heads))
    grads = F._backward_RNN(**named, **attrs)
    by_name = {"data": grads[0], "parameters": grads[1], "state": grads[2],
               "state_cell": grads[3]}
    return [by_name.get(name) for name in names]


def _visible(attrs):
    if not attrs["state_outputs"]:
        return 1
    return 3 if attrs["mode"] == "lstm" else 2


def _backward_inputs(attrs):
    return _inputs(attrs) + ["dropout_mask", "out_grad", "state_grad", "state_cell_grad"]


def _backward_check(shapes, dtypes, **attrs):
    _check(shapes[:len(_inputs(attrs))], dtypes, **attrs)


register_op(OpDef(
    "RNN", ("data", "parameters", "state", "state_cell", "sequence_length"), _PARAMS,
    compute=_forward, gradient=_gradient, check=_check, infer_shape=_infer,
    optional_inputs=_inputs, num_outputs=4, num_visible_outputs=_visible, uses_rng=True,
    uses_train_flag=True, area=AREA,
    doc="Stacked recurrent layers (vanilla RNN with relu/tanh, LSTM, GRU; optionally "
        "bidirectional) over time-major data (T, N, C). parameters: the flat weight vector "
        "(all weights, then all biases, per layer and direction: i2h then h2h); state "
        "(and state_cell for LSTM): (num_layers * directions, N, state_size). Returns the "
        "output (T, N, directions * state_size) and, with state_outputs, the final states."))

register_op(OpDef(
    "_backward_RNN", ("data", "parameters", "state", "state_cell", "sequence_length",
                      "dropout_mask", "out_grad", "state_grad", "state_cell_grad"), _PARAMS,
    compute=_backward, check=_backward_check, optional_inputs=_backward_inputs,
    num_outputs=4, area=AREA,
    doc="Gradients of RNN with respect to data, parameters, state and state_cell "
        "(backpropagation through time over recomputed gates)."))
