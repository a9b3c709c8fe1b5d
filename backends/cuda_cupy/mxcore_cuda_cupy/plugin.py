"""The pluggy hook implementation: hands mxcore the CuPy CUDA backend.

Importing this module never fails for lack of CuPy or a GPU: the backend then registers as
unavailable with the reason.
"""

from mxcore.backend import hookimpl

from .device import CudaCupyBackend


@hookimpl
def mxcore_backends():
    return [CudaCupyBackend()]
