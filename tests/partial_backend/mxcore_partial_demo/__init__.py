"""A tiny third-party backend: device type ``demo`` on NumPy with only a few primitives.

It exists to show what a backend author starts from, and to test that the conformance
report marks everything it lacks as "not implemented" (never "pass"). Run the suite on it:
``mxcore-conformance --backend partial_demo``.
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

import numpy as np

from mxcore.backend import Backend, hookimpl

__all__ = ["PartialDemoBackend", "mxcore_backends"]
__version__ = "0.1.0"


def _setitem(x: np.ndarray, key: tuple, value: Any) -> np.ndarray:
    x[key] = value
    return x


#: the only primitives this backend implements
KERNELS: Dict[str, Any] = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "negative": np.negative,
    "cast": lambda x, dtype: x.astype(dtype),
    "copy": lambda x: np.array(x, copy=True, order="C"),
    "full": lambda shape, value, dtype: np.full(shape, value, dtype=dtype),
    "reshape": np.reshape,
    "slice": lambda x, key: x[key],
    "setitem": _setitem,
}


class PartialDemoBackend(Backend):
    """Serves ``mx.Context('demo', 0)``; float32/float64/int32/int64 only."""

    name = "partial_demo"
    device_type = "demo"
    version = __version__
    dtypes = frozenset(["float32", "float64", "int32", "int64"])
    array_type = np.ndarray

    def __init__(self) -> None:
        self.kernels = dict(KERNELS)
        self._rngs: Dict[int, np.random.Generator] = {}

    def device_count(self) -> int:
        return 1

    def empty(self, shape: Sequence[int], dtype: np.dtype, device_id: int) -> np.ndarray:
        return np.empty(shape, dtype=dtype)

    def from_host(self, array: np.ndarray, device_id: int) -> np.ndarray:
        return np.array(array, copy=True, order="C")

    def to_host(self, array: np.ndarray) -> np.ndarray:
        return np.array(array, copy=True)

    def copy(self, array: np.ndarray, device_id: int) -> np.ndarray:
        return np.array(array, copy=True)

    def seed(self, seed: int, device_id: int) -> None:
        self._rngs[device_id] = np.random.default_rng(seed)

    def rng(self, device_id: int) -> np.random.Generator:
        return self._rngs.setdefault(device_id, np.random.default_rng())


@hookimpl
def mxcore_backends():
    return [PartialDemoBackend()]
