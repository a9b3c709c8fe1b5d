"""Devices: ``mx.cpu(i)``, ``mx.gpu(i)``, ``mx.Context(device_type, i)`` and ``with ctx:``.

Device types come from backends, so a third-party backend that serves ``"myaccel"`` makes
``mx.Context("myaccel", 0)`` usable. Contexts are interned: equal contexts are one object.
"""

from __future__ import annotations

import threading
from typing import Dict, List, Optional, Tuple, Union

from .backend.registry import get_backend, on_selection_change, registry
from .base import BackendUnavailableError, MXNetValueError

__all__ = ["Context", "cpu", "gpu", "opencl", "cpu_pinned", "current_context", "num_gpus",
           "gpu_memory_info", "device_type_id", "device_type_from_id"]

# MXNet's numeric device-type ids (kept for .params compatibility); new types get fresh ids
_TYPE_IDS: Dict[str, int] = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
_HOST_ALIASES = ("cpu_pinned", "cpu_shared")


def device_type_id(device_type: str) -> int:
    """MXNet's integer id for a device type (assigned on first use for new types)."""
    if device_type not in _TYPE_IDS:
        _TYPE_IDS[device_type] = max(16, max(_TYPE_IDS.values()) + 1)
    return _TYPE_IDS[device_type]


def device_type_from_id(type_id: int) -> str:
    for name, tid in _TYPE_IDS.items():
        if tid == type_id:
            return name
    raise MXNetValueError(f"unknown device type id {type_id}")


class Context:
    """A device: type (``'cpu'``, ``'gpu'``, ...) and id.

    Example::

        >>> import mxcore as mx
        >>> with mx.cpu(0):
        ...     x = mx.nd.zeros((2,))
        >>> x.context
        cpu(0)
    """

    __slots__ = ("device_type", "device_id", "_backend", "__weakref__")
    _interned: Dict[Tuple[str, int], "Context"] = {}
    _lock = threading.Lock()

    def __new__(cls, device_type: Union[str, "Context"], device_id: int = 0):
        if isinstance(device_type, Context):
            return device_type
        if not isinstance(device_type, str) or not device_type:
            raise MXNetValueError(f"Context: device_type must be a string, got {device_type!r}")
        if isinstance(device_id, bool) or not isinstance(device_id, int) or device_id < 0:
            raise MXNetValueError(f"Context: device_id must be an int >= 0, got {device_id!r}")
        key = (device_type, device_id)
        ctx = cls._interned.get(key)
        if ctx is None:
            with cls._lock:
                ctx = cls._interned.get(key)
                if ctx is None:
                    ctx = object.__new__(cls)
                    ctx.device_type = device_type
                    ctx.device_id = device_id
                    ctx._backend = None
                    cls._interned[key] = ctx
        return ctx

    def __init__(self, device_type: Union[str, "Context"], device_id: int = 0):
        pass  # all state is set once, in __new__

    @property
    def device_typeid(self) -> int:
        return device_type_id(self.device_type)

    @property
    def backend(self):
        """The backend serving this device (resolved once, cached)."""
        backend = self._backend
        if backend is None:
            dev = "cpu" if self.device_type in _HOST_ALIASES else self.device_type
            backend = get_backend(dev)
            count = backend.device_count()
            if count is not None and self.device_id >= count:
                raise BackendUnavailableError(
                    f"{self}: backend {backend.name} has {count} device(s) of type "
                    f"{backend.device_type}")
            self._backend = backend
        return backend

    def empty_cache(self) -> None:
        """Release cached device memory (where the backend pools it)."""
        release = getattr(self.backend, "empty_cache", None)
        if release is not None:
            release(self.device_id)

    def __enter__(self) -> "Context":
        state = _STATE
        state.stack.append(state.ctx)
        state.ctx = self
        return self

    def __exit__(self, *exc) -> None:
        _STATE.ctx = _STATE.stack.pop()

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __reduce__(self):
        return (Context, (self.device_type, self.device_id))

    # equality and hashing are object identity (C-level, fast): contexts are interned

    default_ctx = None  # MXNet 1.x attribute; see current_context()


class _ContextState(threading.local):
    def __init__(self) -> None:
        self.ctx = Context("cpu", 0)
        self.stack: List[Context] = []


_STATE = _ContextState()


def _drop_cached_backends() -> None:
    for ctx in list(Context._interned.values()):
        ctx._backend = None


on_selection_change(_drop_cached_backends)


def cpu(device_id: int = 0) -> Context:
    """The CPU context ``cpu(device_id)``."""
    return Context("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    return Context("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Context:
    """The GPU context ``gpu(device_id)``."""
    return Context("gpu", device_id)


def opencl(device_id: int = 0) -> Context:
    """The OpenCL context ``opencl(device_id)`` (served by the ``mxcore-opencl`` backend)."""
    return Context("opencl", device_id)


def current_context() -> Context:
    """The default context of this thread (changed with ``with ctx:``)."""
    return _STATE.ctx


def num_gpus() -> int:
    """Number of GPUs the selected ``gpu`` backend sees (0 when none is available)."""
    try:
        backend = get_backend("gpu")
    except BackendUnavailableError:
        return 0
    return backend.device_count()


def gpu_memory_info(device_id: int = 0) -> Tuple[int, int]:
    """(free, total) bytes on ``gpu(device_id)``."""
    stats = gpu(device_id).backend.memory_stats(device_id)
    return stats.get("free_bytes", 0), stats.get("total_bytes", 0)


def list_device_types() -> List[str]:
    return registry().device_types()


def _maybe_ctx(ctx: Optional[Union[Context, str]]) -> Context:
    if ctx is None:
        return _STATE.ctx
    if isinstance(ctx, Context):
        return ctx
    if isinstance(ctx, str):
        return Context(ctx)
    raise MXNetValueError(f"expected a Context, got {ctx!r}")
