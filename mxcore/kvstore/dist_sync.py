"""``dist_sync`` (and ``dist_sync_device``/``dist_device_sync``): synchronous data-parallel
training across processes on MPI.

Every worker keeps a full copy of the store. ``init`` broadcasts rank 0's value; ``push`` sums
the worker's per-device values, then sums across workers with one MPI allreduce, then applies
the optimizer (if set) to the stored value, identically on every worker, so all copies stay
bit-identical without a parameter server. With gradient compression each worker quantises its
sum (residual kept per key on the worker), the 2-bit codes are all-gathered (16x less traffic
than float32) and every worker adds them up. Several small keys pushed in one call
(``push``/``pushpull`` with a list of keys, as the Trainer and Module do) share one
allreduce per dtype.

Run it with ``mpiexec -n 4 python train.py`` (or ``mxcore-launch -n 4 train.py``)::

    kv = mx.kv.create("dist_sync")
    print(kv.rank, kv.num_workers)
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Tuple

import numpy as np

from .. import autograd
from ..base import MXNetValueError
from ..ndarray import NDArray
from ._worker import MPIWorkerStore, host_buffer, write_back
from .base import Key, group_pairs
from .compression import TwoBitCompression, pack_2bit, unpack_2bit

__all__ = ["DistSyncKVStore", "host_buffer", "write_back"]

#: keys with at most this many elements share one allreduce when pushed together
FUSE_MAX_ELEMENTS = 1 << 20


def _dtype_name(num: int) -> str:
    for t in set(np.sctypeDict.values()):
        if np.dtype(t).num == num:
            return np.dtype(t).name
    return f"dtype #{num}"


class DistSyncKVStore(MPIWorkerStore):
    """Synchronous store across MPI workers; see the module docstring."""

    def __init__(self, kind: str = "dist_sync") -> None:
        super().__init__(kind)

    # -- the cross-worker parts --------------------------------------------------------------
    def _check_same_everywhere(self, key: Key, value: NDArray) -> None:
        """Raise if this worker's shape/dtype for ``key`` differs from rank 0's."""
        shape = tuple(value.shape)
        mine = np.full(10, -1, dtype=np.int64)
        mine[0] = len(shape)
        mine[1] = np.dtype(value.dtype).num
        mine[2:2 + min(len(shape), 8)] = shape[:8]
        theirs = mine.copy()
        self._comm.bcast(theirs, 0, f"{self._type}: init of key {key!r}")
        if not np.array_equal(mine, theirs):
            ndim = int(theirs[0])
            raise MXNetValueError(
                f"{self._type}: init of key {key!r}: this worker (rank {self.rank}) has shape "
                f"{shape} and dtype {np.dtype(value.dtype).name}, rank 0 has shape "
                f"{tuple(int(d) for d in theirs[2:2 + ndim])} and dtype "
                f"{_dtype_name(int(theirs[1]))}; every worker "
                "must build the same model in the same order")

    def _init_key(self, key: Key, value: NDArray) -> None:
        if self._comm.num_workers > 1:
            self._check_same_everywhere(key, value)
        super()._init_key(key, value)
        stored = self._store[key]
        buf = host_buffer(stored)
        self._comm.bcast(buf, 0, f"{self._type}: init of key {key!r}")
        write_back(stored, buf)

    # -- several keys in one call: small ones share an allreduce -------------------------------
    def _fusable(self, values: List[NDArray]) -> bool:
        return self._compression is None and self._comm.num_workers > 1 and \
            all(v.size <= FUSE_MAX_ELEMENTS and v.stype == "default" for v in values)

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        pairs = group_pairs(key, value, "KVStore.push")
        small = [p for p in pairs if self._fusable(p[1])]
        if len(small) > 1:
            self._push_fused(small)
        for k, values in pairs:
            if len(small) <= 1 or not self._fusable(values):
                self._push_key(k, values)

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        pairs = group_pairs(key, value, "KVStore.pushpull")
        outs = pairs if out is None else group_pairs(key, out, "KVStore.pushpull")
        fused = [i for i, (_, values) in enumerate(pairs) if self._fusable(values)]
        if len(fused) <= 1:
            fused = []
        if fused:
            self._push_fused([pairs[i] for i in fused])
        for i, ((k, values), (_, targets)) in enumerate(zip(pairs, outs)):
            if fused and i in fused:
                self._pull_key(k, targets, True)
            else:
                self._pushpull_key(k, values, targets)

    def _push_fused(self, pairs: List[Tuple[Key, List[NDArray]]]) -> None:
        with autograd.pause():
            merged = []
            for k, values in pairs:
                stored = self._stored(k, "push")
                merged.append(self._local_sum(k, values, stored.context))
            for m in merged:
                m.wait_to_read()
            start = time.perf_counter()
            by_dtype: Dict[Any, List[NDArray]] = {}
            for m in merged:
                by_dtype.setdefault(np.dtype(m.dtype), []).append(m)
            for group in by_dtype.values():
                self._allreduce_group(group, [k for k, _ in pairs])
            self.comm_seconds += time.perf_counter() - start
            for (k, _), m in zip(pairs, merged):
                self._apply(k, m)

    def _allreduce_group(self, group: List[NDArray], keys: List[Key]) -> None:
        hosts = [host_buffer(m) for m in group]
        flat = np.concatenate([h.reshape(-1) for h in hosts])
        self._comm.allreduce(flat, f"{self._type}: push of keys {keys!r}")
        offset = 0
        for m, h in zip(group, hosts):
            part = flat[offset:offset + h.size].reshape(h.shape)
            offset += h.size
            if h is m._data:
                h[...] = part
            else:
                write_back(m, part)

    # -- one key --------------------------------------------------------------------------------
    def _reduce_across(self, key: Key, merged: NDArray) -> NDArray:
        merged.wait_to_read()  # computing the gradient is not communication
        start = time.perf_counter()
        try:
            return self._reduce(key, merged)
        finally:
            self.comm_seconds += time.perf_counter() - start

    def _reduce(self, key: Key, merged: NDArray) -> NDArray:
        what = f"{self._type}: push of key {key!r}"
        if merged.stype == "row_sparse":
            return self._reduce_row_sparse(merged, what)
        if isinstance(self._compression, TwoBitCompression):
            return self._reduce_compressed(key, merged, what)
        if self._comm.num_workers == 1:
            return merged
        buf = host_buffer(merged)
        self._comm.allreduce(buf, what)
        write_back(merged, buf)
        return merged

    def _reduce_row_sparse(self, merged: NDArray, what: str) -> NDArray:
        """Sum row_sparse values over the workers: all-gather every worker's rows (padded to
        the longest), then add them up in the same order everywhere (the union of rows)."""
        n = self._comm.num_workers
        if n == 1:
            return merged
        from ..ndarray import sparse

        ids = merged.indices.asnumpy().astype(np.int64)
        vals = merged.data.asnumpy()
        counts = np.empty(n, dtype=np.int64)
        self._comm.allgather(np.array([ids.size], dtype=np.int64), counts, what)
        most = int(counts.max())
        if most == 0:
            return merged
        row = vals.shape[1:]
        send_ids = np.full(most, -1, dtype=np.int64)
        send_ids[:ids.size] = ids
        send_vals = np.zeros((most,) + row, dtype=vals.dtype)
        send_vals[:ids.size] = vals
        all_ids = np.empty((n, most), dtype=np.int64)
        all_vals = np.empty((n, most) + row, dtype=vals.dtype)
        self._comm.allgather(send_ids, all_ids, what)
        self._comm.allgather(send_vals, all_vals, what)
        flat_ids = np.concatenate([all_ids[r, :counts[r]] for r in range(n)])
        flat_vals = np.concatenate([all_vals[r, :counts[r]] for r in range(n)])
        rows, inverse = np.unique(flat_ids, return_inverse=True)
        summed = np.zeros((rows.size,) + row, dtype=vals.dtype)
        np.add.at(summed, inverse.reshape(-1), flat_vals)
        return sparse.row_sparse_array((summed, rows), shape=merged.shape, ctx=merged.context,
                                       dtype=vals.dtype)

    def _reduce_compressed(self, key: Key, merged: NDArray, what: str) -> NDArray:
        comp = self._compression
        sent = comp.quantize(key, merged).asnumpy()
        packed = pack_2bit(sent)
        gathered = np.empty((self._comm.num_workers, packed.size), dtype=np.uint8)
        self._comm.allgather(packed, gathered, what)
        total = np.zeros(sent.size, dtype=sent.dtype)
        for row in gathered:
            total += unpack_2bit(row, sent.size, comp.threshold, sent.dtype)
        write_back(merged, total.reshape(sent.shape))
        return merged

    def _pushpull_key(self, key: Key, values: List[NDArray], outs: List[NDArray]) -> None:
        # without an optimizer the pulled value is the reduced sum: reduce once, copy out
        if self._updater is not None or self._compression is not None:
            super()._pushpull_key(key, values, outs)
            return
        with autograd.pause():
            stored = self._stored(key, "pushpull")
            if len(values) == 1 and any(o is values[0] for o in outs) \
                    and values[0].shape == stored.shape:
                merged = values[0]  # reduce in place in the caller's buffer (out is value)
            else:
                merged = self._local_sum(key, values, stored.context)
            merged = self._reduce_across(key, merged)
            merged.copyto(stored)
            for o in outs:
                if o is not merged:
                    merged.copyto(o)
