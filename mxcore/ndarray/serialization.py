"""``mx.nd.save`` / ``mx.nd.load``: MXNet's binary NDArray file format (``.params``).

Layout (little-endian), as MXNet 1.x writes it::

    file    := u64 0x112 | u64 reserved | u64 n | array * n | u64 m | name * m   (m is 0 or n)
    name    := u64 length | UTF-8 bytes
    array   := u32 0xF993FAC9 (V2; 0xF993FACA = V3, NumPy shape semantics) | i32 stype
               | [shape storage_shape, if sparse] | shape | [nothing more if V2 and ndim 0]
               | i32 dev_type | i32 dev_id | i32 dtype flag
               | [i32 aux dtype flag | shape aux_shape, per aux array, if sparse]
               | raw data (storage shape) | [raw aux data, per aux array]
    shape   := i32 ndim | i64 dim * ndim

stype is 0 (default), 1 (row_sparse: aux = row indices) or 2 (csr: aux = indptr, indices).
Older files are read too: V1 (magic 0xF993FAC8: shape, context, dtype flag, data) and the
legacy format without magic (u32 ndim, u32 dims, context, dtype flag, data). mxcore writes
V2, and V3 only for 0-d arrays (which V2 cannot express).

Loading treats the file as untrusted: every size is checked against the bytes left before
anything is allocated, nothing is evaluated or unpickled, and any inconsistency raises
:class:`MXNetError` naming the file, the array and the offset. Saving is atomic: the data
goes to a temporary file in the target's directory, is flushed to disk and then renamed over
the target, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
import struct
from typing import Any, BinaryIO, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import Context, cpu, device_type_id
from ..dtypes import dtype_flag, dtype_from_flag
from .ndarray import NDArray, _wrap

__all__ = ["save", "load", "load_frombuffer", "MXNetFileError", "LIST_MAGIC", "V1_MAGIC",
           "V2_MAGIC", "V3_MAGIC"]

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA
_MAX_NDIM = 32
_STYPE_CODES = {"default": 0, "row_sparse": 1, "csr": 2}
_NUM_AUX = {0: 0, 1: 1, 2: 2}
_MXNET_DEVICES = ("cpu", "gpu", "cpu_pinned", "cpu_shared")
_UNSUPPORTED_FLAGS = {8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}
_INDEX_FLAGS = (4, 6)  # int32, int64
_I64 = np.dtype("int64")
PathLike = Union[str, "os.PathLike[str]"]


class MXNetFileError(MXNetError, OSError):
    """A params file could not be opened, read or written."""


# -- saving ------------------------------------------------------------------------------------
def _shape_bytes(shape: Sequence[int]) -> bytes:
    return struct.pack(f"<i{len(shape)}q", len(shape), *shape)


def _little_endian(host: np.ndarray) -> np.ndarray:
    host = np.ascontiguousarray(host)
    return host.astype(host.dtype.newbyteorder("<"), copy=False)


def _raw(host: np.ndarray) -> np.ndarray:
    """The bytes of an array as a flat uint8 view (writable to a file directly)."""
    return _little_endian(host).reshape(-1).view(np.uint8)


def _context_bytes(ctx: Context) -> bytes:
    if ctx.device_type in _MXNET_DEVICES:
        return struct.pack("<ii", device_type_id(ctx.device_type), ctx.device_id)
    return struct.pack("<ii", 1, 0)  # a device MXNet does not know: saved as cpu(0)


def _encode_array(x: NDArray) -> List[Any]:
    """The chunks (bytes or uint8 arrays) of one array record."""
    ctx = _context_bytes(x.context)
    stype = x.stype
    if stype == "default":
        host = x.asnumpy()
        magic = V3_MAGIC if host.ndim == 0 else V2_MAGIC
        head = (struct.pack("<Ii", magic, 0) + _shape_bytes(host.shape) + ctx
                + struct.pack("<i", dtype_flag(host.dtype)))
        return [head, _raw(host)]
    if stype not in _STYPE_CODES:
        raise MXNetTypeError(f"save: cannot save storage type {stype!r}")
    values, *aux = x._host_parts()
    aux = [a.astype(_I64, copy=False) for a in aux]
    head = (struct.pack("<Ii", V2_MAGIC, _STYPE_CODES[stype]) + _shape_bytes(values.shape)
            + _shape_bytes(x.shape) + ctx + struct.pack("<i", dtype_flag(values.dtype)))
    for a in aux:
        head += struct.pack("<i", dtype_flag(a.dtype)) + _shape_bytes(a.shape)
    return [head, _raw(values)] + [_raw(a) for a in aux]


def _normalize(data: Any) -> Tuple[List[NDArray], List[str]]:
    if isinstance(data, NDArray):
        return [data], []
    if isinstance(data, dict):
        names, arrays = list(data.keys()), list(data.values())
        for k, v in zip(names, arrays):
            if not isinstance(k, str) or not isinstance(v, NDArray):
                raise MXNetTypeError(
                    f"save: a dict must map str to NDArray; got {type(k).__name__} -> "
                    f"{type(v).__name__}")
        return arrays, names
    if isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            if not isinstance(v, NDArray):
                raise MXNetTypeError(f"save: item {i} of the list is a {type(v).__name__}, "
                                     "not an NDArray")
        return list(data), []
    raise MXNetValueError(f"save: data must be an NDArray, a list of NDArrays or a dict of "
                          f"str -> NDArray, got {type(data).__name__}")


def _encode(arrays: Sequence[NDArray], names: Sequence[str]) -> Iterator[Any]:
    yield struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays))
    for x in arrays:
        yield from _encode_array(x)
    yield struct.pack("<Q", len(names))
    for name in names:
        raw = name.encode("utf-8")
        yield struct.pack("<Q", len(raw)) + raw


def _atomic_write(path: str, chunks: Iterator[Any]) -> None:
    """Write ``chunks`` to ``path`` through a synced temporary file and a rename."""
    if os.path.islink(path):
        path = os.path.realpath(path)  # replace the link's target, not the link
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}."
                                  f"{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # keep an existing file's mode
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (POSIX); harmless to skip elsewhere
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def save(fname: PathLike, data: Any) -> None:
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray to ``fname``.

    The file is MXNet 1.x's binary format: MXNet can load it and vice versa.

    Example::

        >>> import mxcore as mx, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.params")
        >>> mx.nd.save(path, {"w": mx.nd.ones((2,))})
        >>> mx.nd.load(path)["w"].asnumpy()
        array([1., 1.], dtype=float32)
    """
    arrays, names = _normalize(data)
    path = os.fspath(fname)
    try:
        _atomic_write(path, _encode(arrays, names))
    except OSError as exc:
        raise MXNetFileError(f"save: cannot write {path!r}: {exc.strerror or exc}") from exc


