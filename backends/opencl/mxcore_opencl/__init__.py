"""mxcore's OpenCL backend on PyOpenCL (distribution ``mxcore-opencl``)."""

from .array import CLArray
from .device import OpenCLBackend, select_device

__all__ = ["CLArray", "OpenCLBackend", "select_device"]
__version__ = "0.1.0"
