"""Sequence helpers of the recurrent cells: input formatting, masking, reversing, last-step
selection, activations, and the RNN/LSTM/GRU step functions.

The helpers the cells' ``unroll`` uses accept Symbols too (``F = mx.sym``, inside a traced
``hybrid_forward``): they need the number of steps, which ``unroll`` knows, but never the
batch size. The recurrent layers run the fused ``RNN`` operator instead.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

from ... import ndarray, symbol
from ...base import MXNetTypeError, MXNetValueError
from ...ndarray import NDArray
from ...symbol import Symbol

Inputs = Union[NDArray, Sequence[NDArray]]


# -- sequence helpers --------------------------------------------------------------------------
def _as_list(x: Any) -> list:
    """Items of a list/tuple, or the outputs of a multi-output Symbol, else ``[x]``."""
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, Symbol) and len(x) > 1:
        return list(x)
    return [x]


def _split_steps(F: Any, data: NDArray, axis: int,
                 length: Optional[int] = None) -> List[NDArray]:
    """Split ``data`` along ``axis`` into its steps, dropping that axis (a Symbol needs
    ``length``)."""
    if isinstance(data, Symbol):
        if length is None:
            raise MXNetValueError("unroll: a Symbol sequence needs its length; pass length "
                                  "to unroll")
    else:
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
    if isinstance(inputs, Symbol) or (isinstance(inputs, (list, tuple)) and inputs and
                                      all(isinstance(x, Symbol) for x in inputs)):
        return _format_symbols(length, inputs, axis, in_axis, merge)
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


def _format_symbols(length: Optional[int], inputs: Any, axis: int, in_axis: int,
                    merge: Optional[bool]) -> Tuple[Any, int, Any, int]:
    """``_format_sequence`` for Symbols (batch size 0: unknown until the graph runs)."""
    F = symbol
    if isinstance(inputs, Symbol):
        if len(inputs) != 1:
            raise MXNetValueError(f"unroll: a Symbol input must have one output; got "
                                  f"{len(inputs)}")
        if merge is False:
            inputs = _split_steps(F, inputs, in_axis, length)
    else:
        if length is not None and len(inputs) != length:
            raise MXNetValueError(f"unroll: length {length} does not match the "
                                  f"{len(inputs)} input steps given")
        inputs = list(inputs)
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if isinstance(inputs, Symbol) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, 0


def _step_keep(F: Any, valid_length: Any, t: int) -> Any:
    """(batch,) non-zero where step ``t`` lies inside the sequence (``t < valid_length``)."""
    return F._greater_scalar(valid_length, scalar=float(t))


def _mask_steps(F: Any, steps: Sequence[Any], valid_length: Any) -> List[Any]:
    """Zero each (batch, ...) step past its sequence's length (any F, no shapes read)."""
    return [F.where(_step_keep(F, valid_length, t), x, F.zeros_like(x))
            for t, x in enumerate(steps)]


def _last_steps(F: Any, steps: Sequence[Any], valid_length: Any) -> Any:
    """The step ``valid_length - 1`` of each sequence (zeros for length 0) from a list of
    (batch, ...) steps (any F, no shapes read)."""
    last = F.where(_step_keep(F, valid_length, 0), steps[0], F.zeros_like(steps[0]))
    for t in range(1, len(steps)):
        last = F.where(_step_keep(F, valid_length, t), steps[t], last)
    return last


def _mask_sequence_variable_length(F: Any, data: Inputs, valid_length: NDArray, time_axis: int,
                                   merge: bool, length: Optional[int] = None) -> Inputs:
    """Zero the steps past each sequence's length; a list comes back as a list unless merge.
    A merged Symbol ``data`` needs ``length``."""
    steps = data if isinstance(data, (list, tuple)) else \
        _split_steps(F, data, time_axis, length)
    outputs = _mask_steps(F, steps, valid_length)
    return F.stack(*outputs, axis=time_axis) if merge else outputs


def _reverse_sequences(sequences: Sequence[NDArray], unroll_step: int,
                       valid_length: Optional[NDArray] = None) -> List[NDArray]:
    """The steps in reverse order; with ``valid_length`` only each sequence's valid steps
    are reversed (the padding stays in place)."""
    if valid_length is None:
        return list(reversed(sequences))
    symbolic = any(isinstance(x, Symbol) for x in sequences) or isinstance(valid_length, Symbol)
    F = symbol if symbolic else ndarray
    merged = F.SequenceReverse(F.stack(*sequences, axis=0), valid_length,
                               use_sequence_length=True)
    return _split_steps(F, merged, 0, unroll_step)


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
