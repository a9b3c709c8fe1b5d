"""NDArray indexing (``x[key]``) and assignment (``x[key] = value``).

Basic indices (ints, slices) go through the ``slice`` primitive; MXNet 1.x returns shape
``(1,)`` rather than a 0-d array when every axis is indexed by an int.
"""

from __future__ import annotations

from typing import Any

from ..base import MXNetIndexError, MXNetTypeError
from .ndarray import NDArray, _wrap


def _normalize_basic(key: Any, shape: tuple) -> tuple:
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for axis, k in enumerate(key):
        if axis >= len(shape):
            raise MXNetIndexError(f"index {key} has too many entries for shape {shape}")
        if isinstance(k, slice):
            out.append(k)
        elif isinstance(k, int) and not isinstance(k, bool):
            n = shape[axis]
            if not -n <= k < n:
                raise MXNetIndexError(f"index {k} is out of bounds for axis {axis} with size {n}")
            out.append(k % n)
        else:
            raise MXNetTypeError(f"unsupported index {k!r}")
    return tuple(out)


def getitem(x: NDArray, key: Any) -> NDArray:
    shape = x.shape
    k = _normalize_basic(key, shape)
    data = x._ctx.backend.kernels["slice"](x._sync(), k)
    out = _wrap(data, x._ctx)
    if out.ndim == 0:
        out = out.reshape((1,))
    return out


def setitem(x: NDArray, key: Any, value: Any) -> None:
    k = _normalize_basic(key, x.shape)
    x._assign(value, k)
