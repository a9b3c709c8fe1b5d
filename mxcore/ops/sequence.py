"""Variable-length sequence ops: SequenceMask, SequenceLast, SequenceReverse (MXNet 1.x).

Data has a time axis (``axis``, 0 or 1) and a batch axis (the other of the two); with
``use_sequence_length`` the second input holds each sequence's valid length (batch,).
"""

from __future__ import annotations

import numpy as np

from .registry import OpDef, Param, register_op, to_bool, to_float, to_int

AREA = "rnn"
_INT64 = np.dtype("int64")

_USE_LENGTH = Param("use_sequence_length", to_bool, False,
                    "take the valid length of each sequence from the second input")


def _time_axis(*allowed: int):
    def convert(value):
        axis = to_int(value)
        if axis not in allowed:
            raise ValueError(f"axis must be one of {list(allowed)}; got {axis}")
        return axis
    return convert


def _inputs(attrs):
    return ["data", "sequence_length"] if attrs["use_sequence_length"] else ["data"]


def _check(shapes, dtypes, use_sequence_length, axis=0, **_):
    data = shapes[0]
    if len(data) < 2:
        raise ValueError(f"data needs a time and a batch axis; got shape {data}")
    if use_sequence_length:
        batch = data[1 - axis]
        if tuple(shapes[1]) != (batch,):
            raise ValueError(f"sequence_length must have shape ({batch},) for data {data} "
                             f"with time axis {axis}; got {tuple(shapes[1])}")


def _running(K, lengths, steps, batch, axis):
    """Bool (steps, batch) — or (batch, steps) for axis 1 — true inside each sequence."""
    frames = K.reshape(K.arange(0, steps, 1, _INT64), (steps, 1))
    inside = K.less(frames, K.reshape(K.cast(lengths, _INT64), (1, batch)))
    return inside if axis == 0 else K.transpose(inside, (1, 0))


def _lead(K, mask, ndim):
    """A (T, N) or (N, T) mask broadcastable against data of ``ndim`` dims."""
    return K.reshape(mask, mask.shape + (1,) * (ndim - 2))


# -- SequenceMask ---------------------------------------------------------------------------------
def _mask(K, data, *lengths, use_sequence_length, value, axis):
    if not use_sequence_length:
        return K.copy(data)
    steps, batch = data.shape[axis], data.shape[1 - axis]
    inside = _lead(K, _running(K, lengths[0], steps, batch, axis), data.ndim)
    return K.where(K.broadcast_to(inside, data.shape), data,
                   K.full(data.shape, value, data.dtype))


def _mask_grad(F, inputs, outputs, out_grads, use_sequence_length, value, axis):
    grad = F.SequenceMask(out_grads[0], *inputs[1:], use_sequence_length=use_sequence_length,
                          value=0.0, axis=axis)
    return [grad] + [None] * (len(inputs) - 1)


register_op(OpDef(
    "SequenceMask", ("data", "sequence_length"),
    (_USE_LENGTH, Param("value", to_float, 0.0, "the value of masked steps"),
     Param("axis", _time_axis(0, 1), 0,
           "the time axis (the batch axis is the other of 0 and 1)")),
    compute=_mask, gradient=_mask_grad, check=_check, optional_inputs=_inputs, area=AREA,
    doc="Set the steps at or past each sequence's length to value (a copy without "
        "use_sequence_length)."))


# -- SequenceLast ---------------------------------------------------------------------------------
def _last_index(K, data, lengths, use_sequence_length, axis):
    steps, batch = data.shape[axis], data.shape[1 - axis]
    if not use_sequence_length:
        return K.full((batch,), steps - 1, _INT64)
    return K.subtract(K.cast(lengths[0], _INT64), np.int64(1))


def _gather_last(K, data, index, axis):
    batch = data.shape[1 - axis]
    rows = K.arange(0, batch, 1, _INT64)
    pair = [index, rows] if axis == 0 else [rows, index]
    return K.gather_nd(data, K.concat([K.reshape(p, (1, batch)) for p in pair], 0))


