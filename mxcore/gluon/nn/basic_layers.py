"""Basic layers: Sequential, Dense, Dropout, normalisation, Embedding, Flatten, Lambda ..."""

__all__: list = []
