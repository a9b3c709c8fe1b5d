"""How a module applies its optimizer over several contexts (MXNet's local kvstore).

With a ``'local'``/``'device'`` kvstore and several contexts the gradients of every context
are summed and one update is applied to the first copy, which is then copied to the others:
the result equals a single-device run over the whole batch. Without a kvstore each context
updates its own copy from its own gradient (optimizer index ``i * num_device + k``).
A distributed store (``dist_sync``/``dist_async``) receives every gradient in one
``pushpull`` call, sums across workers and updates (``update_on_kvstore``).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from ..base import MXNetTypeError, MXNetValueError
from ..ndarray.ndarray import NDArray

__all__ = ["create_kvstore", "dist_kvstore", "update_params", "update_params_on_kvstore"]

#: the in-process kvstore types (they all reduce on this machine)
KVSTORE_KINDS = ("local", "device", "nccl", "local_update_cpu", "local_allreduce_cpu",
                 "local_allreduce_device")


def create_kvstore(kvstore: Any, num_device: int) -> Optional[str]:
    """The kvstore type to use, or None when there is nothing to reduce (one device, or
    ``kvstore=None``); distributed types are handled by :func:`dist_kvstore`."""
    if kvstore is None:
        return None
    kind = kvstore if isinstance(kvstore, str) else getattr(kvstore, "type", None)
    if not isinstance(kind, str):
        raise MXNetTypeError(f"init_optimizer: kvstore must be a name, a KVStore or None, got "
                             f"{type(kvstore).__name__}")
    if kind == "horovod" or kind == "byteps":
        raise MXNetValueError(f"init_optimizer: kvstore {kind!r} is not supported; use "
                              f"'dist_sync'/'dist_async' (MPI), in-process kvstores "
                              f"({', '.join(KVSTORE_KINDS)}) or None")
    if kind not in KVSTORE_KINDS:
        raise MXNetValueError(f"init_optimizer: unknown kvstore type {kind!r}; expected one of "
                              f"{', '.join(KVSTORE_KINDS)} or None")
    return kind if num_device > 1 else None


def dist_kvstore(kvstore: Any) -> Any:
    """A distributed :mod:`mxcore.kvstore` store for ``kvstore`` (a dist_* name or store),
    or None for in-process kvstores."""
    from .. import kvstore as kvs

    if isinstance(kvstore, kvs.KVStoreBase):
        return kvstore if kvs.is_distributed(kvstore.type) else None
    if isinstance(kvstore, str) and kvs.is_distributed(kvstore):
        return kvs.create(kvstore)
    return None


def update_params_on_kvstore(param_arrays: Sequence[List[NDArray]],
                             grad_arrays: Optional[Sequence[List[Optional[NDArray]]]],
                             kvstore: Any) -> None:
    """Push every gradient (all devices) to ``kvstore``, which sums across workers and
    updates, then pull the new weights to every device (MXNet's update_on_kvstore)."""
    if grad_arrays is None:
        raise MXNetValueError("update: the module was bound with for_training=False")
    keys = [i for i, g_block in enumerate(grad_arrays) if g_block[0] is not None]
    if keys:  # one call: the store may fuse small keys
        kvstore.pushpull(keys, [list(grad_arrays[i]) for i in keys],
                         out=[list(param_arrays[i]) for i in keys])


def reduce_grads_on_kvstore(grad_arrays: Sequence[List[Optional[NDArray]]],
                            kvstore: Any) -> None:
    """Replace every device's gradient by the sum over devices and workers."""
    keys = [i for i, g_block in enumerate(grad_arrays) if g_block[0] is not None]
    if keys:
        kvstore.pushpull(keys, [list(grad_arrays[i]) for i in keys])


def update_params(param_arrays: Sequence[List[NDArray]],
                  grad_arrays: Optional[Sequence[List[Optional[NDArray]]]], updater: Any,
                  sum_devices: bool) -> None:
    """Update every parameter that has a gradient (``param_arrays[i][k]`` is parameter ``i``
    on device ``k``)."""
    if grad_arrays is None:
        raise MXNetValueError("update: the module was bound with for_training=False")
    num_device = len(param_arrays[0]) if param_arrays else 1
    if num_device == 1 or sum_devices:
        indices, grads, weights = [], [], []
        for i, (w_block, g_block) in enumerate(zip(param_arrays, grad_arrays)):
            if g_block[0] is None:
                continue
            grad = g_block[0]
            if num_device > 1:
                ctx = w_block[0].context
                for other in g_block[1:]:
                    grad = grad + other.as_in_context(ctx)
            indices.append(i)
            grads.append(grad)
            weights.append(w_block[0])
        if indices:
            updater(indices, grads, weights)
        if num_device > 1:
            for i in indices:
                for copy in param_arrays[i][1:]:
                    param_arrays[i][0].copyto(copy)
        return
    for k in range(num_device):
        indices, grads, weights = [], [], []
        for i, (w_block, g_block) in enumerate(zip(param_arrays, grad_arrays)):
            if g_block[k] is None:
                continue
            indices.append(i * num_device + k)
            grads.append(g_block[k])
            weights.append(w_block[k])
        if indices:
            updater(indices, grads, weights)
