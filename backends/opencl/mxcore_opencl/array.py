"""The backend's array: a device buffer plus shape, element strides, offset and dtype.

Views (reshape of contiguous data, transpose, broadcast, slice, flip, windows) share the
buffer and only change the geometry; kernels read any geometry through strides.
"""

from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

__all__ = ["CLArray", "c_strides", "collapse"]

Ints = Tuple[int, ...]


def c_strides(shape: Sequence[int]) -> Ints:
    """Row-major element strides of ``shape``."""
    strides = []
    acc = 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(strides))


class CLArray:
    """A strided view of an OpenCL buffer; ``rt`` is the device runtime it lives on."""

    __slots__ = ("rt", "buf", "shape", "strides", "offset", "dtype", "size", "__weakref__")

    def __init__(self, rt: Any, buf: Any, shape: Sequence[int], dtype: Any,
                 strides: Sequence[int] = None, offset: int = 0):
        self.rt = rt
        self.buf = buf
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.strides = c_strides(self.shape) if strides is None else tuple(strides)
        self.offset = int(offset)
        size = 1
        for n in self.shape:
            size *= n
        self.size = size

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def contiguous(self) -> bool:
        """Row-major with no gaps (size-1 axes may have any stride)."""
        acc = 1
        for n, s in zip(reversed(self.shape), reversed(self.strides)):
            if n != 1 and s != acc:
                return False
            acc *= n
        return True

    def view(self, shape: Sequence[int], strides: Sequence[int], offset: int) -> "CLArray":
        return CLArray(self.rt, self.buf, shape, self.dtype, strides, offset)

    def __setitem__(self, key: Any, value: Any) -> None:
        from .indexing import setitem

        setitem(self, key if isinstance(key, tuple) else (key,), value)

    def get(self) -> np.ndarray:
        """A NumPy copy (blocks until the data is ready)."""
        from .movement import to_host

        return to_host(self)

    def item(self) -> Any:
        """The single element as a Python scalar (a sync point)."""
        if self.size != 1:
            raise ValueError(f"only arrays of one element convert to a scalar, got {self.shape}")
        return self.get().reshape(-1)[0].item()

    def __int__(self) -> int:
        return int(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iub":
            raise TypeError("only integer arrays of one element can be used as an index")
        return int(self.item())

    def __repr__(self) -> str:
        return f"CLArray(shape={self.shape}, dtype={self.dtype}, strides={self.strides})"


def collapse(shape: Sequence[int], *strides_list: Sequence[int]) -> Tuple[Ints, list]:
    """Merge adjacent axes that are contiguous in every operand; drop size-1 axes.

    Returns the shorter shape and each operand's strides for it.
    """
    dims = [i for i, n in enumerate(shape) if n != 1]
    out_shape = []
    out_strides = [[] for _ in strides_list]
    for i in dims:
        n = shape[i]
        if out_shape and all(st[-1] == strides[i] * n
                             for st, strides in zip(out_strides, strides_list)):
            out_shape[-1] *= n
            for st, strides in zip(out_strides, strides_list):
                st[-1] = strides[i]
            continue
        out_shape.append(n)
        for st, strides in zip(out_strides, strides_list):
            st.append(strides[i])
    return tuple(out_shape), [tuple(s) for s in out_strides]
