"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, TNC/NTC).

Each layer holds the parameters of MXNet's fused ``RNN`` operator under MXNet's names
(``l0_i2h_weight``, ``r0_h2h_bias`` ...), so the weights load from MXNet checkpoints, and runs
that operator (:mod:`mxcore.ops.rnn`) on them flattened in its order: the same recurrences as
the cells in :mod:`rnn_cell`, and one node whatever the sequence length when hybridized.
States have shape (num_layers * directions, batch, hidden), ordered layer 0 forward, layer 0
backward, layer 1 forward, ...
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

from ... import ndarray
from ...base import MXNetTypeError, MXNetValueError
from ...ndarray import NDArray
from ...symbol import Symbol
from ..block import HybridBlock
from . import rnn_cell

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def _check_positive_int(layer: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise MXNetValueError(f"{layer}: {name} must be a positive integer; got {value!r}")
    return value


class _RNNLayer(HybridBlock):
    """Shared implementation of RNN, LSTM and GRU."""

    def __init__(self, hidden_size: int, num_layers: int, layout: str, dropout: float,
                 bidirectional: bool, input_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, mode: str, projection_size: Optional[int],
                 h2r_weight_initializer: Any, lstm_state_clip_min: Optional[float],
                 lstm_state_clip_max: Optional[float], lstm_state_clip_nan: bool,
                 dtype: Any, use_sequence_length: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        if layout not in ("TNC", "NTC"):
            raise MXNetValueError(f"{name}: invalid layout {layout!r}; must be one of "
                                  f"['TNC' or 'NTC']")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise MXNetValueError(f"{name}: dropout must be in [0, 1); got {dropout!r}")
        self._hidden_size = _check_positive_int(name, "hidden_size", hidden_size)
        self._projection_size = projection_size if projection_size else None
        if self._projection_size is not None:
            _check_positive_int(name, "projection_size", projection_size)
        self._num_layers = _check_positive_int(name, "num_layers", num_layers)
        self._mode = mode
        self._layout = layout
        self._dropout = float(dropout)
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._h2r_weight_initializer = h2r_weight_initializer
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self._gates = _GATES[mode]
        self.skip_states = True
        gated, hidden = self._gates * hidden_size, hidden_size
        recurrent = self._projection_size or hidden
        features = input_size
        for i in range(num_layers):
            for side in "lr"[:self._dir]:
                self._register_param(f"{side}{i}_i2h_weight", (gated, features),
                                     i2h_weight_initializer)
                self._register_param(f"{side}{i}_h2h_weight", (gated, recurrent),
                                     h2h_weight_initializer)
                if self._projection_size is not None:
                    self._register_param(f"{side}{i}_h2r_weight", (recurrent, hidden),
                                         h2r_weight_initializer)
                self._register_param(f"{side}{i}_i2h_bias", (gated,), i2h_bias_initializer)
                self._register_param(f"{side}{i}_h2h_bias", (gated,), h2h_bias_initializer)
            features = recurrent * self._dir

    def _register_param(self, name: str, shape: Tuple[int, ...], init: Any) -> Any:
        param = self.params.get(name, shape=shape, init=init, allow_deferred_init=True,
                                dtype=self._dtype)
        setattr(self, name, param)
        return param

    def __repr__(self) -> str:
        text = f"{type(self).__name__}({{mapping}}, {self._layout}"
        if self._num_layers != 1:
            text += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            text += f", dropout={self._dropout}"
        if self._dir == 2:
            text += ", bidirectional"
        shape = self.l0_i2h_weight.shape
        mapping = f"{shape[1] if shape[1] else None} -> {shape[0] // self._gates}"
        return text.format(mapping=mapping) + ")"

    def state_info(self, batch_size: int = 0) -> List[dict]:
        raise NotImplementedError()

    def cast(self, dtype: Any) -> None:
        super().cast(dtype)
        self._dtype = dtype

    def infer_shape(self, inputs: NDArray, *args: Any) -> None:
        if not isinstance(inputs, NDArray) or inputs.ndim != 3:
            shape = inputs.shape if isinstance(inputs, NDArray) else type(inputs).__name__
            raise MXNetValueError(f"{type(self).__name__}: input data should be a rank-3 "
                                  f"tensor in layout {self._layout}; got {shape}")
        features = inputs.shape[2]
        step = self._projection_size or self._hidden_size
        for i in range(self._num_layers):
            for side in "lr"[:self._dir]:
                param = getattr(self, f"{side}{i}_i2h_weight")
                param.shape = (self._gates * self._hidden_size, features)
            features = step * self._dir

    def begin_state(self, batch_size: int = 0, func: Any = ndarray.zeros,
                    **kwargs: Any) -> List[NDArray]:
        """Initial states: ``func(name=..., shape=..., **kwargs)`` for each of state_info."""
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info = dict(info) if info is not None else {}
            info.update(kwargs)
            states.append(func(name=f"{self.prefix}h0_{i}", **info))
        return states

    def __call__(self, inputs: Any, states: Union[None, Any, List[Any]] = None,
                 sequence_length: Optional[Any] = None, **kwargs: Any) -> Any:
        """Returns the output when ``states`` is None (zero initial states), else
        ``(output, new_states)``."""
        self.skip_states = states is None
        if not isinstance(inputs, (NDArray, Symbol)):
            raise MXNetTypeError(f"{type(self).__name__}: inputs must be an NDArray; got "
                                 f"{type(inputs).__name__}")
        if states is None:
            states = []  # zeros made from the input inside the graph (traces to one input)
        elif isinstance(states, (NDArray, Symbol)):
            states = [states]
        if self._use_sequence_length:
            return super().__call__(inputs, list(states), sequence_length, **kwargs)
        return super().__call__(inputs, list(states), **kwargs)

    def hybrid_forward(self, F: Any, inputs: Any, states: List[Any],
                       sequence_length: Optional[Any] = None, **kwargs: Any) -> Any:
        name = type(self).__name__
        if isinstance(inputs, NDArray):
            self._check_call(name, inputs, states)
        if self._use_sequence_length and sequence_length is None:
            raise MXNetValueError(f"{name}: use_sequence_length=True needs sequence_length")
        out = self._forward_kernel(F, inputs, states, sequence_length, **kwargs)
        return out[0] if self.skip_states else out

    def _check_call(self, name: str, inputs: NDArray, states: List[NDArray]) -> None:
        if inputs.ndim != 3:
            raise MXNetValueError(f"{name}: input data should be a rank-3 tensor in layout "
                                  f"{self._layout}; got shape {inputs.shape}")
        infos = self.state_info(inputs.shape[self._layout.find("N")])
        if not states:
            return
        if len(states) != len(infos):
            raise MXNetValueError(f"{name}: expected {len(infos)} recurrent states; got "
                                  f"{len(states)}")
        for state, info in zip(states, infos):
            if state.shape != info["shape"]:
                raise MXNetValueError(f"{name}: invalid recurrent state shape. Expecting "
                                      f"{info['shape']}, got {state.shape}.")

    # -- the recurrence: MXNet's fused RNN operator ---------------------------------------------
    def _flat_parameters(self, F: Any, params: Dict[str, Any]) -> Any:
        """Every weight, then every bias, flattened in the fused operator's order."""
        names = [f"{side}{i}_{group}_weight" for i in range(self._num_layers)
                 for side in "lr"[:self._dir] for group in ("i2h", "h2h", "h2r")
                 if group != "h2r" or self._projection_size is not None]
        names += [f"{side}{i}_{group}_bias" for i in range(self._num_layers)
                  for side in "lr"[:self._dir] for group in ("i2h", "h2h")]
        return F.concat(*[F.reshape(params[n], shape=(-1,)) for n in names], dim=0)

    def _zero_states(self, F: Any, inputs: Any) -> List[Any]:
        """Zero initial states shaped from the time-major ``inputs`` by graph ops."""
        column = F.sum(F.zeros_like(inputs), axis=(0, 2), keepdims=True)  # (1, N, 1)
        rows = self._num_layers * self._dir
        states = [F.tile(column, reps=(rows, 1, self._projection_size or self._hidden_size))]
        if self._mode == "lstm":
            states.append(F.tile(column, reps=(rows, 1, self._hidden_size)))
        return states

    def _forward_kernel(self, F: Any, inputs: Any, states: List[Any],
                        sequence_length: Optional[Any], **params: Any) -> Tuple[Any, List[Any]]:
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        if not states:
            states = self._zero_states(F, inputs)
        extra = {}
        if self._use_sequence_length:
            extra["sequence_length"] = sequence_length
        result = F.RNN(inputs, self._flat_parameters(F, params), *states,
                       state_size=self._hidden_size, num_layers=self._num_layers,
                       bidirectional=self._dir == 2, mode=self._mode, p=self._dropout,
                       state_outputs=True, projection_size=self._projection_size,
                       lstm_state_clip_min=self._lstm_state_clip_min,
                       lstm_state_clip_max=self._lstm_state_clip_max,
                       lstm_state_clip_nan=self._lstm_state_clip_nan,
                       use_sequence_length=self._use_sequence_length, **extra)
        n_states = 2 if self._mode == "lstm" else 1
        outputs, new_states = result[0], [result[i + 1] for i in range(n_states)]
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs, new_states

    # -- the equivalent stack of cells ---------------------------------------------------------
    def _unfuse(self) -> "rnn_cell.HybridSequentialRNNCell":
        """A stack of cells sharing this layer's parameters (same result on unroll)."""
        if self._projection_size is not None:
            raise MXNetValueError(f"{type(self).__name__}: a layer with projection_size "
                                  f"cannot be unfused")
        mode = self._mode

        def make_cell(**kwargs: Any) -> rnn_cell.HybridRecurrentCell:
            if mode == "lstm":
                return rnn_cell.LSTMCell(self._hidden_size, **kwargs)
            if mode == "gru":
                return rnn_cell.GRUCell(self._hidden_size, **kwargs)
            return rnn_cell.RNNCell(self._hidden_size, activation=mode[len("rnn_"):], **kwargs)

        stack = rnn_cell.HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            features = self._input_size
            for i in range(self._num_layers):
                kwargs = {"input_size": features,
                          "i2h_weight_initializer": self._i2h_weight_initializer,
                          "h2h_weight_initializer": self._h2h_weight_initializer,
                          "i2h_bias_initializer": self._i2h_bias_initializer,
                          "h2h_bias_initializer": self._h2h_bias_initializer}
                if self._dir == 2:
                    stack.add(rnn_cell.BidirectionalCell(make_cell(prefix=f"l{i}_", **kwargs),
                                                         make_cell(prefix=f"r{i}_", **kwargs)))
                else:
                    stack.add(make_cell(prefix=f"l{i}_", **kwargs))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(rnn_cell.DropoutCell(self._dropout))
                features = self._hidden_size * self._dir
        return stack


def _state_infos(layer: _RNNLayer, batch_size: int, sizes: List[int]) -> List[dict]:
    rows = layer._num_layers * layer._dir
    return [{"shape": (rows, batch_size, size), "__layout__": "LNC", "dtype": layer._dtype}
            for size in sizes]


class RNN(_RNNLayer):
    r"""Multi-layer Elman RNN: ``h_t = activation(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Called as ``layer(inputs)`` it returns the output (T, N, directions * hidden) in its
    layout; ``layer(inputs, states)`` returns ``(output, new_states)``.

    Example::

        >>> layer = mx.gluon.rnn.RNN(6, num_layers=2, activation='tanh')
        >>> layer.initialize()
        >>> layer(mx.nd.ones((5, 3, 4))).shape
        (5, 3, 6)
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, activation: str = "relu",
                 layout: str = "TNC", dropout: float = 0, bidirectional: bool = False,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, dtype: Any = "float32", use_sequence_length: bool = False,
                 **kwargs: Any) -> None:
        if activation not in ("relu", "tanh"):
            raise MXNetValueError(f"RNN: activation must be 'relu' or 'tanh'; got "
                                  f"{activation!r}")
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "rnn_" + activation, None, None, None, None,
                         False, dtype, use_sequence_length, **kwargs)

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return _state_infos(self, batch_size, [self._hidden_size])


class LSTM(_RNNLayer):
    r"""Multi-layer LSTM (MXNet's gate order i, f, c, o); states ``[h, c]``.

    With ``projection_size`` the hidden state is projected (LSTMP); ``state_clip_min``/
    ``state_clip_max`` clip the cell state after each step.

    Example::

        >>> layer = mx.gluon.rnn.LSTM(6, bidirectional=True, layout='NTC')
        >>> layer.initialize()
        >>> x = mx.nd.ones((3, 5, 4))
        >>> out, (h, c) = layer(x, layer.begin_state(3))
        >>> out.shape, h.shape
        ((3, 5, 12), (2, 3, 6))
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 projection_size: Optional[int] = None, h2r_weight_initializer: Any = None,
                 state_clip_min: Optional[float] = None, state_clip_max: Optional[float] = None,
                 state_clip_nan: bool = False, dtype: Any = "float32",
                 use_sequence_length: bool = False, **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "lstm", projection_size, h2r_weight_initializer,
                         state_clip_min, state_clip_max, state_clip_nan, dtype,
                         use_sequence_length, **kwargs)

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return _state_infos(self, batch_size,
                            [self._projection_size or self._hidden_size, self._hidden_size])


class GRU(_RNNLayer):
    r"""Multi-layer GRU with MXNet's (cuDNN's) formula, gates r, z, n:
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Example::

        >>> layer = mx.gluon.rnn.GRU(6, num_layers=2)
        >>> layer.initialize()
        >>> out, states = layer(mx.nd.ones((5, 3, 4)), layer.begin_state(3))
        >>> states[0].shape
        (2, 3, 6)
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 dtype: Any = "float32", use_sequence_length: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "gru", None, None, None, None, False, dtype,
                         use_sequence_length, **kwargs)

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return _state_infos(self, batch_size, [self._hidden_size])
