"""The pluggy hook implementation: hands mxcore the OpenCL backend.

Importing this module never fails for lack of PyOpenCL or an OpenCL platform: the backend
then registers as unavailable with the reason.
"""

from mxcore.backend import hookimpl

from .device import OpenCLBackend


@hookimpl
def mxcore_backends():
    return [OpenCLBackend()]
