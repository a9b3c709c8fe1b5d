"""Workaround for PyOpenCL's bundled PoCL on CPUs newer than its LLVM.

PoCL passes LLVM's host CPU name to its compiler; LLVM 14 (in PoCL 3.0 wheels) names CPUs it
does not know (e.g. AMD Zen 5) ``"generic"``, which its x86 front end rejects ("unknown
target CPU 'generic'"), so no kernel builds. Before the first platform query, when that
library answers ``"generic"``, its ``llvm::sys::getHostCPUName`` is patched in memory to
answer the x86-64 level the CPU flags support (``x86-64-v4``, ``-v3`` or ``x86-64``).
Nothing happens for other drivers, other CPUs or when ``MXCORE_OPENCL_POCL_CPU_FIX=0``.
"""

from __future__ import annotations

import ctypes
import glob
import mmap
import os
import platform
import struct
from typing import Optional

__all__ = ["apply"]

_SYMBOL = b"_ZN4llvm3sys14getHostCPUNameEv"
_applied: list = []


class _StringRef(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t)]


class _DlInfo(ctypes.Structure):
    _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]


def _symbol_value(path: str, name: bytes) -> Optional[int]:
    """The st_value of a (possibly local) symbol from the ELF .symtab."""
    with open(path, "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        if data[:4] != b"\x7fELF" or data[4] != 2:
            return None
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                    for i in range(shnum)]
        for sec in sections:
            if sec[1] != 2:  # SHT_SYMTAB
                continue
            strtab = sections[sec[6]]
            str_off, sym_off, count = strtab[4], sec[4], sec[5] // 24
            for i in range(count):
                st_name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data,
                                                               sym_off + i * 24)
                end = data.find(b"\0", str_off + st_name)
                if data[str_off + st_name:end] == name:
                    return value
        return None
    finally:
        data.close()


def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def apply() -> bool:
    """Patch the bundled PoCL if (and only if) it would name this CPU "generic"."""
    if _applied:
        return _applied[0]
    _applied.append(False)
    if os.environ.get("MXCORE_OPENCL_POCL_CPU_FIX", "1") == "0":
        return False
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        return False
    try:
        import pyopencl
    except ImportError:
        return False
    libs = glob.glob(os.path.join(os.path.dirname(pyopencl.__file__), ".libs", "libpocl*.so*"))
    if not libs:
        return False
    try:
        lib = ctypes.CDLL(libs[0], mode=ctypes.RTLD_GLOBAL)
        value = _symbol_value(libs[0], _SYMBOL)
        if value is None:
            return False
        libc = ctypes.CDLL(None, use_errno=True)
        info = _DlInfo()
        anchor = ctypes.cast(lib.POclIcdGetPlatformIDsKHR, ctypes.c_void_p)
        if not libc.dladdr(anchor, ctypes.byref(info)):
            return False
        addr = info.fbase + value
        fn = ctypes.CFUNCTYPE(_StringRef)(addr)
        name = fn()
        if ctypes.string_at(name.data, name.size) != b"generic":
            return False
        flags = _cpu_flags()
        if {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= flags:
            cpu = b"x86-64-v4"
        elif {"avx2", "fma", "bmi2"} <= flags:
            cpu = b"x86-64-v3"
        else:
            cpu = b"x86-64"
        # lea rax, [rip + 6]; mov edx, len; ret; "<cpu>\0"
        code = b"\x48\x8d\x05\x06\x00\x00\x00\xba" + struct.pack("<I", len(cpu)) + b"\xc3" \
            + cpu + b"\0"
        page = mmap.PAGESIZE
        start = addr & ~(page - 1)
        length = (addr + len(code) - start + page - 1) // page * page
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        if libc.mprotect(start, length, 7) != 0:  # RWX while writing
            return False
        ctypes.memmove(addr, code, len(code))
        libc.mprotect(start, length, 5)  # back to R-X
        _applied[0] = ctypes.string_at(fn().data, len(cpu)) == cpu
    except (OSError, AttributeError, ValueError, struct.error):
        return False
    return _applied[0]
