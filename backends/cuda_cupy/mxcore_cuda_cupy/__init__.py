"""mxcore's CUDA backend on CuPy (distribution ``mxcore-cuda-cupy``)."""

from .device import CudaCupyBackend

__all__ = ["CudaCupyBackend"]
__version__ = "0.1.0"
