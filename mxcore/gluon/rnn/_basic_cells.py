"""The basic cells: RNNCell, LSTMCell, LSTMPCell, GRUCell (gate order and formulas of
MXNet's fused ``RNN`` operator) and DropoutCell."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from ...base import MXNetValueError
from ...ndarray import NDArray
from ...symbol import Symbol
from ._cell_base import HybridRecurrentCell
from ._sequence import Inputs, _format_sequence, _gru_step, _lstm_step, _rnn_step

__all__ = ["RNNCell", "LSTMCell", "LSTMPCell", "GRUCell", "DropoutCell"]


def _nc_state(batch_size: int, size: int) -> dict:
    return {"shape": (batch_size, size), "__layout__": "NC"}


def _prod(shape: Sequence[int]) -> int:
    size = 1
    for dim in shape:
        size *= dim
    return size


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


class _TwoActivationCell(_GatedCell):
    """The constructor shared by LSTMCell and GRUCell (an activation and a recurrent one)."""

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid") -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation


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
        return [_nc_state(batch_size, self._hidden_size)]

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


class LSTMCell(_TwoActivationCell):
    """Long short-term memory cell; states ``[h, c]``, gates in MXNet's order i, f, c, o.

    Example::

        >>> cell = mx.gluon.rnn.LSTMCell(4)
        >>> cell.initialize()
        >>> out, (h, c) = cell(mx.nd.ones((2, 3)), cell.begin_state(2))
        >>> c.shape
        (2, 4)
    """

    _num_gates = 4

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [_nc_state(batch_size, self._hidden_size) for _ in range(2)]

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
        return [_nc_state(batch_size, self._projection_size),
                _nc_state(batch_size, self._hidden_size)]

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


class GRUCell(_TwoActivationCell):
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

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [_nc_state(batch_size, self._hidden_size)]

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
        if isinstance(inputs, (NDArray, Symbol)):
            return self.hybrid_forward(F, inputs, list(begin_state or []))
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs, valid_length=valid_length)
