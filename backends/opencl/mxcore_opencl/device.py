"""The OpenCL device: platform/device selection, transfers, memory pool, random state.

Selection, first match wins:

1. :func:`select_device` (``mxcore_opencl.select_device("0:1")``), before first use;
2. ``MXCORE_OPENCL_DEVICE="P:D"`` (platform and device index) or a name fragment
   (``"pocl"``, ``"NVIDIA"``); matched against ``"<platform> <device>"``;
3. PyOpenCL's ``PYOPENCL_CTX`` (same ``P:D`` syntax);
4. the first GPU of any platform, else the first device.

One device is served (``opencl(0)``). float64 is declared only when the device reports
``cl_khr_fp64`` and float16 only with ``cl_khr_fp16``; other dtypes raise
``UnsupportedByDevice``.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence

import numpy as np

from mxcore.backend import Backend

__all__ = ["OpenCLBackend", "select_device", "probe"]

_BASE_DTYPES = ("float32", "uint8", "int8", "int32", "int64", "bool")
_REQUESTED: list = []


def select_device(spec: str) -> None:
    """Choose the device (``"P:D"`` indices or a name fragment) before first use."""
    _REQUESTED[:] = [spec]


def _match(platforms: Sequence[Any], spec: str) -> Any:
    spec = spec.strip()
    if ":" in spec and all(p.strip().isdigit() for p in spec.split(":", 1)):
        p, d = (int(v) for v in spec.split(":", 1))
        if p >= len(platforms):
            raise LookupError(f"platform {p} does not exist ({len(platforms)} found)")
        devices = platforms[p].get_devices()
        if d >= len(devices):
            raise LookupError(f"platform {p} has {len(devices)} device(s), not device {d}")
        return devices[d]
    if spec.isdigit():
        return _match(platforms, f"{spec}:0")
    for plat in platforms:
        for dev in plat.get_devices():
            if spec.lower() in f"{plat.name} {dev.name}".lower():
                return dev
    raise LookupError(f"no OpenCL device matches {spec!r}")


def probe() -> "tuple[Optional[Any], Optional[str]]":
    """(chosen device, None) when usable, else (None, reason)."""
    try:
        import pyopencl as cl
    except Exception as exc:
        return None, (f"PyOpenCL is not importable ({exc.__class__.__name__}: {exc}); "
                      "pip install mxcore-opencl[pocl]")
    from . import _pocl_cpu
    from .runtime import cache_dir

    if os.environ.get("MXCORE_OPENCL_CACHE") and not os.environ.get("POCL_CACHE_DIR"):
        # PoCL keeps its own kernel cache (PyOpenCL leaves PoCL builds to it): share the dir
        os.environ["POCL_CACHE_DIR"] = os.path.join(cache_dir(), "pocl")
    _pocl_cpu.apply()
    try:
        platforms = cl.get_platforms()
    except Exception as exc:
        platforms, error = [], exc
    else:
        error = None
    if not platforms:
        why = f" ({error})" if error is not None else ""
        return None, (f"no OpenCL platform found{why}; install a vendor driver or "
                      "pip install pocl-binary-distribution")
    spec = (_REQUESTED[0] if _REQUESTED else None) or os.environ.get("MXCORE_OPENCL_DEVICE") \
        or os.environ.get("PYOPENCL_CTX")
    try:
        if spec:
            return _match(platforms, spec), None
        devices = [d for p in platforms for d in p.get_devices()]
    except Exception as exc:
        return None, f"OpenCL device selection failed: {exc}"
    if not devices:
        return None, "the OpenCL platforms expose no device"
    gpus = [d for d in devices if d.type & cl.device_type.GPU]
    return (gpus or devices)[0], None


class PhiloxState:
    """Counter-based random state: a 64-bit key and a per-call counter."""

    def __init__(self, seed: int):
        self.key = int(seed) & 0xFFFFFFFFFFFFFFFF
        self.calls = 0

    def next_call(self) -> "tuple[np.uint32, np.uint32, np.uint32]":
        self.calls += 1
        return (np.uint32(self.key & 0xFFFFFFFF), np.uint32(self.key >> 32),
                np.uint32(self.calls & 0xFFFFFFFF))


class OpenCLBackend(Backend):
    """Every primitive as generated OpenCL C on one device, through PyOpenCL."""

    name = "opencl"
    device_type = "opencl"
    version = "0.1.0"
    priority = 0

    def __init__(self, device: Any = None) -> None:
        self.kernels = {}
        self.dtypes = frozenset()
        self.rt = None
        self._rngs: dict = {}
        if device is None:
            device, reason = probe()
        else:
            reason = None
        self.unavailable_reason = reason
        if device is None:
            return
        try:
            from .array import CLArray
            from .runtime import Runtime

            self.rt = Runtime(device)
        except Exception as exc:
            self.unavailable_reason = f"OpenCL context creation failed: {exc}"
            return
        dtypes = set(_BASE_DTYPES)
        if self.rt.fp64:
            dtypes.add("float64")
        if self.rt.fp16:
            dtypes.add("float16")
        self.dtypes = frozenset(dtypes)
        self.rt.dtypes = self.dtypes
        self.rt.device_label = self.device_name
        self.array_type = CLArray
        from .kernels import make_kernels

        self.kernels = make_kernels(self.rt)

    @property
    def device_name(self) -> str:
        return "" if self.rt is None else f"{self.rt.device.platform.name} / " \
                                          f"{self.rt.device.name}"

    def device_count(self) -> int:
        return 0 if self.rt is None else 1

    def check_dtype(self, dtype: Any) -> np.dtype:
        return self.rt.require(dtype)

    def empty(self, shape: Sequence[int], dtype: np.dtype, device_id: int) -> Any:
        from .codegen import new_array

        return new_array(self.rt, shape, self.check_dtype(dtype))

    def from_host(self, array: np.ndarray, device_id: int) -> Any:
        from .array import CLArray

        host = np.array(array, copy=True, order="C")
        self.check_dtype(host.dtype)
        return CLArray(self.rt, self.rt.upload(host), host.shape, host.dtype)

    def to_host(self, array: Any) -> np.ndarray:
        from .movement import to_host

        return to_host(array)

    def copy(self, array: Any, device_id: int) -> Any:
        return self.kernels["copy"](array)

    def synchronize(self, device_id: int) -> None:
        if self.rt is not None:
            self.rt.synchronize()

    def memory_stats(self, device_id: int) -> dict:
        if self.rt is None:
            return {}
        pool = self.rt.pool
        return {"total_bytes": int(self.rt.device.global_mem_size),
                "pool_held_blocks": int(pool.held_blocks),
                "pool_active_blocks": int(pool.active_blocks),
                "pool_managed_bytes": int(getattr(pool, "managed_bytes", 0)),
                "pool_active_bytes": int(getattr(pool, "active_bytes", 0)),
                "programs_built": self.rt.builds}

    def empty_cache(self, device_id: int) -> None:
        if self.rt is not None:
            self.rt.pool.free_held()

    def seed(self, seed: int, device_id: int) -> None:
        self._rngs[device_id] = PhiloxState(seed)

    def rng(self, device_id: int) -> PhiloxState:
        state = self._rngs.get(device_id)
        if state is None:
            state = self._rngs[device_id] = PhiloxState(
                int.from_bytes(os.urandom(8), "little"))
        return state
