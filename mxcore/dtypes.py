"""The dtypes mxcore supports, their NumPy equivalents and MXNet's numeric type flags."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import MXNetTypeError

__all__ = ["DTYPES", "FLOAT_DTYPES", "normalize_dtype", "dtype_flag", "dtype_from_flag",
           "DEFAULT_DTYPE"]

#: name -> MXNet's type flag (as stored in ``.params`` files)
_FLAGS = {
    "float32": 0,
    "float64": 1,
    "float16": 2,
    "uint8": 3,
    "int32": 4,
    "int8": 5,
    "int64": 6,
    "bool": 7,
}
_FROM_FLAG = {v: k for k, v in _FLAGS.items()}

DTYPES: tuple = tuple(np.dtype(n) for n in _FLAGS)
FLOAT_DTYPES: tuple = (np.dtype("float16"), np.dtype("float32"), np.dtype("float64"))
DEFAULT_DTYPE = np.dtype("float32")
_SUPPORTED = frozenset(DTYPES)
_CACHE: dict = {}


def normalize_dtype(dtype: Any, op: str = "dtype") -> np.dtype:
    """Map a user's dtype (str, NumPy type, np.dtype) to a supported ``np.dtype``."""
    try:
        return _CACHE[dtype]
    except (KeyError, TypeError):
        pass
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise MXNetTypeError(f"{op}: {dtype!r} is not a dtype") from None
    if dt not in _SUPPORTED:
        raise MXNetTypeError(
            f"{op}: dtype {dt} is not supported; supported dtypes are "
            + ", ".join(str(d) for d in DTYPES)
        )
    try:
        _CACHE[dtype] = dt
    except TypeError:
        pass
    return dt


def dtype_flag(dtype: Any) -> int:
    """MXNet's numeric flag for a dtype."""
    return _FLAGS[np.dtype(dtype).name]


def dtype_from_flag(flag: int) -> np.dtype:
    try:
        return np.dtype(_FROM_FLAG[flag])
    except KeyError:
        raise MXNetTypeError(f"unknown MXNet dtype flag {flag}") from None