def write_blob(fname: PathLike, blob: bytes, who: str) -> None:
    """Write ``blob`` to ``fname`` atomically; an OSError becomes an MXNetFileError naming
    ``who`` (used for optimizer states)."""
    path = os.fspath(fname)
    try:
        _atomic_write(path, iter([blob]))
    except OSError as exc:
        raise MXNetFileError(f"{who}: cannot write {path!r}: {exc.strerror or exc}") from exc


def read_blob(fname: PathLike, who: str) -> bytes:
    """The bytes of ``fname``; an OSError becomes an MXNetFileError naming ``who``."""
    path = os.fspath(fname)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise MXNetFileError(f"{who}: cannot read {path!r}: {exc.strerror or exc}") from exc


# -- loading -----------------------------------------------------------------------------------
class _Reader:
    """Bounds-checked sequential reads from a binary stream of known size."""

    def __init__(self, stream: BinaryIO, size: int, name: str):
        self.stream = stream
        self.size = size
        self.pos = 0
        self.name = name
        self.where = "header"

    @property
    def left(self) -> int:
        return self.size - self.pos

    def fail(self, problem: str) -> MXNetValueError:
        return MXNetValueError(f"load: {self.name}: {self.where}: {problem} (at byte "
                               f"{self.pos} of {self.size})")

    def _need(self, n: int, what: str) -> None:
        if n > self.left:
            raise self.fail(f"file is truncated or corrupt: {what} needs {n} bytes, only "
                            f"{self.left} left")

    def bytes(self, n: int, what: str) -> bytes:
        self._need(n, what)
        raw = self.stream.read(n)
        if len(raw) != n:
            raise self.fail(f"file is truncated: could read only {len(raw)} of {n} bytes")
        self.pos += n
        return raw

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.bytes(struct.calcsize("<" + fmt), what))

    def u32(self, what: str) -> int:
        return self.unpack("I", what)[0]

    def i32(self, what: str) -> int:
        return self.unpack("i", what)[0]

    def u64(self, what: str) -> int:
        return self.unpack("Q", what)[0]

    def array(self, dtype: np.dtype, shape: Tuple[int, ...], what: str) -> np.ndarray:
        """Read ``prod(shape)`` elements (size checked before allocating)."""
        count = 1
        for d in shape:
            count *= d
        wire = np.dtype("uint8") if dtype.kind == "b" else dtype.newbyteorder("<")
        nbytes = count * wire.itemsize
        self._need(nbytes, what)
        out = np.empty(count, wire)
        view = memoryview(out.view(np.uint8))
        done = 0
        while done < nbytes:
            n = self.stream.readinto(view[done:])
            if not n:
                raise self.fail(f"file is truncated: {what} ended after {done} of {nbytes} "
                                "bytes")
            done += n
        self.pos += nbytes
        out = out != 0 if dtype.kind == "b" else out.astype(dtype, copy=False)
        return out.reshape(shape)


