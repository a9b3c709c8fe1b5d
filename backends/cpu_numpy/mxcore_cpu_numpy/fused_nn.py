"""Fused NumPy kernels (fused_nn)."""

KERNELS: dict = {}
