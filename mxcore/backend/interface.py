"""The contract between the core and a backend.

A backend is a small object: what it serves (name, device type, dtypes, devices), whether it
can run here, a handful of device operations (allocate, host transfer, copy, synchronize,
memory statistics, random state) and a kernel table ``{name: callable}`` keyed by primitive
names (see :mod:`mxcore.backend.primitives`) and, optionally, by composite op names for fused
kernels. Kernels take and return the backend's own arrays.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

__all__ = ["Backend"]


class Backend:
    """Base class for backends; override the device operations and fill ``kernels``.

    Example::

        class MyBackend(Backend):
            name = "my_accel"
            device_type = "myaccel"
            kernels = {"add": my_add, ...}
    """

    #: unique backend name, e.g. ``"cpu_numpy"``
    name: str = ""
    #: device type this backend serves: ``"cpu"``, ``"gpu"``, ``"opencl"`` or a new one
    device_type: str = ""
    #: version string of the backend package
    version: str = "0"
    #: among backends for one device type, the highest priority is chosen by default
    priority: int = 0
    #: dtype names the backend supports (a subset of :data:`mxcore.dtypes.DTYPES`)
    dtypes: frozenset = frozenset()
    #: ``None`` when usable, else a human-readable reason
    unavailable_reason: Optional[str] = None
    #: kernel table: primitive name (or composite op name for a fused kernel) -> callable
    kernels: Mapping[str, Callable] = {}
    #: the array type of this backend (checked by the core when wrapping results)
    array_type: type = object

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None

    # -- devices -------------------------------------------------------------------------
    def device_count(self) -> int:
        """How many devices of this type exist (0 when unavailable)."""
        raise NotImplementedError

    def synchronize(self, device_id: int) -> None:
        """Block until all work queued on the device is done."""

    def memory_stats(self, device_id: int) -> dict:
        """Memory statistics as a dict (e.g. ``{"used_bytes": ..., "total_bytes": ...}``)."""
        return {}

    # -- arrays -------------------------------------------------------------------------
    def empty(self, shape: Sequence[int], dtype: np.dtype, device_id: int) -> Any:
        """Allocate an uninitialised array."""
        raise NotImplementedError

    def from_host(self, array: np.ndarray, device_id: int) -> Any:
        """Copy a NumPy array to the device (the result must not alias ``array``)."""
        raise NotImplementedError

    def to_host(self, array: Any) -> np.ndarray:
        """Copy a device array into a NumPy array."""
        raise NotImplementedError

    def copy(self, array: Any, device_id: int) -> Any:
        """Copy an array to ``device_id`` of this backend (a new buffer)."""
        raise NotImplementedError

    def device_of(self, array: Any) -> int:
        """The device id an array lives on."""
        return 0

    def from_dlpack(self, obj: Any, device_id: int) -> Any:
        """A backend array sharing the memory of a DLPack producer on ``device_id`` (an
        object with ``__dlpack__``/``__dlpack_device__``). Optional: without it,
        ``mx.nd.from_dlpack`` says this backend does not import DLPack arrays. Export needs
        no method: arrays that implement ``__dlpack__`` are shared as they are."""
        raise NotImplementedError

    # -- random ---------------------------------------------------------------------------
    def seed(self, seed: int, device_id: int) -> None:
        """Reset the random state of one device."""
        raise NotImplementedError

    def rng(self, device_id: int) -> Any:
        """The random state object passed to ``random_*`` kernels."""
        raise NotImplementedError

    def __repr__(self) -> str:
        state = "available" if self.available else f"unavailable: {self.unavailable_reason}"
        return f"<Backend {self.name} ({self.device_type}) {state}>"
