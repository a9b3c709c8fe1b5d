"""Module: the symbolic training API (mx.mod.Module)."""

__all__: list = []
