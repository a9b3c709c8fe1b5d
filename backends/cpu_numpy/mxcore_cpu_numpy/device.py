"""The CPU device on NumPy: allocation, host transfer, random state and the kernel table."""

from __future__ import annotations

import os
from typing import Any, Dict, Sequence

import numpy as np

from mxcore.backend import Backend
from mxcore.backend.xp_kernels import make_kernels

from . import fused


class CpuNumpyBackend(Backend):
    """Every primitive on NumPy, plus fused kernels for the composites that dominate training."""

    name = "cpu_numpy"
    device_type = "cpu"
    version = "0.1.0"
    priority = 0
    dtypes = frozenset(["float16", "float32", "float64", "uint8", "int8", "int32", "int64",
                        "bool"])
    array_type = np.ndarray

    def __init__(self) -> None:
        self.kernels = {**make_kernels(np), **fused.KERNELS}
        self._rngs: Dict[int, np.random.Generator] = {}

    def device_count(self) -> Any:
        return None  # any number of cpu(i) contexts stand for one host

    def empty(self, shape: Sequence[int], dtype: np.dtype, device_id: int) -> np.ndarray:
        return np.empty(shape, dtype=dtype)

    def from_host(self, array: np.ndarray, device_id: int) -> np.ndarray:
        return np.array(array, copy=True, order="C")

    def to_host(self, array: np.ndarray) -> np.ndarray:
        return np.array(array, copy=True)

    def copy(self, array: np.ndarray, device_id: int) -> np.ndarray:
        return np.array(array, copy=True)

    def from_dlpack(self, obj: Any, device_id: int) -> np.ndarray:
        return np.from_dlpack(obj)

    def memory_stats(self, device_id: int) -> dict:
        try:
            pages = os.sysconf("SC_PHYS_PAGES")
            avail = os.sysconf("SC_AVPHYS_PAGES")
            size = os.sysconf("SC_PAGE_SIZE")
            return {"total_bytes": pages * size, "free_bytes": avail * size}
        except (ValueError, OSError, AttributeError):
            return {}

    def seed(self, seed: int, device_id: int) -> None:
        self._rngs[device_id] = np.random.default_rng(seed)

    def rng(self, device_id: int) -> np.random.Generator:
        gen = self._rngs.get(device_id)
        if gen is None:
            gen = self._rngs[device_id] = np.random.default_rng()
        return gen
