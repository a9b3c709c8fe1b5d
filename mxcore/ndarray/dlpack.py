"""DLPack exchange: NDArrays shared with NumPy, PyTorch, CuPy ... without a copy.

Export: an NDArray implements the DLPack protocol (``__dlpack__``/``__dlpack_device__``),
so ``torch.from_dlpack(x)`` or ``np.from_dlpack(x)`` views its memory;
``to_dlpack_for_read``/``to_dlpack_for_write`` return the capsule MXNet 1.x returned, after
pending writes (or all pending work) on the array are done.

Import: ``from_dlpack(obj)`` takes an object implementing the protocol (a PyTorch tensor, a
NumPy or CuPy array) or a capsule from ``to_dlpack_for_*``/``torch.utils.dlpack.to_dlpack``,
finds the backend for the producer's device and wraps the memory as an NDArray on that
context. Both sides share the memory: writes through either are seen by the other.

A backend takes part by keeping arrays that implement ``__dlpack__`` (NumPy and CuPy do) and
by implementing :meth:`mxcore.backend.Backend.from_dlpack`.
"""

from __future__ import annotations

import ctypes
from typing import Any, Tuple

import numpy as np

from ..backend.registry import get_backend
from ..base import MXNetError, MXNetTypeError
from ..context import Context
from .ndarray import NDArray, _wrap

__all__ = ["from_dlpack", "to_dlpack_for_read", "to_dlpack_for_write", "DLPACK_DEVICE_TYPES"]

#: DLPack ``DLDeviceType`` codes -> mxcore device types
DLPACK_DEVICE_TYPES = {1: "cpu", 2: "gpu", 3: "cpu", 4: "opencl"}
_DLPACK_CODES = {"cpu": 1, "gpu": 2, "opencl": 4}


def _export(x: NDArray, what: str) -> Any:
    """The backend array behind ``x`` once pending work on it is done."""
    if not isinstance(x, NDArray):
        raise MXNetTypeError(f"{what}: expected an NDArray, got {type(x).__name__}")
    if x.stype != "default":
        raise MXNetTypeError(f"{what}: only dense arrays can be shared through DLPack; got "
                             f"a {x.stype} array (convert with tostype('default'))")
    data = x._sync()
    if not hasattr(data, "__dlpack__"):
        backend = x.context.backend
        raise MXNetError(f"{what}: backend {backend.name!r} ({x.context}) keeps arrays that "
                         f"do not implement DLPack (shape {x.shape}, dtype {x.dtype})")
    return data


def dlpack_capsule(x: NDArray, stream: Any = None, **kwargs: Any) -> Any:
    """``NDArray.__dlpack__``: the backend array's capsule (protocol keywords passed on)."""
    data = _export(x, "NDArray.__dlpack__")
    if stream is not None:
        kwargs["stream"] = stream
    return data.__dlpack__(**kwargs)


def dlpack_device(x: NDArray) -> Tuple[int, int]:
    """``NDArray.__dlpack_device__``: (DLPack device type code, device id)."""
    data = x._sync() if x.stype == "default" else None
    if data is not None and hasattr(data, "__dlpack_device__"):
        return tuple(data.__dlpack_device__())
    ctx = x.context
    code = _DLPACK_CODES.get(ctx.device_type)
    if code is None:
        raise MXNetError(f"NDArray.__dlpack_device__: device type {ctx.device_type!r} has no "
                         f"DLPack code")
    return code, ctx.device_id


def to_dlpack_for_read(data: NDArray) -> Any:
    """A DLPack capsule viewing ``data`` once its pending writes are done (read it only)."""
    return _export(data, "to_dlpack_for_read").__dlpack__()


def to_dlpack_for_write(data: NDArray) -> Any:
    """A DLPack capsule viewing ``data`` once all pending work on it is done; writes through
    the consumer are seen by ``data``."""
    return _export(data, "to_dlpack_for_write").__dlpack__()


class _Capsule:
    """A bare DLPack capsule behind the protocol (device read from the DLTensor struct)."""

    def __init__(self, capsule: Any):
        self._capsule = capsule
        self._device = _capsule_device(capsule)

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._capsule

    def __dlpack_device__(self) -> Tuple[int, int]:
        return self._device


def _capsule_device(capsule: Any) -> Tuple[int, int]:
    """(device type, device id) of a legacy ``dltensor`` capsule, read from its DLTensor."""
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    name = get_name(capsule)
    if name != b"dltensor":
        state = "already consumed" if name == b"used_dltensor" else f"named {name!r}"
        raise MXNetTypeError(f"from_dlpack: the capsule is {state}; a DLPack capsule can be "
                             f"imported once")
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    address = get_pointer(capsule, name)
    # DLManagedTensor starts with DLTensor {void* data; DLDevice {int32 type; int32 id}; ...}
    device = (ctypes.c_int32 * 2).from_address(address + ctypes.sizeof(ctypes.c_void_p))
    return int(device[0]), int(device[1])


def from_dlpack(dlpack: Any) -> NDArray:
    """An NDArray sharing the memory of a DLPack producer (an object or a capsule)."""
    source = dlpack
    if type(dlpack).__name__ == "PyCapsule":
        source = _Capsule(dlpack)
    elif not hasattr(dlpack, "__dlpack__") or not hasattr(dlpack, "__dlpack_device__"):
        raise MXNetTypeError(f"from_dlpack: expected an object implementing the DLPack "
                             f"protocol or a DLPack capsule, got {type(dlpack).__name__}")
    code, device_id = source.__dlpack_device__()
    device_type = DLPACK_DEVICE_TYPES.get(int(code))
    if device_type is None:
        raise MXNetError(f"from_dlpack: DLPack device type {code} has no mxcore device type "
                         f"(known: {sorted(DLPACK_DEVICE_TYPES)})")
    backend = get_backend(device_type)
    try:
        data = backend.from_dlpack(source, int(device_id))
    except NotImplementedError:
        raise MXNetError(f"from_dlpack: backend {backend.name!r} ({device_type}) does not "
                         f"import DLPack arrays") from None
    except (TypeError, ValueError, BufferError, RuntimeError) as exc:
        raise MXNetError(f"from_dlpack: backend {backend.name!r} ({device_type}) could not "
                         f"import the array: {exc}") from exc
    dtype = np.dtype(data.dtype)
    if dtype.name not in backend.dtypes:
        raise MXNetTypeError(f"from_dlpack: dtype {dtype.name} is not supported by backend "
                             f"{backend.name!r} (supported: {sorted(backend.dtypes)}); shape "
                             f"{tuple(data.shape)}")
    if isinstance(source, _Capsule) and isinstance(data, np.ndarray):
        data = _writable(data)
    return _wrap(data, Context(device_type, int(device_id)))


class _WritableView:
    """Exposes an array's memory as writable; holds the array (and so its capsule)."""

    def __init__(self, array: np.ndarray):
        self._array = array
        interface = dict(array.__array_interface__)
        interface["data"] = (interface["data"][0], False)
        self.__array_interface__ = interface


def _writable(array: np.ndarray) -> np.ndarray:
    """NumPy imports legacy capsules (DLPack < 1.0, no read-only flag) as read-only; MXNet
    shared them for writing (``to_dlpack_for_write``), so the import is made writable."""
    if array.flags.writeable:
        return array
    return np.asarray(_WritableView(array))
