"""Activation layers: Activation, LeakyReLU, PReLU, ELU, SELU, GELU, Swish."""

__all__: list = []
