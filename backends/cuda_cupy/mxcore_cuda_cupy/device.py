"""The GPU device on CuPy: allocation, transfers, streams' sync, memory pool, random state."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

from mxcore.backend import Backend


def _probe() -> "tuple[Optional[Any], Optional[str]]":
    """(cupy module, None) when usable, else (None, reason)."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        return None, (f"CuPy is not importable ({exc.__class__.__name__}: {exc}); install "
                      "cupy-cuda12x or cupy-cuda13x to match your CUDA driver")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"no usable CUDA driver/device ({exc})"
    if count < 1:
        return None, "no CUDA device found"
    return cupy, None


class _GeneratorAdapter:
    """CuPy's RandomState behind the NumPy Generator method names the shared kernels use."""

    def __init__(self, state: Any):
        self._state = state

    def uniform(self, low, high, size):
        return self._state.uniform(low, high, size=size)

    def normal(self, loc, scale, size):
        return self._state.normal(loc, scale, size=size)

    def integers(self, low, high, size):
        return self._state.randint(low, high, size=size)

    def gamma(self, shape, scale, size):
        return self._state.gamma(shape, scale, size=size)

    def poisson(self, lam, size):
        return self._state.poisson(lam, size=size)

    def permutation(self, n):
        return self._state.permutation(n)


class CudaCupyBackend(Backend):
    """Every primitive on CuPy (the same array-namespace kernels as the CPU backend)."""

    name = "cuda_cupy"
    device_type = "gpu"
    version = "0.1.0"
    priority = 0
    dtypes = frozenset(["float16", "float32", "float64", "uint8", "int8", "int32", "int64",
                        "bool"])

    def __init__(self) -> None:
        cupy, reason = _probe()
        self.unavailable_reason = reason
        self._cupy = cupy
        self._rngs: Dict[int, _GeneratorAdapter] = {}
        if cupy is None:
            self.kernels = {}
            return
        from mxcore.backend.xp_kernels import make_kernels

        self.array_type = cupy.ndarray
        self.kernels = make_kernels(cupy)

    def device_count(self) -> int:
        if self._cupy is None:
            return 0
        return self._cupy.cuda.runtime.getDeviceCount()

    def _device(self, device_id: int) -> Any:
        return self._cupy.cuda.Device(device_id)

    def empty(self, shape: Sequence[int], dtype: np.dtype, device_id: int) -> Any:
        with self._device(device_id):
            return self._cupy.empty(shape, dtype=dtype)

    def from_host(self, array: np.ndarray, device_id: int) -> Any:
        with self._device(device_id):
            return self._cupy.array(array, copy=True)

    def to_host(self, array: Any) -> np.ndarray:
        return self._cupy.asnumpy(array)

    def copy(self, array: Any, device_id: int) -> Any:
        with self._device(device_id):
            return self._cupy.array(array, copy=True)

    def device_of(self, array: Any) -> int:
        return array.device.id

    def from_dlpack(self, obj: Any, device_id: int) -> Any:
        with self._device(device_id):
            return self._cupy.from_dlpack(obj)

    def synchronize(self, device_id: int) -> None:
        self._device(device_id).synchronize()

    def memory_stats(self, device_id: int) -> dict:
        with self._device(device_id):
            free, total = self._cupy.cuda.runtime.memGetInfo()
            pool = self._cupy.get_default_memory_pool()
            return {"free_bytes": free, "total_bytes": total,
                    "pool_used_bytes": pool.used_bytes(), "pool_total_bytes": pool.total_bytes()}

    def empty_cache(self, device_id: int) -> None:
        with self._device(device_id):
            self._cupy.get_default_memory_pool().free_all_blocks()

    def seed(self, seed: int, device_id: int) -> None:
        with self._device(device_id):
            self._rngs[device_id] = _GeneratorAdapter(self._cupy.random.RandomState(seed))

    def rng(self, device_id: int) -> _GeneratorAdapter:
        gen = self._rngs.get(device_id)
        if gen is None:
            with self._device(device_id):
                gen = self._rngs[device_id] = _GeneratorAdapter(
                    self._cupy.random.RandomState())
        return gen
