"""Recurrent cells: RNNCell, LSTMCell, GRUCell, SequentialRNNCell, ... with unroll."""

__all__: list = []