def _last(K, data, *lengths, use_sequence_length, axis):
    index = _last_index(K, data, lengths, use_sequence_length, axis)
    return _gather_last(K, data, index, axis)


def _last_check(shapes, dtypes, use_sequence_length, axis):
    _check(shapes, dtypes, use_sequence_length, axis)
    if shapes[0][axis] == 0:
        raise ValueError(f"data has no steps along the time axis {axis}: {shapes[0]}")


def _last_grad(F, inputs, outputs, out_grads, use_sequence_length, axis):
    grad = F._backward_SequenceLast(out_grads[0], *inputs, use_sequence_length=use_sequence_length,
                                    axis=axis)
    return [grad] + [None] * (len(inputs) - 1)


def _last_backward(K, out_grad, data, *lengths, use_sequence_length, axis):
    index = _last_index(K, data, lengths, use_sequence_length, axis)
    batch = data.shape[1 - axis]
    rows = K.arange(0, batch, 1, _INT64)
    pair = [index, rows] if axis == 0 else [rows, index]
    positions = K.concat([K.reshape(p, (1, batch)) for p in pair], 0)
    return K.scatter_nd_add(K.full(data.shape, 0, data.dtype), positions, out_grad)


register_op(OpDef(
    "SequenceLast", ("data", "sequence_length"),
    (_USE_LENGTH, Param("axis", _time_axis(0, 1), 0, "the time axis")),
    compute=_last, gradient=_last_grad, check=_last_check, optional_inputs=_inputs, area=AREA,
    doc="The last valid step of each sequence: data[length - 1] per batch entry (the last "
        "step without use_sequence_length); the time axis is removed."))

register_op(OpDef(
    "_backward_SequenceLast", ("out_grad", "data", "sequence_length"),
    (_USE_LENGTH, Param("axis", _time_axis(0, 1), 0, "the time axis")),
    compute=_last_backward,
    optional_inputs=lambda attrs: ["out_grad"] + _inputs(attrs), area=AREA,
    doc="Gradient of SequenceLast: out_grad placed at each sequence's last valid step."))


# -- SequenceReverse ------------------------------------------------------------------------------
def reverse_in_time(K, data, lengths=None):
    """``data`` (T, N, ...) reversed along time, within each sequence's valid length (the
    padding stays in place)."""
    if lengths is None:
        return K.flip(data, (0,))
    steps, batch = data.shape[0], data.shape[1]
    frames = K.broadcast_to(K.reshape(K.arange(0, steps, 1, _INT64), (steps, 1)),
                            (steps, batch))
    valid = K.reshape(K.cast(lengths, _INT64), (1, batch))
    source = K.where(K.less(frames, valid),
                     K.subtract(K.subtract(valid, np.int64(1)), frames), frames)
    column = K.broadcast_to(K.reshape(K.arange(0, batch, 1, _INT64), (1, batch)),
                            (steps, batch))
    return K.gather_nd(data, K.concat([K.reshape(source, (1, steps, batch)),
                                       K.reshape(column, (1, steps, batch))], 0))


def _reverse(K, data, *lengths, use_sequence_length, axis):
    return reverse_in_time(K, data, lengths[0] if use_sequence_length else None)


def _reverse_grad(F, inputs, outputs, out_grads, use_sequence_length, axis):
    grad = F.SequenceReverse(out_grads[0], *inputs[1:],
                             use_sequence_length=use_sequence_length, axis=axis)
    return [grad] + [None] * (len(inputs) - 1)


register_op(OpDef(
    "SequenceReverse", ("data", "sequence_length"),
    (_USE_LENGTH, Param("axis", _time_axis(0), 0, "the time axis (only 0, as in MXNet)")),
    compute=_reverse, gradient=_reverse_grad, check=_check, optional_inputs=_inputs,
    area=AREA,
    doc="Reverse data (T, N, ...) along time; with use_sequence_length only the valid steps "
        "of each sequence are reversed and its padding stays in place."))
