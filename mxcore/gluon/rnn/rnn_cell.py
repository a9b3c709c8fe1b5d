"""Recurrent cells: RNNCell, LSTMCell, GRUCell, SequentialRNNCell, ... with unroll.

A cell computes one time step, ``output, new_states = cell(inputs, states)``; ``unroll`` runs it
over a sequence. Gate order and formulas follow MXNet's fused ``RNN`` operator (LSTM gates
``i, f, c, o``; GRU gates ``r, z, n`` with the reset gate applied after the hidden matmul), so a
cell and the matching ``rnn.LSTM``/``rnn.GRU`` layer give the same result with the same weights.

The cells live in private modules (``_cell_base``, ``_basic_cells``, ``_composite_cells``,
with the sequence helpers in ``_sequence``); this module re-exports them.
"""

from ._basic_cells import DropoutCell, GRUCell, LSTMCell, LSTMPCell, RNNCell
from ._cell_base import HybridRecurrentCell, RecurrentCell
from ._composite_cells import (
    BidirectionalCell,
    HybridSequentialRNNCell,
    ModifierCell,
    ResidualCell,
    SequentialRNNCell,
    ZoneoutCell,
)

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell",
           "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "BidirectionalCell", "LSTMPCell"]
