"""Fused NumPy kernels for composite operators (filled in as the composites land)."""

KERNELS: dict = {}
