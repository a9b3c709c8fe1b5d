"""One OpenCL device in use: context, in-order queue, memory pool and the program cache.

Programs are generated OpenCL C (see :mod:`.codegen`) built once per process and kept in
memory by their source; PyOpenCL also caches built binaries on disk (directory from
``MXCORE_OPENCL_CACHE``, default ``~/.cache/mxcore-opencl``), so a second run skips the
compiler.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Dict, Optional, Sequence

import numpy as np
import pyopencl as cl
import pyopencl.tools as cl_tools

__all__ = ["Runtime", "cache_dir"]


def cache_dir() -> str:
    """Where built program binaries are kept between runs."""
    path = os.environ.get("MXCORE_OPENCL_CACHE")
    if not path:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                ".cache")
        path = os.path.join(base, "mxcore-opencl")
    return path


class Runtime:
    """Everything the kernels need of one device."""

    def __init__(self, device: Any):
        self.device = device
        self.context = cl.Context([device])
        self.queue = cl.CommandQueue(self.context)
        self.pool = cl_tools.MemoryPool(cl_tools.ImmediateAllocator(self.queue))
        ext = device.extensions.split()
        self.fp64 = "cl_khr_fp64" in ext or device.double_fp_config != 0
        self.fp16 = "cl_khr_fp16" in ext
        self.max_group = min(device.max_work_group_size, 256)
        is_cpu = bool(device.type & cl.device_type.CPU)
        #: elements per work-item in contiguous element-wise kernels (a vectorisable loop on
        #: CPUs; one element per work-item on GPUs, for coalesced access)
        self.chunk = int(os.environ.get("MXCORE_OPENCL_CHUNK", 4096 if is_cpu else 1))
        self.programs: Dict[str, Any] = {}
        self.kernels: Dict[Any, Any] = {}
        self.builds = 0
        self._dummy: Optional[Any] = None
        self._geometry: Dict[tuple, Any] = {}  # read-only shape/stride buffers by value
        self.dtypes: frozenset = frozenset()
        self._supported: set = set()  # np.dtype objects already checked
        self.device_label = device.name

    def require(self, dtype: Any) -> np.dtype:
        """``dtype`` as np.dtype, or UnsupportedByDevice when this device lacks it."""
        if isinstance(dtype, np.dtype) and dtype in self._supported:
            return dtype
        dt = np.dtype(dtype)
        if dt.name in self.dtypes:
            self._supported.add(dt)
        else:
            from mxcore.base import UnsupportedByDevice

            raise UnsupportedByDevice(
                f"dtype {dt.name} is unsupported by this OpenCL device ({self.device_label}); "
                f"supported: {sorted(self.dtypes)} [backend opencl]")
        return dt

    # -- memory ------------------------------------------------------------------------
    def alloc(self, nbytes: int) -> Any:
        if nbytes <= 0:
            if self._dummy is None:
                self._dummy = cl.Buffer(self.context, cl.mem_flags.READ_WRITE, 16)
            return self._dummy
        return self.pool.allocate(nbytes)

    def upload(self, host: np.ndarray) -> Any:
        """A new device buffer holding ``host`` (C-contiguous)."""
        buf = self.alloc(host.nbytes)
        if host.nbytes:
            cl.enqueue_copy(self.queue, buf, host, is_blocking=False)
        return buf

    def geometry(self, values: Sequence[int]) -> Any:
        """A small read-only int64 buffer of shape/stride numbers for a kernel."""
        key = tuple(values)
        buf = self._geometry.get(key)
        if buf is not None:
            return buf
        if len(self._geometry) > 4096:
            self._geometry.clear()
        host = np.asarray(values if values else [0], dtype=np.int64)
        flags = cl.mem_flags.READ_ONLY | cl.mem_flags.COPY_HOST_PTR
        buf = self._geometry[key] = cl.Buffer(self.context, flags, hostbuf=host)
        return buf

    # -- programs ------------------------------------------------------------------------
    def kernel(self, key: Any, make_source, name: str = "k") -> Any:
        """The kernel ``name`` of the program ``make_source()`` builds (cached by ``key``)."""
        kern = self.kernels.get(key)
        if kern is None:
            source = make_source()
            prog = self.programs.get(source)
            if prog is None:
                prog = cl.Program(self.context, source)
                try:
                    with warnings.catch_warnings():  # compiler remarks are not user warnings
                        warnings.simplefilter("ignore", cl.CompilerWarning)
                        prog = prog.build(options=["-cl-std=CL1.2"], cache_dir=cache_dir())
                except cl.RuntimeError as exc:
                    raise RuntimeError(f"OpenCL build failed: {exc}\n{source}") from None
                self.programs[source] = prog
                self.builds += 1
            kern = self.kernels[key] = getattr(prog, name)
        return kern

    def run(self, kern: Any, n: int, args: Sequence[Any], local: Optional[int] = None) -> None:
        """Launch ``kern`` over ``n`` work-items (rounded up; kernels guard their range)."""
        if n <= 0:
            return
        group = local or 64
        total = (n + group - 1) // group * group
        kern(self.queue, (total,), (group,), *args)

    def synchronize(self) -> None:
        self.queue.finish()
