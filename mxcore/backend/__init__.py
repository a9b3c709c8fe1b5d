"""The backend seam: hook specification, Backend interface, registry and shared kernels."""

from .hookspecs import ENTRY_POINT_GROUP, hookimpl, hookspec
from .interface import Backend
from .primitives import PRIMITIVE_GROUPS, PRIMITIVES
from .registry import (
    PACKAGE_FOR_DEVICE,
    get_backend,
    list_backends,
    register,
    registry,
    use,
)

__all__ = ["Backend", "hookimpl", "hookspec", "ENTRY_POINT_GROUP", "PRIMITIVES",
           "PRIMITIVE_GROUPS", "registry", "use", "list_backends", "get_backend", "register",
           "PACKAGE_FOR_DEVICE"]
