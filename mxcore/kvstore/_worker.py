"""What the MPI stores (``dist_sync``, ``dist_async``) share on the worker side: the
communicator (a server rank turns into a server and never returns), rank and worker count,
the barrier, stopping the servers at exit, and host buffers for sending arrays."""

from __future__ import annotations

import atexit

import numpy as np

from ..ndarray import NDArray
from ..ndarray.ndarray import _wrap
from .base import KVStoreBase

__all__ = ["MPIWorkerStore", "host_buffer", "write_back"]


def host_buffer(arr: NDArray) -> np.ndarray:
    """``arr``'s data as a contiguous host NumPy array: the array itself on a NumPy backend
    (no copy), else a copy (write it back with :func:`write_back`)."""
    data = arr._sync()
    if isinstance(data, np.ndarray) and data.flags.c_contiguous and data.flags.writeable:
        return data
    return np.ascontiguousarray(arr.asnumpy())


def write_back(arr: NDArray, host: np.ndarray) -> None:
    """Store ``host`` into ``arr`` unless it already is ``arr``'s buffer."""
    if host is not arr._data:
        ctx = arr._ctx
        arr._assign(_wrap(ctx.backend.from_host(host, ctx.device_id), ctx))


class MPIWorkerStore(KVStoreBase):
    """Base of the stores whose workers are MPI ranks."""

    _supports_compression = True
    _compress_per_device = False

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        from . import _mpi

        self._comm = _mpi.get_comm()
        if self._comm.is_server:
            from .server import serve_forever

            serve_forever(self._comm)  # never returns
        #: seconds spent in cross-worker communication so far (an mxcore extension)
        self.comm_seconds = 0.0
        atexit.register(self.close)

    @property
    def rank(self) -> int:
        return self._comm.rank

    @property
    def num_workers(self) -> int:
        return self._comm.num_workers

    def barrier(self) -> None:
        """Wait for every worker (raises MXNetKVStoreError if one failed)."""
        self._comm.barrier(f"{self._type}: barrier")

    def close(self) -> None:
        """Tell any server ranks that this worker is done (called at exit)."""
        from .server import stop_servers

        stop_servers(self._comm)
