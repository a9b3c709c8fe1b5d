"""mxcore's CPU backend on NumPy (distribution ``mxcore-cpu-numpy``)."""

from .device import CpuNumpyBackend

__all__ = ["CpuNumpyBackend"]
__version__ = "0.1.0"
