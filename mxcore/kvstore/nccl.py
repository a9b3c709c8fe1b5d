"""``nccl``: in-process reduction across CUDA GPUs through CuPy's NCCL binding.

Values on several ``mx.gpu(i)`` contexts are summed with one NCCL all-reduce per key (every
device ends with the sum), then the update runs as in the ``device`` store. The store needs a
CUDA backend and ``cupy.cuda.nccl``; without them :func:`mxcore.kvstore.create` says so.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ..base import MXNetError
from ..ndarray import NDArray
from .base import Key
from .local import DeviceKVStore

__all__ = ["NCCLKVStore", "nccl_module"]


def nccl_module() -> Any:
    """``cupy.cuda.nccl``, or an MXNetError saying why it cannot be used."""
    try:
        from cupy.cuda import nccl
    except ImportError as exc:
        raise MXNetError(f"kvstore 'nccl' needs CuPy with NCCL (pip install cupy-cuda12x and "
                         f"the mxcore-cuda-cupy backend): {exc}") from None
    if not getattr(nccl, "available", True):
        raise MXNetError("kvstore 'nccl': this CuPy build has no NCCL support")
    return nccl


class NCCLKVStore(DeviceKVStore):
    """Sums the per-GPU values of each key with NCCL (see the module docstring)."""

    _supports_compression = False

    def __init__(self, kind: str = "nccl") -> None:
        super().__init__(kind)
        self._nccl = nccl_module()
        self._comms: Dict[Tuple[int, ...], list] = {}

    def _store_context(self, value: NDArray) -> Any:
        return value.context  # on the GPU, as 'device'

    def _communicators(self, devices: Tuple[int, ...]) -> list:
        comms = self._comms.get(devices)
        if comms is None:
            comms = self._comms[devices] = self._nccl.NcclCommunicator.initAll(list(devices))
        return comms

    def _local_sum(self, key: Key, values: List[NDArray], ctx: Any) -> NDArray:
        gpus = [v for v in values if v.context.device_type == "gpu"]
        devices = tuple(v.context.device_id for v in values)
        if len(values) < 2 or len(gpus) != len(values) or len(set(devices)) != len(devices):
            return super()._local_sum(key, values, ctx)
        import cupy

        nccl = self._nccl
        sums = [v.copy() for v in values]
        bufs = [s._sync() for s in sums]
        dtype = {"float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64,
                 "float16": nccl.NCCL_FLOAT16, "int32": nccl.NCCL_INT32}.get(bufs[0].dtype.name)
        if dtype is None:
            return super()._local_sum(key, values, ctx)
        comms = self._communicators(devices)
        nccl.groupStart()
        for comm, buf, dev in zip(comms, bufs, devices):
            with cupy.cuda.Device(dev):
                comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, dtype, nccl.NCCL_SUM,
                               cupy.cuda.get_current_stream().ptr)
        nccl.groupEnd()
        for dev in devices:
            cupy.cuda.Device(dev).synchronize()
        for s in sums:
            if s.context == ctx:
                return s
        return sums[0].as_in_context(ctx)
