"""Fused CSR products through SciPy's compiled CSR routines (used when SciPy is installed).

They override the decompositions of the ``_sparse_*`` operators in ``mxcore/ops/sparse_ops.py``
(same arguments) and the conformance suite checks them. Index arrays are int64.
"""

from __future__ import annotations

import numpy as np

try:
    import scipy.sparse as _sps
except ImportError:  # pragma: no cover - SciPy is optional
    _sps = None


def _matrix(values, indptr, indices, shape):
    return _sps.csr_matrix((values, indices, indptr), shape=shape, copy=False)


def csr_dot_dense(values, indptr, indices, dense, num_rows):
    """(num_rows, k) CSR · dense (k, n)."""
    a = _matrix(values, indptr, indices, (num_rows, dense.shape[0]))
    return np.asarray(a @ dense, dtype=dense.dtype)


def csr_t_dot_dense(values, indptr, indices, dense):
    """(m, k) CSRᵀ · dense (m, n) as row_sparse parts: only the columns used get a row."""
    width = int(indices.max()) + 1 if indices.size else 0
    present = np.zeros(width, bool)
    present[indices] = True
    rows = np.flatnonzero(present)
    # column -> its row in the result; int32 (SciPy's index type) when it fits: no copies
    small = max(width, indices.size) < 2 ** 31 - 1
    slot = np.cumsum(present, dtype=np.int32 if small else np.int64) - 1
    ptr = indptr.astype(slot.dtype, copy=False)
    a = _matrix(values, ptr, slot[indices], (dense.shape[0], rows.shape[0]))
    return rows.astype(np.int64), np.asarray(a.T @ dense, dtype=dense.dtype)  # (rows, values)


def dense_dot_csr(dense, values, indptr, indices, num_cols):
    """dense (m, k) · (k, num_cols) CSR."""
    b = _matrix(values, indptr, indices, (dense.shape[1], num_cols))
    return np.asarray((b.T @ dense.T).T, dtype=dense.dtype)


KERNELS: dict = {} if _sps is None else {
    "_sparse_csr_dot_dense": csr_dot_dense,
    "_sparse_csr_t_dot_dense": csr_t_dot_dense,
    "_sparse_dense_dot_csr": dense_dot_csr,
}
