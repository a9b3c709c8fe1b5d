"""Convolution, transposed convolution, pooling and padding layers."""

__all__: list = []
