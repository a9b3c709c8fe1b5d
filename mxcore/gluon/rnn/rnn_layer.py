"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, TNC/NTC)."""

__all__: list = []
