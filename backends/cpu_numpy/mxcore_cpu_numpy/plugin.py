"""The pluggy hook implementation: hands mxcore the NumPy CPU backend."""

from mxcore.backend import hookimpl

from .device import CpuNumpyBackend


@hookimpl
def mxcore_backends():
    return [CpuNumpyBackend()]
