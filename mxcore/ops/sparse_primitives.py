"""Building blocks of the sparse kernels, written once against a backend's primitives ``K``.

Every function takes and returns backend arrays (indices are int64). They run on any backend
that has the indexing primitives (take, scatter_add, cumsum, argsort ...). Results whose size
depends on the data (the number of distinct rows) need that count on the host: those
functions read one integer back (``count``) — the only host transfer in a sparse kernel.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

__all__ = ["I64", "host_int", "row_ids", "unique_inverse", "align_rows", "csr_coords",
           "indptr_from_rows", "rsp_to_dense", "csr_to_dense", "csr_dot_dense",
           "csr_t_dot_dense", "dense_dot_csr", "segment_rows", "csr_take_rows", "positions",
           "dense_to_rsp", "dense_to_csr"]

I64 = np.dtype("int64")


def host_int(backend: Any, scalar: Any) -> int:
    """One integer from a one-element backend array (a host read)."""
    return int(backend.to_host(scalar).reshape(-1)[0])


def _take1(K: Any, x: Any, start: int, stop: int) -> Any:
    return K.slice(x, (slice(start, stop),))


def row_ids(K: Any, indptr: Any, nnz: int) -> Any:
    """The row of every stored entry of a CSR matrix (``repeat(arange(m), diff(indptr))``):
    one mark at each row start, then a running sum."""
    m = indptr.shape[0] - 1
    if nnz == 0 or m <= 1:
        return K.full((nnz,), 0, I64)
    marks = K.scatter_add(K.full((nnz + 1,), 0, I64), 0, _take1(K, indptr, 1, m),
                          K.full((m - 1,), 1, I64))
    return _take1(K, K.cumsum(marks, 0), 0, nnz)


def unique_inverse(K: Any, backend: Any, idx: Any, bound: int = -1) -> Tuple[Any, Any]:
    """Sorted distinct values of the 1-D int64 ``idx`` and, for each element, the position of
    its value among them (one host read: the count).

    With ``bound`` (all values lie in [0, bound)) not much larger than ``idx``, a mark per
    possible value and a running count replace the sort.
    """
    n = idx.shape[0]
    if n == 0:
        return idx, idx
    if 0 < bound <= 4 * n + 4096:
        present = K.greater(K.scatter_add(K.full((bound,), 0, I64), 0, idx,
                                          K.full((n,), 1, I64)), I64.type(0))
        slot = K.subtract(K.cumsum(K.cast(present, I64), 0), I64.type(1))
        return positions(K, backend, present), K.take(slot, idx, 0)
    order = K.argsort(idx, 0, False)
    s = K.take(idx, order, 0)
    first = K.cast(K.not_equal(_take1(K, s, 1, n), _take1(K, s, 0, n - 1)), I64)
    first = K.concat([K.full((1,), 1, I64), first], 0)
    seg = K.subtract(K.cumsum(first, 0), I64.type(1))
    n_unique = host_int(backend, _take1(K, seg, n - 1, n)) + 1
    uniq = K.scatter_add(K.full((n_unique,), 0, I64), 0, seg, K.multiply(s, first))
    inverse = K.scatter_add(K.full((n,), 0, I64), 0, order, seg)
    return uniq, inverse


def segment_rows(K: Any, n_rows: int, seg: Any, values: Any) -> Any:
    """Rows of ``values`` added into ``n_rows`` rows by segment id ``seg``."""
    return K.scatter_add(K.full((n_rows,) + tuple(values.shape[1:]), 0, values.dtype), 0, seg,
                         values)


def align_rows(K: Any, backend: Any, idx_a: Any, val_a: Any, idx_b: Any, val_b: Any,
               bound: int = -1) -> Tuple[Any, Any, Any]:
    """Two row_sparse operands on the union of their rows: (union, rows of a, rows of b);
    ``bound``: the row indices lie in [0, bound) (see :func:`unique_inverse`)."""
    na = idx_a.shape[0]
    uniq, inv = unique_inverse(K, backend, K.concat([idx_a, idx_b], 0), bound)
    n = uniq.shape[0]
    inv_a = _take1(K, inv, 0, na)
    inv_b = _take1(K, inv, na, inv.shape[0])
    return uniq, segment_rows(K, n, inv_a, val_a), segment_rows(K, n, inv_b, val_b)


def csr_coords(K: Any, indptr: Any, indices: Any) -> Any:
    """(2, nnz) int64 coordinates (row, column) of the stored entries."""
    nnz = indices.shape[0]
    rows = row_ids(K, indptr, nnz)
    return K.concat([K.reshape(rows, (1, nnz)), K.reshape(indices, (1, nnz))], 0)


def indptr_from_rows(K: Any, rows: Any, n_rows: int) -> Any:
    """Row pointers from the (sorted) row of every entry."""
    counts = K.scatter_add(K.full((n_rows,), 0, I64), 0, rows,
                           K.full((rows.shape[0],), 1, I64))
    return K.concat([K.full((1,), 0, I64), K.cumsum(counts, 0)], 0)


def rsp_to_dense(K: Any, values: Any, idx: Any, shape: Tuple[int, ...]) -> Any:
    """The dense array of row_sparse parts (rows are unique: one write each)."""
    out = K.full(shape, 0, values.dtype)
    if idx.shape[0]:
        K.setitem(out, (idx,), values)
    return out


def csr_to_dense(K: Any, values: Any, indptr: Any, indices: Any, shape: Tuple[int, ...]
                 ) -> Any:
    return K.scatter_nd_add(K.full(shape, 0, values.dtype), csr_coords(K, indptr, indices),
                            values)


def csr_dot_dense(K: Any, values: Any, indptr: Any, indices: Any, dense: Any, m: int) -> Any:
    """(m, k) CSR times dense (k, n): each entry scales a row of ``dense``; rows add up."""
    nnz = values.shape[0]
    prod = K.multiply(K.take(dense, indices, 0), K.reshape(values, (nnz, 1)))
    return segment_rows(K, m, row_ids(K, indptr, nnz), prod)


def csr_t_dot_dense(K: Any, backend: Any, values: Any, indptr: Any, indices: Any, dense: Any
                    ) -> Tuple[Any, Any]:
    """(m, k) CSR transposed times dense (m, n), as row_sparse parts (rows, values): only
    the columns the matrix uses get a row."""
    nnz = values.shape[0]
    rows = row_ids(K, indptr, nnz)
    uniq, inv = unique_inverse(K, backend, indices, bound=_max_plus_one(K, backend, indices))
    prod = K.multiply(K.take(dense, rows, 0), K.reshape(values, (nnz, 1)))
    return uniq, segment_rows(K, uniq.shape[0], inv, prod)


def _max_plus_one(K: Any, backend: Any, idx: Any) -> int:
    """1 + the largest value of a non-empty int64 vector (a host read)."""
    return host_int(backend, K.reshape(K.max(idx, None, False), (1,))) + 1 if idx.shape[0] \
        else 0


def dense_dot_csr(K: Any, dense: Any, values: Any, indptr: Any, indices: Any, n: int) -> Any:
    """Dense (m, k) times (k, n) CSR: column ``indices[j]`` gains ``dense[:, row_j]*v_j``."""
    nnz = values.shape[0]
    prod = K.multiply(K.take(dense, row_ids(K, indptr, nnz), 1), K.reshape(values, (1, nnz)))
    return K.scatter_add(K.full((dense.shape[0], n), 0, dense.dtype), 1, indices, prod)


def csr_take_rows(K: Any, backend: Any, values: Any, indptr: Any, indices: Any, rows: Any
                  ) -> Tuple[Any, Any, Any]:
    """CSR parts of the rows ``rows`` (int64, in range, any order or repeats) of a CSR
    matrix (one host read: the number of entries gathered)."""
    n = rows.shape[0]
    m = indptr.shape[0] - 1
    starts = K.take(_take1(K, indptr, 0, m), rows, 0)
    lengths = K.subtract(K.take(_take1(K, indptr, 1, m + 1), rows, 0), starts)
    new_ptr = K.concat([K.full((1,), 0, I64), K.cumsum(lengths, 0)], 0)
    nnz = host_int(backend, _take1(K, new_ptr, n, n + 1))
    row_of = row_ids(K, new_ptr, nnz)
    src = K.add(K.subtract(K.arange(0, nnz, 1, I64), K.take(new_ptr, row_of, 0)),
                K.take(starts, row_of, 0))
    return K.take(values, src, 0), new_ptr, K.take(indices, src, 0)


def positions(K: Any, backend: Any, mask: Any) -> Any:
    """Ascending positions where the 1-D bool ``mask`` is true (a running count gives each
    one its slot; one host read: how many there are)."""
    n = mask.shape[0]
    if n == 0:
        return K.full((0,), 0, I64)
    flags = K.cast(mask, I64)
    count = K.cumsum(flags, 0)
    total = host_int(backend, _take1(K, count, n - 1, n))
    slot = K.where(mask, K.subtract(count, I64.type(1)), K.full((), total, I64))
    out = K.scatter_add(K.full((total + 1,), 0, I64), 0, slot, K.arange(0, n, 1, I64))
    return _take1(K, out, 0, total)


def dense_to_rsp(K: Any, backend: Any, data: Any) -> Tuple[Any, Any]:
    """row_sparse parts (values, row indices) of a dense array: its non-zero rows."""
    rows = data.shape[0]
    flat = K.reshape(data, (rows, data.size // rows if rows else 0))
    nonzero = K.sum(K.cast(K.not_equal(flat, data.dtype.type(0)), I64), (1,), False)
    idx = positions(K, backend, K.greater(nonzero, I64.type(0)))
    return K.take(data, idx, 0), idx


def dense_to_csr(K: Any, backend: Any, data: Any) -> Tuple[Any, Any, Any]:
    """CSR parts (values, indptr, indices) of a dense 2-D array."""
    m, n = data.shape
    flat = K.reshape(data, (m * n,))
    pos = positions(K, backend, K.not_equal(flat, data.dtype.type(0)))
    if n == 0:
        return K.take(flat, pos, 0), K.full((m + 1,), 0, I64), pos
    rows = K.divide(pos, I64.type(n))
    cols = K.subtract(pos, K.multiply(rows, I64.type(n)))
    return K.take(flat, pos, 0), indptr_from_rows(K, rows, m), cols
