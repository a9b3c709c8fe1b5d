"""Recurrent cells: RNNCell, LSTMCell, GRUCell, SequentialRNNCell, ... with unroll.

A cell computes one time step, ``output, new_states = cell(inputs, states)``; ``unroll`` runs it
over a sequence. Gate order and formulas follow MXNet's fused ``RNN`` operator (LSTM gates
``i, f, c, o``; GRU gates ``r, z, n`` with the reset gate applied after the hidden matmul), so a
cell and the matching ``rnn.LSTM``/``rnn.GRU`` layer give the same result with the same weights.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

from ... import ndarray
from ...base import MXNetTypeError, MXNetValueError
from ...ndarray import NDArray
from ..block import Block, HybridBlock

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell",
           "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "BidirectionalCell", "LSTMPCell"]

Inputs = Union[NDArray, Sequence[NDArray]]


# -- sequence helpers (also used by rnn_layer) -----------------------------------------------
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


def _prod(shape: Sequence[int]) -> int:
    size = 1
    for dim in shape:
        size *= dim
    return size


# -- base classes --------------------------------------------------------------------------------
class RecurrentCell(Block):
    """Abstract base class for RNN cells.

    Example::

        >>> cell = mx.gluon.rnn.LSTMCell(8)
        >>> cell.initialize()
        >>> outputs, states = cell.unroll(5, mx.nd.ones((2, 5, 3)), merge_outputs=True)
        >>> outputs.shape
        (2, 5, 8)
    """

    def __init__(self, prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Reset the step counters before a new unroll."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            if isinstance(cell, RecurrentCell):
                cell.reset()

    def state_info(self, batch_size: int = 0) -> List[dict]:
        """Shape and layout of each state (``{'shape': ..., '__layout__': ...}``)."""
        raise NotImplementedError()

    def _check_not_modified(self, what: str) -> None:
        if self._modified:
            raise MXNetValueError(f"{type(self).__name__}.{what}: this cell is wrapped by a "
                                  f"modifier cell; call the modifier's {what} instead")

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = ndarray.zeros,
                    **kwargs: Any) -> List[NDArray]:
        """Initial states, one ``func(name=..., **state_info, **kwargs)`` per state."""
        self._check_not_modified("begin_state")
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info) if info is not None else {}
            info.update(kwargs)
            states.append(func(name=f"{self.prefix}begin_state_{self._init_counter}", **info))
        return states

    def unroll(self, length: Optional[int], inputs: Inputs,
               begin_state: Optional[List[NDArray]] = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Inputs, List[NDArray]]:
        """Run the cell over ``length`` steps of ``inputs`` (one array in ``layout`` or a list
        of (batch, ...) steps). Returns (outputs, final states); outputs are merged into one
        array when ``merge_outputs`` (None keeps the input's form). With ``valid_length``
        (batch,), outputs past each length are zero and states are those at its last step."""
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        length = len(inputs)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        outputs = []
        all_states = []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [_sequence_last(F, F.stack(*steps, axis=0), valid_length)
                      for steps in zip(*all_states)]
            outputs = _mask_sequence_variable_length(F, outputs, valid_length, axis, True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def forward(self, inputs: NDArray, states: List[NDArray]) -> Tuple[NDArray, List[NDArray]]:
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """RecurrentCell that computes with ``hybrid_forward(F, inputs, states, **params)``."""

    def hybrid_forward(self, F: Any, x: NDArray, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError()


def _get_begin_state(cell: RecurrentCell, F: Any, begin_state: Optional[List[NDArray]],
                     inputs: Inputs, batch_size: int) -> List[NDArray]:
    if begin_state is not None:
        return _as_list(begin_state)
    first = inputs if isinstance(inputs, NDArray) else inputs[0]
    with first.context:
        return cell.begin_state(func=F.zeros, batch_size=batch_size, dtype=first.dtype)


def _cells_state_info(cells: Sequence[RecurrentCell], batch_size: int) -> List[dict]:
    return [info for c in cells for info in c.state_info(batch_size)]


def _cells_begin_state(cells: Sequence[RecurrentCell], **kwargs: Any) -> List[NDArray]:
    return [state for c in cells for state in c.begin_state(**kwargs)]


class _GatedCell(HybridRecurrentCell):
    """Shared parameters and shape inference of RNNCell, LSTMCell and GRUCell."""

    _num_gates = 1

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, input_size: int, prefix: Optional[str],
                 params: Any, recurrent_size: Optional[int] = None) -> None:
        super().__init__(prefix=prefix, params=params)
        gated = self._num_gates * hidden_size
        self._hidden_size = hidden_size
        self._input_size = input_size
        self.i2h_weight = self.params.get("i2h_weight", shape=(gated, input_size),
                                          init=i2h_weight_initializer,
                                          allow_deferred_init=True)
        self.h2h_weight = self.params.get("h2h_weight",
                                          shape=(gated, recurrent_size or hidden_size),
                                          init=h2h_weight_initializer,
                                          allow_deferred_init=True)
        self.i2h_bias = self.params.get("i2h_bias", shape=(gated,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get("h2h_bias", shape=(gated,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def infer_shape(self, inputs: NDArray, *args: Any) -> None:
        self.i2h_weight.shape = (self._num_gates * self._hidden_size, _prod(inputs.shape[1:]))

    def _project(self, F: Any, inputs: NDArray, hidden: NDArray, i2h_weight: NDArray,
                 h2h_weight: NDArray, i2h_bias: NDArray, h2h_bias: NDArray
                 ) -> Tuple[NDArray, NDArray]:
        units = self._num_gates * self._hidden_size
        i2h = F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=units)
        h2h = F.FullyConnected(hidden, h2h_weight, h2h_bias, num_hidden=units)
        return i2h, h2h

    def __repr__(self) -> str:
        shape = self.i2h_weight.shape
        mapping = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{type(self).__name__}({mapping})"


class RNNCell(_GatedCell):
    """Elman RNN cell: ``h' = activation(W_ih x + b_ih + W_hh h + b_hh)``.

    Example::

        >>> cell = mx.gluon.rnn.RNNCell(4)
        >>> cell.initialize()
        >>> out, states = cell(mx.nd.ones((2, 3)), cell.begin_state(2))
        >>> out.shape
        (2, 4)
    """

    def __init__(self, hidden_size: int, activation: Any = "tanh",
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def _alias(self) -> str:
        return "rnn"

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", {self._activation})"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray],
                       i2h_weight: NDArray, h2h_weight: NDArray, i2h_bias: NDArray,
                       h2h_bias: NDArray) -> Tuple[NDArray, List[NDArray]]:
        i2h, h2h = self._project(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                 h2h_bias)
        output = _rnn_step(F, i2h, h2h, self._activation)
        return output, [output]


class LSTMCell(_GatedCell):
    """Long short-term memory cell; states ``[h, c]``, gates in MXNet's order i, f, c, o.

    Example::

        >>> cell = mx.gluon.rnn.LSTMCell(4)
        >>> cell.initialize()
        >>> out, (h, c) = cell(mx.nd.ones((2, 3)), cell.begin_state(2))
        >>> c.shape
        (2, 4)
    """

    _num_gates = 4

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid") -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def state_info(self, batch_size: int = 0) -> List[dict]:
        info = {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}
        return [info, dict(info)]

    def _alias(self) -> str:
        return "lstm"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray],
                       i2h_weight: NDArray, h2h_weight: NDArray, i2h_bias: NDArray,
                       h2h_bias: NDArray) -> Tuple[NDArray, List[NDArray]]:
        i2h, h2h = self._project(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                 h2h_bias)
        next_h, next_c = _lstm_step(F, i2h, h2h, states[1], self._activation,
                                    self._recurrent_activation)
        return next_h, [next_h, next_c]


class LSTMPCell(_GatedCell):
    """LSTM cell with a projected hidden state (``h = W_hr (o * tanh(c))``); states
    ``[r, c]`` of sizes ``projection_size`` and ``hidden_size``.

    Example::

        >>> cell = mx.gluon.rnn.LSTMPCell(8, 3)
        >>> cell.initialize()
        >>> out, states = cell(mx.nd.ones((2, 5)), cell.begin_state(2))
        >>> out.shape
        (2, 3)
    """

    _num_gates = 4

    def __init__(self, hidden_size: int, projection_size: int,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 h2r_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params,
                         recurrent_size=projection_size)
        self._projection_size = projection_size
        self.h2r_weight = self.params.get("h2r_weight", shape=(projection_size, hidden_size),
                                          init=h2r_weight_initializer,
                                          allow_deferred_init=True)

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [{"shape": (batch_size, self._projection_size), "__layout__": "NC"},
                {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def _alias(self) -> str:
        return "lstmp"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray],
                       i2h_weight: NDArray, h2h_weight: NDArray, h2r_weight: NDArray,
                       i2h_bias: NDArray, h2h_bias: NDArray) -> Tuple[NDArray, List[NDArray]]:
        i2h, h2h = self._project(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                 h2h_bias)
        hidden, next_c = _lstm_step(F, i2h, h2h, states[1])
        next_r = F.FullyConnected(hidden, h2r_weight, None, num_hidden=self._projection_size,
                                  no_bias=True)
        return next_r, [next_r, next_c]


class GRUCell(_GatedCell):
    """Gated recurrent unit cell with MXNet's (cuDNN's) formula, gates r, z, n:
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Example::

        >>> cell = mx.gluon.rnn.GRUCell(4)
        >>> cell.initialize()
        >>> out, states = cell(mx.nd.ones((2, 3)), cell.begin_state(2))
        >>> out.shape
        (2, 4)
    """

    _num_gates = 3

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid") -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def _alias(self) -> str:
        return "gru"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray],
                       i2h_weight: NDArray, h2h_weight: NDArray, i2h_bias: NDArray,
                       h2h_bias: NDArray) -> Tuple[NDArray, List[NDArray]]:
        i2h, h2h = self._project(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                 h2h_bias)
        next_h = _gru_step(F, i2h, h2h, states[0], self._activation,
                           self._recurrent_activation)
        return next_h, [next_h]


# -- containers ----------------------------------------------------------------------------------
class SequentialRNNCell(RecurrentCell):
    """Stack of cells applied one after another; states are the cells' states concatenated.

    Example::

        >>> stack = mx.gluon.rnn.SequentialRNNCell()
        >>> with stack.name_scope():
        ...     stack.add(mx.gluon.rnn.LSTMCell(4))
        ...     stack.add(mx.gluon.rnn.GRUCell(4))
        >>> stack.initialize()
        >>> len(stack.begin_state(2))
        3
    """

    def __init__(self, prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._layers: List[RecurrentCell] = []

    def add(self, cell: RecurrentCell) -> None:
        """Append a cell to the stack."""
        self._layers.append(cell)
        self.register_child(cell)

    def __repr__(self) -> str:
        lines = "\n".join(f"  ({i}): {cell!r}" for i, cell in enumerate(self._layers))
        return f"{type(self).__name__}(\n{lines}\n)"

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return _cells_state_info(self._layers, batch_size)

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = ndarray.zeros,
                    **kwargs: Any) -> List[NDArray]:
        self._check_not_modified("begin_state")
        return _cells_begin_state(self._layers, batch_size=batch_size, func=func, **kwargs)

    def _check_steppable(self) -> None:
        for cell in self._layers:
            if isinstance(cell, BidirectionalCell):
                raise MXNetValueError(f"{type(self).__name__}: a BidirectionalCell in the "
                                      f"stack cannot be stepped; use unroll")

    def forward(self, inputs: NDArray, states: List[NDArray]) -> Tuple[NDArray, List[NDArray]]:
        self._counter += 1
        self._check_steppable()
        next_states: List[NDArray] = []
        start = 0
        for cell in self._layers:
            count = len(cell.state_info())
            inputs, state = cell(inputs, list(states[start:start + count]))
            start += count
            next_states.extend(state)
        return inputs, next_states

    def unroll(self, length: Optional[int], inputs: Inputs,
               begin_state: Optional[List[NDArray]] = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Inputs, List[NDArray]]:
        self.reset()
        inputs, _, F, batch_size = _format_sequence(length, inputs, layout, None)
        begin_state = _get_begin_state(self, F, begin_state, inputs, batch_size)
        start = 0
        next_states: List[NDArray] = []
        for i, cell in enumerate(self._layers):
            count = len(cell.state_info())
            last = i == len(self._layers) - 1
            inputs, states = cell.unroll(length, inputs=inputs,
                                         begin_state=begin_state[start:start + count],
                                         layout=layout,
                                         merge_outputs=merge_outputs if last else None,
                                         valid_length=valid_length)
            start += count
            next_states.extend(states)
        return inputs, next_states

    def __getitem__(self, i: int) -> RecurrentCell:
        return self._layers[i]

    def __len__(self) -> int:
        return len(self._layers)


class HybridSequentialRNNCell(SequentialRNNCell, HybridBlock):
    """SequentialRNNCell of hybridizable cells."""

    def hybrid_forward(self, F: Any, x: NDArray, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError()


class DropoutCell(HybridRecurrentCell):
    """Applies dropout to the inputs (no states); active in training mode only.

    Example::

        >>> cell = mx.gluon.rnn.DropoutCell(0.5)
        >>> out, states = cell(mx.nd.ones((2, 3)), [])
        >>> out.shape
        (2, 3)
    """

    def __init__(self, rate: float, axes: Tuple[int, ...] = (), prefix: Optional[str] = None,
                 params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise MXNetValueError(f"DropoutCell: rate must be a number in [0, 1]; got {rate!r}")
        self._rate = float(rate)
        self._axes = tuple(axes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return []

    def _alias(self) -> str:
        return "dropout"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray]
                       ) -> Tuple[NDArray, List[NDArray]]:
        if self._rate > 0:
            inputs = F.Dropout(inputs, p=self._rate, axes=self._axes)
        return inputs, states

    def unroll(self, length: Optional[int], inputs: Inputs,
               begin_state: Optional[List[NDArray]] = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Inputs, List[NDArray]]:
        self.reset()
        inputs, _, F, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if isinstance(inputs, NDArray):
            return self.hybrid_forward(F, inputs, list(begin_state or []))
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs, valid_length=valid_length)


class ModifierCell(HybridRecurrentCell):
    """Base class for cells that wrap another cell (zoneout, residual, ...). The wrapped cell
    must not be used on its own afterwards; the modifier owns its parameters."""

    def __init__(self, base_cell: RecurrentCell) -> None:
        if not isinstance(base_cell, RecurrentCell):
            raise MXNetTypeError(f"{type(self).__name__}: base_cell must be a RecurrentCell; "
                                 f"got {type(base_cell).__name__}")
        if base_cell._modified:
            raise MXNetValueError(f"{type(self).__name__}: cell {base_cell.name} is already "
                                  f"wrapped by a modifier cell")
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self) -> Any:
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = ndarray.zeros,
                    **kwargs: Any) -> List[NDArray]:
        self._check_not_modified("begin_state")
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(batch_size=batch_size, func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_cell!r})"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray]) -> Any:
        raise NotImplementedError()


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al. 2016): in training, each output/state unit keeps its previous
    value with probability ``zoneout_outputs``/``zoneout_states``.

    Example::

        >>> cell = mx.gluon.rnn.ZoneoutCell(mx.gluon.rnn.GRUCell(4), zoneout_states=0.3)
        >>> cell.initialize()
        >>> out, states = cell.unroll(3, mx.nd.ones((2, 3, 5)), merge_outputs=True)
        >>> out.shape
        (2, 3, 4)
    """

    def __init__(self, base_cell: RecurrentCell, zoneout_outputs: float = 0.0,
                 zoneout_states: float = 0.0) -> None:
        if isinstance(base_cell, BidirectionalCell):
            raise MXNetValueError("ZoneoutCell: a BidirectionalCell cannot be wrapped; wrap "
                                  "its two cells instead")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output: Optional[NDArray] = None

    def _alias(self) -> str:
        return "zoneout"

    def reset(self) -> None:
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray]
                       ) -> Tuple[NDArray, List[NDArray]]:
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p: float, like: NDArray) -> NDArray:
            return F.Dropout(F.ones_like(like), p=p)

        prev_output = self._prev_output
        if prev_output is None:
            prev_output = F.zeros_like(next_output)
        output = next_output
        if self.zoneout_outputs != 0:
            output = F.where(keep_new(self.zoneout_outputs, next_output), next_output,
                             prev_output)
        if self.zoneout_states != 0:
            next_states = [F.where(keep_new(self.zoneout_states, new), new, old)
                           for new, old in zip(next_states, states)]
        self._prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """Adds the input to the base cell's output (``output = cell(x) + x``).

    Example::

        >>> cell = mx.gluon.rnn.ResidualCell(mx.gluon.rnn.GRUCell(3))
        >>> cell.initialize()
        >>> out, states = cell(mx.nd.ones((2, 3)), cell.begin_state(2))
        >>> out.shape
        (2, 3)
    """

    def _alias(self) -> str:
        return "residual"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: List[NDArray]
                       ) -> Tuple[NDArray, List[NDArray]]:
        output, states = self.base_cell(inputs, states)
        return output + inputs, states

    def unroll(self, length: Optional[int], inputs: Inputs,
               begin_state: Optional[List[NDArray]] = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Inputs, List[NDArray]]:
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs,
                                                    begin_state=begin_state, layout=layout,
                                                    merge_outputs=merge_outputs,
                                                    valid_length=valid_length)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, NDArray)
        inputs, axis, F, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if valid_length is not None:
            inputs = _mask_sequence_variable_length(F, inputs, valid_length, axis,
                                                    merge_outputs)
        if merge_outputs:
            return outputs + inputs, states
        return [o + i for o, i in zip(outputs, inputs)], states


