"""``row_sparse_pull``: pull selected rows of a stored value into RowSparseNDArrays."""

from __future__ import annotations

from typing import Any, List

import numpy as np

from .. import autograd
from ..base import MXNetTypeError, MXNetValueError
from ..ndarray import NDArray

__all__ = ["row_sparse_pull"]


def _row_ids(row_ids: Any, count: int) -> List[Any]:
    if row_ids is None:
        raise MXNetValueError("KVStore.row_sparse_pull: row_ids must be given")
    ids = list(row_ids) if isinstance(row_ids, (list, tuple)) else [row_ids]
    if len(ids) == 1 and count > 1:
        ids = ids * count
    if len(ids) != count:
        raise MXNetValueError(f"KVStore.row_sparse_pull: {count} outputs need {count} row_ids, "
                              f"got {len(ids)}")
    return ids


def row_sparse_pull(store: Any, key: Any, out: Any, row_ids: Any) -> None:
    """Write rows ``row_ids`` (unique, sorted) of ``key``'s stored value into each ``out``."""
    from ..ndarray import sparse
    from .base import group_pairs

    if out is None:
        raise MXNetValueError("KVStore.row_sparse_pull: out must be given")
    pairs = group_pairs(key, out, "KVStore.row_sparse_pull")
    flat_outs = [o for _, outs in pairs for o in outs]
    ids_per_out = _row_ids(row_ids, len(flat_outs))
    position = 0
    with autograd.pause():
        for k, outs in pairs:
            stored = store._pull_source(k)
            for o in outs:
                if not isinstance(o, sparse.RowSparseNDArray):
                    raise MXNetTypeError("KVStore.row_sparse_pull: out must be a "
                                         f"RowSparseNDArray, got {type(o).__name__}")
                ids = ids_per_out[position]
                position += 1
                host_ids = ids.asnumpy() if isinstance(ids, NDArray) else np.asarray(ids)
                host_ids = np.unique(host_ids.astype(np.int64).reshape(-1))
                if host_ids.size and (host_ids[0] < 0 or host_ids[-1] >= stored.shape[0]):
                    raise MXNetValueError(f"KVStore.row_sparse_pull: row_ids out of range "
                                          f"[0, {stored.shape[0]}) for key {k!r}")
                _gather_rows(stored, host_ids).copyto(o)


def _gather_rows(stored: NDArray, host_ids: np.ndarray) -> NDArray:
    """Rows ``host_ids`` (sorted, unique) of ``stored`` as a RowSparseNDArray, gathered on
    the store's device (only the row ids travel from the host)."""
    from .. import ndarray as nd
    from ..ndarray import sparse
    from ..ops.sparse_kernels import make_rsp

    ids = nd.array(host_ids, dtype=np.int64, ctx=stored.context)
    if stored.stype == "row_sparse":
        return sparse.retain(stored, ids)
    if stored.stype != "default":
        stored = stored.tostype("default")
    rows = nd.take(stored, ids, axis=0)
    return make_rsp(rows._sync(), ids._sync(), stored.shape, stored.context)
