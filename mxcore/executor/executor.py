"""Executor: binds a Symbol to arrays and runs forward/backward."""

__all__: list = []
