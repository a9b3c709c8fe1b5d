"""Construction of sparse arrays (``mx.nd.sparse.csr_matrix``, ``row_sparse_array``, ``zeros``,
``empty``, ``array``), re-exported by :mod:`.sparse`.

Host data (lists, NumPy, SciPy) is validated with NumPy (:mod:`.sparse_format`) and then
uploaded to the context; CSR parts are made canonical (sorted columns, duplicates added).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..context import Context, _maybe_ctx
from ..dtypes import DEFAULT_DTYPE, normalize_dtype
from .ndarray import NDArray
from .sparse import (
    STORAGE_TYPES,
    BaseSparseNDArray,
    CSRNDArray,
    RowSparseNDArray,
    _upload,
    cast_storage,
    make_csr,
    make_row_sparse,
)
from .sparse_format import (
    _I64,
    _canonical_csr,
    _check_shape,
    _coo_to_csr,
    _host_index,
    _host_values,
    check_csr,
)

__all__ = ["row_sparse_array", "csr_matrix", "zeros", "empty", "array"]


def _default_dtype(source: Any, dtype: Any) -> np.dtype:
    if dtype is not None:
        return normalize_dtype(dtype, "sparse")
    if isinstance(source, NDArray):
        return np.dtype(source.dtype)
    if isinstance(source, np.ndarray) or hasattr(source, "tocsr"):
        return normalize_dtype(source.dtype, "sparse")
    return DEFAULT_DTYPE


def _is_shape(arg: Any) -> bool:
    return isinstance(arg, tuple) and len(arg) > 0 and all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in arg)


def _from_dense_source(source: Any, stype: str, ctx: Context, dtype: Any) -> NDArray:
    dt = _default_dtype(source, dtype)
    host = _host_values(source, dt)
    return cast_storage(_upload(host, ctx), stype)


def _shaped_cast(out: NDArray, shape: Any, dtype: Any, who: str) -> NDArray:
    """``out`` checked against the requested ``shape`` (if any) and cast to ``dtype``."""
    if shape is not None and _check_shape(shape, who) != out.shape:
        raise MXNetValueError(f"{who}: shape {shape} differs from the source's {out.shape}")
    return out if dtype is None else out.astype(dtype, copy=False)


def _converted(arg1: Any, stype: str, shape: Any, context: Context, dtype: Any,
               who: str) -> NDArray:
    """``arg1`` (another sparse array, or a dense source) as ``stype`` on ``context``."""
    if isinstance(arg1, NDArray) and arg1.stype != "default":
        out = arg1.tostype(stype).as_in_context(context)
    else:
        out = _from_dense_source(arg1, stype, context, dtype)
    return _shaped_cast(out, shape, dtype, who)


def row_sparse_array(arg1: Any, shape: Any = None, ctx: Optional[Context] = None,
                     dtype: Any = None) -> RowSparseNDArray:
    """A RowSparseNDArray from ``(data, indices)``, a shape (all zeros), another sparse or
    dense array; indices are sorted if needed and must be unique and in range."""
    context = _maybe_ctx(ctx)
    if _is_shape(arg1):
        return zeros("row_sparse", arg1, ctx=context, dtype=dtype)
    if isinstance(arg1, tuple):
        if len(arg1) != 2:
            raise MXNetValueError(f"row_sparse_array: expected (data, indices), got a tuple of "
                                  f"{len(arg1)} items")
        dt = _default_dtype(arg1[0], dtype)
        values = _host_values(arg1[0], dt)
        indices = _host_index(arg1[1], "row_sparse_array: indices").reshape(-1)
        if values.ndim == 0:
            raise MXNetValueError("row_sparse_array: data needs at least one dimension")
        if shape is None:
            rows = int(indices.max()) + 1 if indices.size else 0
            shape = (rows,) + values.shape[1:]
        shape = _check_shape(shape, "row_sparse_array")
        if indices.shape[0] == values.shape[0] and np.any(np.diff(indices) < 0):
            order = np.argsort(indices, kind="stable")
            values, indices = values[order], indices[order]
        return make_row_sparse(values, indices, shape, context)
    return _converted(arg1, "row_sparse", shape, context, dtype, "row_sparse_array")


def csr_matrix(arg1: Any, shape: Any = None, ctx: Optional[Context] = None,
               dtype: Any = None) -> CSRNDArray:
    """A CSRNDArray from ``(data, indices, indptr)``, ``(data, (row, col))``, a shape (all
    zeros), a SciPy sparse matrix, or another sparse or dense 2-D array."""
    context = _maybe_ctx(ctx)
    if _is_shape(arg1):
        return zeros("csr", arg1, ctx=context, dtype=dtype)
    if isinstance(arg1, tuple) and len(arg1) == 3:
        dt = _default_dtype(arg1[0], dtype)
        values = _host_values(arg1[0], dt).reshape(-1)
        indices = _host_index(arg1[1], "csr_matrix: indices").reshape(-1)
        indptr = _host_index(arg1[2], "csr_matrix: indptr").reshape(-1)
        if shape is None:
            if indptr.size == 0:
                raise MXNetValueError("csr_matrix: indptr needs at least one entry")
            cols = int(indices.max()) + 1 if indices.size else 0
            shape = (indptr.size - 1, cols)
        shape = _check_shape(shape, "csr_matrix")
        check_csr(values, indices, indptr, shape)
        # kernels rely on unique entries: sort each row's columns, add up duplicates
        values, indices, indptr = _canonical_csr(values, indices, indptr, shape)
        return make_csr(values, indices, indptr, shape, context, check=False)
    if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[1], tuple):
        dt = _default_dtype(arg1[0], dtype)
        values = _host_values(arg1[0], dt).reshape(-1)
        row = _host_index(arg1[1][0], "csr_matrix: row").reshape(-1)
        col = _host_index(arg1[1][1], "csr_matrix: col").reshape(-1)
        if shape is None:
            shape = ((int(row.max()) + 1 if row.size else 0),
                     (int(col.max()) + 1 if col.size else 0))
        shape = _check_shape(shape, "csr_matrix")
        if len(shape) != 2:
            raise MXNetValueError(f"csr_matrix: the shape must be 2-D, got {shape}")
        return make_csr(*_coo_to_csr(values, row, col, shape), shape, context)
    if isinstance(arg1, tuple):
        raise MXNetValueError("csr_matrix: expected (data, indices, indptr), (data, (row, "
                              "col)) or a 2-D shape")
    if hasattr(arg1, "tocsr") and hasattr(arg1, "nnz"):  # a SciPy sparse matrix
        m = arg1.tocsr()
        m.sum_duplicates()
        dt = _default_dtype(arg1, dtype)
        out = make_csr(np.asarray(m.data, dt), np.asarray(m.indices), np.asarray(m.indptr),
                       tuple(m.shape), context)
        return _shaped_cast(out, shape, dtype, "csr_matrix")
    return _converted(arg1, "csr", shape, context, dtype, "csr_matrix")


def zeros(stype: str, shape: Any, ctx: Optional[Context] = None, dtype: Any = None,
          **kwargs: Any) -> NDArray:
    """An all-zero array of storage type ``stype`` (nothing stored)."""
    context = _maybe_ctx(ctx)
    dt = DEFAULT_DTYPE if dtype is None else normalize_dtype(dtype, "zeros")
    shape = _check_shape(shape, "zeros")
    if stype == "default":
        return _upload(np.zeros(shape, dt), context)
    if stype == "row_sparse":
        if not shape:
            raise MXNetValueError("zeros: a row_sparse array needs at least one dimension")
        return make_row_sparse(np.zeros((0,) + shape[1:], dt), np.zeros(0, _I64), shape,
                               context, check=False)
    if stype == "csr":
        if len(shape) != 2:
            raise MXNetValueError(f"zeros: a csr array must be 2-D, got shape {shape}")
        return make_csr(np.zeros(0, dt), np.zeros(0, _I64), np.zeros(shape[0] + 1, _I64),
                        shape, context, check=False)
    raise MXNetValueError(f"zeros: unknown storage type {stype!r}; expected one of "
                          f"{list(STORAGE_TYPES)}")


def empty(stype: str, shape: Any, ctx: Optional[Context] = None, dtype: Any = None
          ) -> NDArray:
    """An array of storage type ``stype`` (sparse arrays start with nothing stored)."""
    return zeros(stype, shape, ctx=ctx, dtype=dtype)


def array(source_array: Any, ctx: Optional[Context] = None, dtype: Any = None
          ) -> BaseSparseNDArray:
    """A sparse array from a sparse NDArray (a copy) or a SciPy sparse matrix (CSR)."""
    if isinstance(source_array, BaseSparseNDArray):
        out = source_array.copyto(_maybe_ctx(ctx)) if ctx is not None else source_array.copy()
        return out if dtype is None else out.astype(dtype)
    if hasattr(source_array, "tocsr") and hasattr(source_array, "nnz"):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    raise MXNetTypeError(f"sparse.array: expected a sparse NDArray or a SciPy sparse matrix, "
                         f"got {type(source_array).__name__}")