def _read_shape(r: _Reader, what: str, dims_u32: bool = False,
                ndim: Optional[int] = None) -> Tuple[int, ...]:
    """A shape; ``()`` stays (), an unknown (-1) ndim or dim returns None."""
    if ndim is None:
        ndim = r.i32(f"{what} ndim")
    if ndim == -1:
        return None
    if not 0 <= ndim <= _MAX_NDIM:
        raise r.fail(f"{what} has an impossible number of dimensions ({ndim})")
    dims = r.unpack(f"{ndim}{'I' if dims_u32 else 'q'}", f"{what} dims")
    if any(d == -1 for d in dims):
        return None
    if any(d < 0 for d in dims):
        raise r.fail(f"{what} {dims} has a negative dimension")
    return tuple(dims)


def _read_dtype(r: _Reader, flag: int, what: str) -> np.dtype:
    if flag in _UNSUPPORTED_FLAGS:
        raise MXNetTypeError(f"load: {r.name}: {r.where}: {what} has dtype "
                             f"{_UNSUPPORTED_FLAGS[flag]}, which mxcore does not support")
    try:
        return dtype_from_flag(flag)
    except MXNetError:
        raise r.fail(f"{what} has an unknown dtype flag {flag}") from None


class _Targets:
    """Where loaded arrays go: the saved GPU when one is available, else cpu(0)."""

    def __init__(self) -> None:
        self.cache: Dict[Tuple[int, int], Context] = {}

    def get(self, dev_type: int, dev_id: int) -> Context:
        key = (dev_type, dev_id)
        ctx = self.cache.get(key)
        if ctx is None:
            ctx = cpu(0)
            if dev_type == 2:
                try:
                    gpu_ctx = Context("gpu", dev_id)
                    if gpu_ctx.backend is not None:
                        ctx = gpu_ctx
                except MXNetError:
                    pass
            self.cache[key] = ctx
        return ctx


def _upload(host: np.ndarray, ctx: Context) -> NDArray:
    return _wrap(ctx.backend.from_host(host, ctx.device_id), ctx)


def _none_array(r: _Reader) -> MXNetValueError:
    return r.fail("the array has no shape (an uninitialised NDArray), which cannot be "
                  "represented")


def _read_legacy(r: _Reader, magic: int, targets: _Targets) -> NDArray:
    """V1 (magic, then i32 ndim + i64 dims) or pre-V1 (magic is a u32 ndim, u32 dims)."""
    if magic == V1_MAGIC:
        shape = _read_shape(r, "shape")
    else:
        if magic > _MAX_NDIM:
            raise r.fail(f"unknown array magic 0x{magic:08X}: not an MXNet NDArray record")
        shape = _read_shape(r, "shape", dims_u32=True, ndim=magic)
    if not shape:
        raise _none_array(r)
    dev_type, dev_id = r.unpack("ii", "context")
    dtype = _read_dtype(r, r.i32("dtype flag"), "the array")
    host = r.array(dtype, shape, "array data")
    return _upload(host, targets.get(dev_type, dev_id))


