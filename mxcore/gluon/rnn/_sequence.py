"""Sequence helpers shared by the recurrent cells and layers: input formatting, masking,
reversing, last-step selection, activations, and the RNN/LSTM/GRU step functions."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

from ... import ndarray
from ...base import MXNetTypeError, MXNetValueError
from ...ndarray import NDArray

Inputs = Union[NDArray, Sequence[NDArray]]


# -- sequence helpers --------------------------------------------------------------------------
def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _split_steps(F: Any, data: NDArray, axis: int) -> List[NDArray]:
    """Split ``data`` along ``axis`` into its steps, dropping that axis."""
    length = data.shape[axis]
    if length == 0:
        raise MXNetValueError(f"unroll: the sequence has length 0; got shape {data.shape}")
    return _as_list(F.split(data, num_outputs=length, axis=axis, squeeze_axis=True))


def _format_sequence(length: Optional[int], inputs: Inputs, layout: str,
                     merge: Optional[bool], in_layout: Optional[str] = None
                     ) -> Tuple[Inputs, int, Any, int]:
    """Bring ``inputs`` to one array in ``layout`` (merge=True), a list of steps (False), or
    leave its form (None). Returns (inputs, time axis, F, batch size)."""
    if inputs is None:
        raise MXNetValueError("unroll: inputs must be an NDArray or a list of NDArrays; got None")
    if layout not in ("NTC", "TNC"):
        raise MXNetValueError(f"unroll: layout must be 'NTC' or 'TNC'; got {layout!r}")
    axis = layout.find("T")
    in_axis = in_layout.find("T") if in_layout is not None else axis
    F = ndarray
    if isinstance(inputs, NDArray):
        if inputs.ndim < 2:
            raise MXNetValueError(f"unroll: inputs must have a time and a batch axis; "
                                  f"got shape {inputs.shape}")
        batch_size = inputs.shape[layout.find("N")]
        if merge is False:
            if length is not None and length != inputs.shape[in_axis]:
                raise MXNetValueError(f"unroll: length {length} does not match the time axis "
                                      f"{in_axis} of inputs with shape {inputs.shape}")
            inputs = _split_steps(F, inputs, in_axis)
    elif isinstance(inputs, (list, tuple)) and inputs and \
            all(isinstance(x, NDArray) for x in inputs):
        if length is not None and len(inputs) != length:
            raise MXNetValueError(f"unroll: length {length} does not match the "
                                  f"{len(inputs)} input steps given")
        batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    else:
        raise MXNetTypeError(f"unroll: inputs must be an NDArray or a non-empty list of "
                             f"NDArrays; got {type(inputs).__name__}")
    if isinstance(inputs, NDArray) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def _time_mask(F: Any, data: NDArray, valid_length: NDArray, axis: int) -> NDArray:
    """1.0 where step < valid_length of its sequence, else 0.0, shaped to broadcast on data."""
    steps = data.shape[axis]
    batch = data.shape[1 - axis]
    t = F.arange(steps, ctx=data.context, dtype=data.dtype).reshape((steps, 1))
    vl = valid_length.astype(data.dtype, copy=False).reshape((1, batch))
    mask = F.broadcast_lesser(t, vl)
    if axis == 1:
        mask = F.transpose(mask)
    return mask.reshape(mask.shape + (1,) * (data.ndim - 2))


def _sequence_mask(F: Any, data: NDArray, valid_length: NDArray, axis: int) -> NDArray:
    """Zero the steps of ``data`` (time on ``axis`` 0 or 1) past each sequence's length."""
    return F.broadcast_mul(data, _time_mask(F, data, valid_length, axis))


def _sequence_last(F: Any, data: NDArray, valid_length: NDArray) -> NDArray:
    """The step ``valid_length - 1`` of each sequence of a time-major ``data``."""
    steps, batch = data.shape[0], data.shape[1]
    last = valid_length.astype(data.dtype, copy=False) - 1
    pick = F.transpose(F.one_hot(last, depth=steps, dtype=data.dtype))
    pick = pick.reshape((steps, batch) + (1,) * (data.ndim - 2))
    return F.sum(F.broadcast_mul(data, pick), axis=0)


