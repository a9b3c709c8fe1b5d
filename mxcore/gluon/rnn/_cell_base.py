"""RecurrentCell and HybridRecurrentCell, the base classes of every recurrent cell, with
``unroll`` and the begin-state helpers that containers share."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from ... import ndarray, symbol
from ...base import MXNetValueError
from ...ndarray import NDArray
from ...symbol import Symbol
from ..block import Block, HybridBlock
from ._sequence import (
    Inputs,
    _as_list,
    _format_sequence,
    _last_steps,
    _mask_sequence_variable_length,
)

__all__ = ["RecurrentCell", "HybridRecurrentCell"]


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
        states = _get_begin_state(self, F, begin_state, inputs, batch_size, layout)
        outputs = []
        all_states = []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [_last_steps(F, steps, valid_length) for steps in zip(*all_states)]
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
                     inputs: Inputs, batch_size: int, layout: str = "NTC") -> List[NDArray]:
    if begin_state is not None:
        return _as_list(begin_state)
    first = inputs if isinstance(inputs, (NDArray, Symbol)) else inputs[0]
    if isinstance(first, Symbol):
        if first is inputs and layout.find("N") != 0:  # a merged time-major sequence
            first = symbol.swapaxes(first, dim1=0, dim2=layout.find("N"))
        return cell.begin_state(func=_zeros_like_batch(first))
    with first.context:
        return cell.begin_state(func=F.zeros, batch_size=batch_size, dtype=first.dtype)


def _zeros_like_batch(data: Any) -> Callable[..., Any]:
    """A ``begin_state`` func for Symbols: zeros of each state's shape with the batch size
    (shape[0], unknown while tracing) and dtype taken from ``data`` (batch first)."""

    def zeros(name: str, shape: Tuple[int, ...], **_: Any) -> Any:
        column = symbol.slice_axis(symbol.reshape(symbol.zeros_like(data), shape=(0, -1)),
                                   axis=1, begin=0, end=1)  # (batch, 1)
        column = symbol.reshape(column, shape=(0,) + (1,) * (len(shape) - 1))
        return symbol.broadcast_to(column, shape=(0,) + tuple(shape[1:]))

    return zeros


def _cells_state_info(cells: Sequence[RecurrentCell], batch_size: int) -> List[dict]:
    return [info for c in cells for info in c.state_info(batch_size)]


def _cells_begin_state(cells: Sequence[RecurrentCell], **kwargs: Any) -> List[NDArray]:
    return [state for c in cells for state in c.begin_state(**kwargs)]
