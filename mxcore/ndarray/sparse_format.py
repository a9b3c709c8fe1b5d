"""Host-side storage formats of sparse arrays (NumPy), used by :mod:`.sparse`.

A ``row_sparse`` array is ``(values, indices)``: ``values[i]`` is row ``indices[i]`` (sorted,
unique). A ``csr`` matrix is ``(values, indices, indptr)``: row ``i`` holds
``values[indptr[i]:indptr[i+1]]`` at columns ``indices[indptr[i]:indptr[i+1]]``. Index arrays
are int64. This module validates those parts and converts them to and from dense arrays.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .ndarray import NDArray

_I64 = np.dtype("int64")


def _host_index(values: Any, what: str) -> np.ndarray:
    """An int64 index vector from integers (or integral floats)."""
    if isinstance(values, NDArray):
        values = values.asnumpy()
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(arr.shape, _I64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.trunc(arr)):
            raise MXNetValueError(f"{what} must hold integers")
    elif arr.dtype.kind not in "iu":
        raise MXNetTypeError(f"{what} must hold integers, got dtype {arr.dtype}")
    return arr.astype(_I64)


def _host_values(values: Any, dtype: np.dtype) -> np.ndarray:
    if isinstance(values, NDArray):
        values = values.asnumpy()
    try:
        return np.array(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise MXNetValueError(f"cannot convert {type(values).__name__} to {dtype}: "
                              f"{exc}") from None


def _check_shape(shape: Any, what: str) -> Tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise MXNetTypeError(f"{what}: shape must be a tuple of ints, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise MXNetValueError(f"{what}: negative dimension in shape {shape}")
    return shape


def check_rsp(values: np.ndarray, indices: np.ndarray, shape: Tuple[int, ...]) -> None:
    """Raise MXNetValueError unless the parts form a valid row_sparse array."""
    if not shape:
        raise MXNetValueError("row_sparse: the shape needs at least one dimension")
    if indices.ndim != 1:
        raise MXNetValueError(f"row_sparse: indices must be 1-D, got shape {indices.shape}")
    if values.shape != (indices.shape[0],) + tuple(shape[1:]):
        raise MXNetValueError(
            f"row_sparse: data of shape {values.shape} does not fit {indices.shape[0]} rows "
            f"of shape {tuple(shape[1:])}")
    if indices.size:
        if indices.min() < 0 or indices.max() >= shape[0]:
            raise MXNetValueError(f"row_sparse: row indices must lie in [0, {shape[0]})")
        if np.any(np.diff(indices) <= 0):
            raise MXNetValueError("row_sparse: row indices must be sorted and unique")


def check_csr(values: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
              shape: Tuple[int, ...], canonical: bool = False) -> None:
    """Raise MXNetValueError unless the parts form a valid CSR matrix (with ``canonical``,
    also unless each row's column indices are sorted and unique)."""
    if len(shape) != 2:
        raise MXNetValueError(f"csr: the shape must be 2-D, got {shape}")
    if values.ndim != 1 or indices.ndim != 1 or indptr.ndim != 1:
        raise MXNetValueError("csr: data, indices and indptr must be 1-D")
    if indptr.shape[0] != shape[0] + 1:
        raise MXNetValueError(f"csr: indptr needs {shape[0] + 1} entries for {shape[0]} rows, "
                              f"got {indptr.shape[0]}")
    if values.shape[0] != indices.shape[0]:
        raise MXNetValueError(f"csr: data has {values.shape[0]} entries, indices "
                              f"{indices.shape[0]}")
    if indptr[0] != 0 or indptr[-1] != indices.shape[0] or np.any(np.diff(indptr) < 0):
        raise MXNetValueError("csr: indptr must start at 0, never decrease and end at nnz")
    if indices.size and (indices.min() < 0 or indices.max() >= shape[1]):
        raise MXNetValueError(f"csr: column indices must lie in [0, {shape[1]})")
    if canonical and not _csr_is_canonical(indices, indptr):
        raise MXNetValueError("csr: column indices must be sorted and unique within each row")


def _csr_is_canonical(indices: np.ndarray, indptr: np.ndarray) -> bool:
    """Whether every row's column indices are strictly ascending."""
    if indices.size < 2:
        return True
    ascending = np.diff(indices) > 0
    ascending[indptr[1:-1][(indptr[1:-1] > 0) & (indptr[1:-1] < indices.size)] - 1] = True
    return bool(ascending.all())


def _canonical_csr(values: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                   shape: Tuple[int, ...]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valid CSR parts with each row's columns sorted and duplicates added up (as SciPy's
    ``sum_duplicates``); unchanged when already so."""
    if _csr_is_canonical(indices, indptr):
        return values, indices, indptr
    rows = np.repeat(np.arange(shape[0], dtype=_I64), np.diff(indptr))
    return _coo_to_csr(values, rows, indices, shape)


def _rsp_to_dense(values: np.ndarray, indices: np.ndarray, shape: Tuple[int, ...]
                  ) -> np.ndarray:
    out = np.zeros(shape, values.dtype)
    out[indices] = values
    return out


def _csr_to_dense(values: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                  shape: Tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, values.dtype)
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    np.add.at(out, (rows, indices), values)  # duplicate entries add up, as in scipy
    return out


def _dense_to_rsp(host: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    if host.ndim == 0:
        raise MXNetValueError("row_sparse: cannot hold a 0-d array")
    flat = host.reshape(host.shape[0], -1)
    indices = np.flatnonzero((flat != 0).any(axis=1)).astype(_I64)
    return np.ascontiguousarray(host[indices]), indices


def _dense_to_csr(host: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    if host.ndim != 2:
        raise MXNetValueError(f"csr: to convert to CSR the array must be 2-D, got shape "
                              f"{host.shape}")
    rows, cols = np.nonzero(host)
    indptr = np.zeros(host.shape[0] + 1, _I64)
    np.cumsum(np.bincount(rows, minlength=host.shape[0]), out=indptr[1:])
    return np.ascontiguousarray(host[rows, cols]), cols.astype(_I64), indptr


def _coo_to_csr(values: np.ndarray, row: np.ndarray, col: np.ndarray,
                shape: Tuple[int, ...]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR parts from COO triplets; duplicate coordinates add up, as in SciPy."""
    if not (values.shape == row.shape == col.shape):
        raise MXNetValueError("csr_matrix: COO data, row and col must have one length")
    if row.size and (row.min() < 0 or row.max() >= shape[0] or col.min() < 0
                     or col.max() >= shape[1]):
        raise MXNetValueError(f"csr_matrix: COO coordinates out of range for shape {shape}")
    order = np.lexsort((col, row))
    values, row, col = values[order], row[order], col[order]
    if row.size:
        first = np.ones(row.size, bool)
        first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
        starts = np.flatnonzero(first)
        values = np.add.reduceat(values, starts).astype(values.dtype)
        row, col = row[starts], col[starts]
    indptr = np.zeros(shape[0] + 1, _I64)
    np.cumsum(np.bincount(row, minlength=shape[0]), out=indptr[1:])
    return values, col, indptr