class BidirectionalCell(HybridRecurrentCell):
    """Runs ``l_cell`` forward and ``r_cell`` backward in time and concatenates their outputs
    on the feature axis. Only ``unroll`` is possible (a bidirectional cell cannot be stepped).

    Example::

        >>> cell = mx.gluon.rnn.BidirectionalCell(mx.gluon.rnn.LSTMCell(4, prefix='l0_'),
        ...                                       mx.gluon.rnn.LSTMCell(4, prefix='r0_'))
        >>> cell.initialize()
        >>> out, states = cell.unroll(3, mx.nd.ones((2, 3, 5)), merge_outputs=True)
        >>> out.shape
        (2, 3, 8)
    """

    def __init__(self, l_cell: RecurrentCell, r_cell: RecurrentCell,
                 output_prefix: str = "bi_") -> None:
        super().__init__(prefix="", params=None)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")
        self._cells = (l_cell, r_cell)
        self._output_prefix = output_prefix

    def __call__(self, inputs: Any, states: Any = None) -> Any:
        raise MXNetValueError("BidirectionalCell cannot be stepped; use unroll")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(forward={self._cells[0]!r}, " \
               f"backward={self._cells[1]!r})"

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return _cells_state_info(self._cells, batch_size)

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = ndarray.zeros,
                    **kwargs: Any) -> List[NDArray]:
        self._check_not_modified("begin_state")
        return _cells_begin_state(self._cells, batch_size=batch_size, func=func, **kwargs)

    def unroll(self, length: Optional[int], inputs: Inputs,
               begin_state: Optional[List[NDArray]] = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Inputs, List[NDArray]]:
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        length = len(inputs)
        reversed_inputs = _reverse_sequences(inputs, length, valid_length)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        l_cell, r_cell = self._cells
        num_l = len(l_cell.state_info(batch_size))
        l_outputs, l_states = l_cell.unroll(length, inputs=inputs, begin_state=states[:num_l],
                                            layout=layout, merge_outputs=merge_outputs,
                                            valid_length=valid_length)
        r_outputs, r_states = r_cell.unroll(length, inputs=reversed_inputs,
                                            begin_state=states[num_l:], layout=layout,
                                            merge_outputs=False, valid_length=valid_length)
        reversed_r_outputs = _reverse_sequences(r_outputs, length, valid_length)
        if merge_outputs is None:
            merge_outputs = isinstance(l_outputs, NDArray)
        l_outputs, _, _, _ = _format_sequence(None, l_outputs, layout, merge_outputs)
        if merge_outputs:
            r_merged = F.stack(*reversed_r_outputs, axis=axis)
            outputs = F.concat(l_outputs, r_merged, dim=2)
        else:
            outputs = [F.concat(lo, ro, dim=1) for lo, ro in zip(l_outputs, reversed_r_outputs)]
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(F, outputs, valid_length, axis,
                                                     merge_outputs)
        return outputs, list(l_states) + list(r_states)
