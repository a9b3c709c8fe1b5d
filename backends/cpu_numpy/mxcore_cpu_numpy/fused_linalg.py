"""Fused NumPy kernels (fused_linalg)."""

KERNELS: dict = {}