def _sequence_reverse(F: Any, data: NDArray, valid_length: Optional[NDArray]) -> NDArray:
    """Reverse a time-major ``data`` along time; with ``valid_length`` only each sequence's
    valid steps are reversed and the padding stays in place."""
    if valid_length is None:
        return F.reverse(data, axis=0)
    steps, batch = data.shape[0], data.shape[1]
    ctx = data.context
    t = F.arange(steps, ctx=ctx, dtype="float32").reshape((steps, 1))
    vl = valid_length.astype("float32", copy=False).reshape((1, batch))
    inside = F.broadcast_lesser(t, vl)
    mirrored = F.broadcast_sub(vl - 1, t)
    plain = F.broadcast_to(t, shape=(steps, batch))
    source = inside * mirrored + (1 - inside) * plain
    batch_ids = F.broadcast_to(F.arange(batch, ctx=ctx, dtype="float32").reshape((1, batch)),
                               shape=(steps, batch))
    return F.gather_nd(data, F.stack(source, batch_ids, axis=0))


def _mask_sequence_variable_length(F: Any, data: Inputs, valid_length: NDArray, time_axis: int,
                                   merge: bool) -> Inputs:
    """Zero the steps past each sequence's length; a list comes back as a list unless merge."""
    if not isinstance(data, NDArray):
        data = F.stack(*data, axis=time_axis)
    outputs = _sequence_mask(F, data, valid_length, time_axis)
    if not merge:
        outputs = _split_steps(F, outputs, time_axis)
    return outputs


def _reverse_sequences(sequences: Sequence[NDArray], unroll_step: int,
                       valid_length: Optional[NDArray] = None) -> List[NDArray]:
    if valid_length is None:
        return list(reversed(sequences))
    F = ndarray
    merged = _sequence_reverse(F, F.stack(*sequences, axis=0), valid_length)
    return _split_steps(F, merged, 0)


def _get_activation(F: Any, inputs: NDArray, activation: Any) -> NDArray:
    """Apply ``activation``: a name ('tanh', 'relu', 'sigmoid', 'softsign', or any
    ``Activation`` act_type), a Block, or a callable."""
    if isinstance(activation, str):
        func = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid,
                "softsign": F.softsign}.get(activation)
        if func is not None:
            return func(inputs)
        return F.Activation(inputs, act_type=activation)
    if callable(activation):
        return activation(inputs)
    raise MXNetTypeError(f"recurrent cell: activation must be a string, a Block or a callable; "
                         f"got {type(activation).__name__}")


# -- the step functions shared with the layers --------------------------------------------------
def _rnn_step(F: Any, i2h: NDArray, h2h: NDArray, activation: Any) -> NDArray:
    return _get_activation(F, i2h + h2h, activation)


def _lstm_step(F: Any, i2h: NDArray, h2h: NDArray, prev_c: NDArray, activation: Any = "tanh",
               recurrent_activation: Any = "sigmoid") -> Tuple[NDArray, NDArray]:
    """One LSTM step from the projected input and hidden state; gates in order i, f, c, o."""
    gates = _as_list(F.split(i2h + h2h, num_outputs=4, axis=1))
    in_gate = _get_activation(F, gates[0], recurrent_activation)
    forget_gate = _get_activation(F, gates[1], recurrent_activation)
    in_transform = _get_activation(F, gates[2], activation)
    out_gate = _get_activation(F, gates[3], recurrent_activation)
    next_c = forget_gate * prev_c + in_gate * in_transform
    next_h = out_gate * _get_activation(F, next_c, activation)
    return next_h, next_c


def _gru_step(F: Any, i2h: NDArray, h2h: NDArray, prev_h: NDArray, activation: Any = "tanh",
              recurrent_activation: Any = "sigmoid") -> NDArray:
    """One GRU step, gates r, z, n; the reset gate scales the hidden matmul (cuDNN's form)."""
    i2h_r, i2h_z, i2h_n = _as_list(F.split(i2h, num_outputs=3, axis=1))
    h2h_r, h2h_z, h2h_n = _as_list(F.split(h2h, num_outputs=3, axis=1))
    reset_gate = _get_activation(F, i2h_r + h2h_r, recurrent_activation)
    update_gate = _get_activation(F, i2h_z + h2h_z, recurrent_activation)
    candidate = _get_activation(F, i2h_n + reset_gate * h2h_n, activation)
    return (1 - update_gate) * candidate + update_gate * prev_h
