"""``dist_async``: asynchronous parameter-server training on MPI.

The last ``S`` MPI ranks are servers (``mxcore-launch -n W -s S``, or the environment variable
``MXNET_KVSTORE_NUM_SERVER``/``DMLC_NUM_SERVER``); ``mx.kv.create('dist_async')`` turns a
server rank into a server and never returns there. Each key lives on one server (a stable hash
of the key). A worker's ``push`` sends its summed gradient and goes on; the server applies the
optimizer to the stored weight as each push arrives, with no wait for the other workers.
``pull`` fetches the server's current value. ``set_optimizer`` ships the optimizer to the
servers in the no-pickle updater-states format.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, List

import numpy as np

from .. import autograd
from .. import optimizer as opt
from ..base import MXNetError
from ..ndarray import NDArray
from ._worker import MPIWorkerStore, host_buffer, write_back
from .base import Key, group_pairs
from .server import recv_bytes, recv_reply, send_request, server_of

__all__ = ["DistAsyncKVStore"]

_STORE_IDS = itertools.count()


class DistAsyncKVStore(MPIWorkerStore):
    """Parameter-server store; see the module docstring."""

    def __init__(self, kind: str = "dist_async") -> None:
        super().__init__(kind)
        if self._comm.num_servers == 0:
            raise MXNetError(
                "dist_async: no server ranks; launch with `mxcore-launch -n WORKERS -s SERVERS "
                "script.py` or set MXNET_KVSTORE_NUM_SERVER (the last ranks become servers)")
        self._sid = next(_STORE_IDS)

    # -- messages ----------------------------------------------------------------------------------
    def _header(self, op: str, key: Key, arr: np.ndarray = None) -> dict:
        header = {"op": op, "sid": self._sid, "key": key}
        if arr is not None:
            header.update(dtype=arr.dtype.str, shape=list(arr.shape))
        return header

    def _ack(self, source: int, what: str) -> None:
        recv_reply(self._comm, source, np.empty(1, dtype=np.int64), what)

    def _servers(self) -> range:
        return range(self._comm.num_workers, self._comm.world_size)

    # -- data operations ---------------------------------------------------------------------------
    def _init_key(self, key: Key, value: NDArray) -> None:
        super()._init_key(key, value)  # local copy: shape/dtype and the buffer pulls land in
        if self.rank == 0:
            host = host_buffer(self._store[key])
            dest = server_of(self._comm, key)
            send_request(self._comm, dest, self._header("init", key, host), host)
            self._ack(dest, f"dist_async: init of key {key!r}")
        self.barrier()

    def _push_key(self, key: Key, values: List[NDArray]) -> None:
        with autograd.pause():
            stored = self._stored(key, "push")
            merged = self._local_sum(key, values, stored.context)
            if self._compression is not None:
                merged = self._compression.quantize(key, merged)
            host = host_buffer(merged)
            start = time.perf_counter()
            send_request(self._comm, server_of(self._comm, key),
                         self._header("push", key, host), host)
            self.comm_seconds += time.perf_counter() - start

    def _pull_source(self, key: Key) -> NDArray:
        self._fetch([key])
        return self._store[key]

    def _fetch(self, keys: List[Key]) -> None:
        """Refresh the local copies of ``keys`` from their servers: all requests first,
        then all replies (one round trip for the lot)."""
        start = time.perf_counter()
        for key in keys:
            self._stored(key, "pull")
            send_request(self._comm, server_of(self._comm, key), self._header("pull", key))
        for key in keys:
            stored = self._store[key]
            host = np.empty(stored.shape, dtype=np.dtype(stored.dtype))
            recv_reply(self._comm, server_of(self._comm, key), host,
                       f"dist_async: pull of key {key!r}")
            write_back(stored, host)
        self.comm_seconds += time.perf_counter() - start

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """Push every key, then pull them all in one round trip."""
        pairs = group_pairs(key, value, "KVStore.pushpull")
        outs = pairs if out is None else group_pairs(key, out, "KVStore.pushpull")
        for k, values in pairs:
            self._push_key(k, values)
        self._fetch([k for k, _ in pairs])
        with autograd.pause():
            for k, targets in outs:
                stored = self._store[k]
                for o in targets:
                    stored.copyto(o)

    # -- optimizer on the servers ------------------------------------------------------------------
    def set_optimizer(self, optimizer: opt.Optimizer) -> None:
        """Send ``optimizer`` to every server (from rank 0), which then applies each push."""
        super().set_optimizer(optimizer)
        self._updater = None  # updates happen on the servers
        if self.rank == 0:
            blob = opt.get_updater(optimizer).get_states(dump_optimizer=True)
            self._broadcast_blob("set_optimizer", blob)
        self.barrier()

    def _broadcast_blob(self, op: str, blob: bytes) -> None:
        payload = np.frombuffer(blob, dtype=np.uint8).copy()
        for s in self._servers():
            send_request(self._comm, s, self._header(op, None, payload), payload)
            self._ack(s, f"dist_async: {op}")

    def _optimizer_states(self, dump_optimizer: bool) -> bytes:
        if self._optimizer is None:
            raise MXNetError("KVStore.save_optimizer_states: call set_optimizer first")
        merged = opt.get_updater(self._optimizer)
        part = opt.get_updater(self._optimizer)
        for s in self._servers():
            send_request(self._comm, s, self._header("get_states", None))
            blob = recv_bytes(self._comm, s, "dist_async: save_optimizer_states")
            if blob:
                part.set_states(blob)
                merged.states.update(part.states)
        return merged.get_states(dump_optimizer=dump_optimizer)

    def _restore_optimizer_states(self, blob: bytes) -> None:
        if self._optimizer is None:
            raise MXNetError("KVStore.load_optimizer_states: call set_optimizer first")
        if self.rank == 0:
            self._broadcast_blob("set_states", blob)
        self.barrier()