def _read_array(r: _Reader, targets: _Targets) -> NDArray:
    magic = r.u32("array magic")
    if magic not in (V2_MAGIC, V3_MAGIC):
        return _read_legacy(r, magic, targets)
    stype = r.i32("storage type")
    if stype not in _NUM_AUX:
        if stype == -1:
            raise _none_array(r)
        raise r.fail(f"unknown storage type {stype}")
    nad = _NUM_AUX[stype]
    sshape = _read_shape(r, "storage shape") if nad else None
    shape = _read_shape(r, "shape")
    if shape is None or (magic == V2_MAGIC and not shape) or (nad and sshape is None):
        raise _none_array(r)
    dev_type, dev_id = r.unpack("ii", "context")
    dtype = _read_dtype(r, r.i32("dtype flag"), "the array")
    aux_specs = []
    for i in range(nad):
        flag = r.i32(f"aux {i} dtype flag")
        if flag not in _INDEX_FLAGS:
            raise r.fail(f"aux array {i} has dtype flag {flag}; indices must be int32/int64")
        aux_shape = _read_shape(r, f"aux {i} shape")
        if aux_shape is None or len(aux_shape) != 1:
            raise r.fail(f"aux array {i} must be 1-D, got shape {aux_shape}")
        aux_specs.append((dtype_from_flag(flag), aux_shape))
    ctx = targets.get(dev_type, dev_id)
    if not nad:
        return _upload(r.array(dtype, shape, "array data"), ctx)
    values = r.array(dtype, sshape, "sparse data")
    aux = [r.array(dt, s, f"aux data {i}").astype(_I64) for i, (dt, s) in enumerate(aux_specs)]
    from .sparse import make_csr, make_row_sparse

    try:
        if stype == 1:
            return make_row_sparse(values, aux[0], shape, ctx)
        return make_csr(values, aux[1], aux[0], shape, ctx)
    except MXNetError as exc:
        raise r.fail(f"inconsistent sparse array: {exc}") from None


def _read_file(r: _Reader) -> Union[List[NDArray], Dict[str, NDArray]]:
    magic = r.u64("file magic")
    if magic != LIST_MAGIC:
        raise r.fail(f"not an MXNet NDArray file (magic 0x{magic:X}, expected "
                     f"0x{LIST_MAGIC:X})")
    r.u64("reserved word")
    count = r.u64("array count")
    if count > r.left // 4:
        raise r.fail(f"the file claims {count} arrays, more than its size allows")
    targets = _Targets()
    arrays = []
    for i in range(count):
        r.where = f"array {i}"
        arrays.append(_read_array(r, targets))
    r.where = "names"
    n_names = r.u64("name count")
    if n_names not in (0, count):
        raise r.fail(f"{n_names} names for {count} arrays")
    names = []
    for i in range(n_names):
        length = r.u64(f"name {i} length")
        raw = r.bytes(length, f"name {i}")
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise r.fail(f"name {i} is not valid UTF-8") from None
    if not names:
        return arrays
    return dict(zip(names, arrays))


def load(fname: PathLike) -> Union[List[NDArray], Dict[str, NDArray]]:
    """Load arrays saved by :func:`save` or by MXNet: a list, or a dict when names were
    saved. Arrays saved from a GPU go back to that GPU when it is available, else to cpu(0).
    """
    path = os.fspath(fname)
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise MXNetFileError(f"load: cannot open {path!r}: {exc.strerror or exc}") from exc
    with stream:
        try:
            size = os.fstat(stream.fileno()).st_size
            return _read_file(_Reader(stream, size, repr(path)))
        except OSError as exc:
            raise MXNetFileError(f"load: cannot read {path!r}: {exc.strerror or exc}") from exc


def load_frombuffer(buf: Union[bytes, bytearray, memoryview]
                    ) -> Union[List[NDArray], Dict[str, NDArray]]:
    """Like :func:`load`, from the bytes of a file."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise MXNetTypeError(f"load_frombuffer: expected bytes, got {type(buf).__name__}")
    raw = bytes(buf)
    return _read_file(_Reader(io.BytesIO(raw), len(raw), "<buffer>"))
