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
                rows = stored.asnumpy()[host_ids]
                result = sparse.row_sparse_array((rows, host_ids), shape=stored.shape,
                                                 ctx=o.context, dtype=stored.dtype)
                result.copyto(o)
