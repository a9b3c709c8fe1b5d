"""Cells built from other cells: the containers SequentialRNNCell,
HybridSequentialRNNCell and BidirectionalCell, and the modifiers ModifierCell,
ZoneoutCell and ResidualCell."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

from ... import ndarray
from ...base import MXNetTypeError, MXNetValueError
from ...ndarray import NDArray
from ...symbol import Symbol
from ..block import HybridBlock
from ._cell_base import (
    HybridRecurrentCell,
    RecurrentCell,
    _cells_begin_state,
    _cells_state_info,
    _get_begin_state,
)
from ._sequence import (
    Inputs,
    _format_sequence,
    _mask_sequence_variable_length,
    _reverse_sequences,
)

__all__ = ["SequentialRNNCell", "HybridSequentialRNNCell", "ModifierCell", "ZoneoutCell",
           "ResidualCell", "BidirectionalCell"]


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
        begin_state = _get_begin_state(self, F, begin_state, inputs, batch_size, layout)
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


# -- modifiers -----------------------------------------------------------------------------------
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
            merge_outputs = isinstance(outputs, (NDArray, Symbol))
        inputs, axis, F, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if valid_length is not None:
            inputs = _mask_sequence_variable_length(F, inputs, valid_length, axis,
                                                    merge_outputs, length)
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
        states = _get_begin_state(self, F, begin_state, inputs, batch_size, layout)
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
            merge_outputs = isinstance(l_outputs, (NDArray, Symbol))
        l_outputs, _, _, _ = _format_sequence(None, l_outputs, layout, merge_outputs)
        if merge_outputs:
            r_merged = F.stack(*reversed_r_outputs, axis=axis)
            outputs = F.concat(l_outputs, r_merged, dim=2)
        else:
            outputs = [F.concat(lo, ro, dim=1) for lo, ro in zip(l_outputs, reversed_r_outputs)]
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(F, outputs, valid_length, axis,
                                                     merge_outputs, length)
        return outputs, list(l_states) + list(r_states)
