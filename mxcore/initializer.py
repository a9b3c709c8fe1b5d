"""Initializers (mx.init)."""

__all__: list = []
