"""Operators that exist for sparse arrays (their dense forms serve dense inputs too).

Their row_sparse kernels live in :mod:`.sparse_updates`; dispatch picks them for sparse
inputs.
"""

from __future__ import annotations

import numpy as np

from . import sparse_primitives as sp
from .indexing import fix_indices
from .registry import OpDef, Param, one_of, register_op, to_int

__all__: list = []

_I64 = np.dtype("int64")


def _retain(K, data, indices):
    n = data.shape[0]
    idx = fix_indices(K, K.reshape(indices, (indices.size,)), max(n, 1), "raise")
    marks = K.scatter_add(K.full((n,), 0, _I64), 0, idx, K.full((idx.shape[0],), 1, _I64))
    keep = K.reshape(K.greater(marks, _I64.type(0)), (n,) + (1,) * (data.ndim - 1))
    return K.where(keep, data, K.full((), 0, data.dtype))


def _retain_check(shapes, dtypes):
    if not shapes[0]:
        raise ValueError("data needs at least one axis")


register_op(OpDef(
    "_sparse_retain", ("data", "indices"), compute=_retain, check=_retain_check,
    area="sparse",
    doc="Keep only the rows of data listed in indices (others become zero); a row_sparse "
        "input gives a row_sparse result holding exactly those rows."))


def _cast_storage(K, data, stype):
    if stype != "default":
        raise ValueError(f"a dense input cast to {stype!r} takes the storage-type path: use "
                         "mx.nd.cast_storage / x.tostype, or the op inside a Symbol")
    return K.copy(data)


def _cast_storage_grad(F, inputs, outputs, out_grads, stype):
    g = out_grads[0]
    return [g if g.stype == "default" else g.tostype("default")]


register_op(OpDef(
    "cast_storage", ("data",),
    (Param("stype", one_of("default", "row_sparse", "csr"), doc="the result's storage type"),),
    compute=_cast_storage, gradient=_cast_storage_grad,
    infer_shape=lambda shapes, stype: [shapes[0]], area="sparse",
    doc="A copy of data in another storage type ('default', 'row_sparse' or 'csr'); the "
        "gradient passes back dense. mx.nd.cast_storage and x.tostype are its frontends; in "
        "a Symbol the executor runs it through the storage-type path."))


# -- the CSR products on components (a backend may fuse them) --------------------------------
def _csr_dot_dense(K, data, indptr, indices, rhs, num_rows):
    return sp.csr_dot_dense(K, data, indptr, indices, rhs, num_rows)


def _csr_t_dot_dense(K, data, indptr, indices, rhs):
    return sp.csr_t_dot_dense(K, K._backend, data, indptr, indices, rhs)


def _dense_dot_csr(K, lhs, data, indptr, indices, num_cols):
    return sp.dense_dot_csr(K, lhs, data, indptr, indices, num_cols)


def _parts_check(offset: int):
    """Checks the CSR parts (data, indptr, indices) starting at input ``offset``."""

    def check(shapes, dtypes, **attrs):
        data, indptr, indices = (tuple(s) for s in shapes[offset:offset + 3])
        if len(data) != 1 or len(indptr) != 1 or data != indices:
            raise ValueError(f"data {data}, indptr {indptr} and indices {indices} must be "
                             "1-D, data and indices of one length")
        for name, dt in (("indptr", dtypes[offset + 1]), ("indices", dtypes[offset + 2])):
            if np.dtype(dt) != _I64:
                raise TypeError(f"{name} must be int64, got {np.dtype(dt)}")
        dense = tuple(shapes[3 if offset == 0 else 0])
        if len(dense) != 2:
            raise ValueError(f"the dense operand must be 2-D, got {dense}")
        if np.dtype(dtypes[offset]) != np.dtype(dtypes[3 if offset == 0 else 0]):
            raise TypeError("data and the dense operand must have the same dtype")
        rows = attrs.get("num_rows", indptr[0] - 1)
        if offset == 0 and indptr[0] != rows + 1:
            raise ValueError(f"indptr needs num_rows + 1 = {rows + 1} entries, got {indptr[0]}")
        if offset == 1 and indptr[0] != dense[1] + 1:
            raise ValueError(f"indptr needs {dense[1] + 1} entries for a ({dense[0]}, "
                             f"{dense[1]}) left operand, got {indptr[0]}")

    return check


_PARTS = ("data", "indptr", "indices")
register_op(OpDef(
    "_sparse_csr_dot_dense", _PARTS + ("rhs",), (Param("num_rows", to_int),),
    compute=_csr_dot_dense, check=_parts_check(0), area="sparse",
    doc="CSR (num_rows, k) given as (data, indptr, indices) times dense rhs (k, n)."))
register_op(OpDef(
    "_sparse_csr_t_dot_dense", _PARTS + ("rhs",), compute=_csr_t_dot_dense,
    check=_parts_check(0), num_outputs=2, area="sparse",
    doc="Transposed CSR (data, indptr, indices) times dense rhs: (row indices, rows) of the "
        "row_sparse result (one row per distinct column index)."))
register_op(OpDef(
    "_sparse_dense_dot_csr", ("lhs",) + _PARTS, (Param("num_cols", to_int),),
    compute=_dense_dot_csr, check=_parts_check(1), area="sparse",
    doc="Dense lhs (m, k) times CSR (k, num_cols) given as (data, indptr, indices)."))
