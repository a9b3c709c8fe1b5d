"""``mx.kv.create(name)``: the store for a type name (MXNet 1.x's names)."""

from __future__ import annotations

from ..base import MXNetTypeError, MXNetValueError
from .base import KVStoreBase

__all__ = ["create", "KVSTORE_TYPES", "is_distributed"]

#: every accepted name -> the class that implements it
KVSTORE_TYPES = ("local", "device", "local_update_cpu", "local_allreduce_cpu",
                 "local_allreduce_device", "nccl", "dist", "dist_sync", "dist_sync_device",
                 "dist_device_sync", "dist_async")


def is_distributed(name: str) -> bool:
    return name.startswith("dist")


def create(name: str = "local") -> KVStoreBase:
    """Create a store: ``'local'``/``'device'`` (several devices in one process),
    ``'nccl'`` (several GPUs, NCCL), ``'dist_sync'``/``'dist_sync_device'`` (synchronous over
    MPI, allreduce) or ``'dist_async'`` (parameter servers over MPI).

    Example::

        >>> import mxcore as mx
        >>> kv = mx.kv.create("local")
        >>> kv.type, kv.rank, kv.num_workers
        ('local', 0, 1)
    """
    if not isinstance(name, str):
        raise MXNetTypeError(f"kvstore.create: name must be a str, got {type(name).__name__}")
    if name not in KVSTORE_TYPES:
        raise MXNetValueError(f"kvstore.create: unknown kvstore type {name!r}; expected one of "
                              f"{', '.join(KVSTORE_TYPES)}")
    if name == "dist_async":
        from .dist_async import DistAsyncKVStore

        return DistAsyncKVStore(name)
    if is_distributed(name):
        from .dist_sync import DistSyncKVStore

        return DistSyncKVStore(name)
    if name == "nccl":
        from .nccl import NCCLKVStore

        return NCCLKVStore(name)
    from .local import DeviceKVStore, LocalKVStore

    if "device" in name:
        return DeviceKVStore(name)
    return LocalKVStore(name)
