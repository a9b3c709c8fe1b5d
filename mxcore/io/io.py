"""The data-iterator protocol of ``mx.io``: :class:`DataDesc`, :class:`DataBatch`,
:class:`DataIter` and the :class:`ResizeIter` wrapper.

A data iterator yields :class:`DataBatch` objects (``data`` and ``label``: lists of NDArrays,
``pad``: how many trailing samples of the batch are filler) and describes its arrays with
``provide_data`` / ``provide_label`` (lists of :class:`DataDesc`), which ``Module.bind`` reads.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetTypeError, MXNetValueError

__all__ = ["DataDesc", "DataBatch", "DataIter", "ResizeIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name, shape, dtype and layout of one input array. A ``(name, shape)`` tuple, so it
    compares equal to one.

    Example::

        >>> import mxcore as mx
        >>> desc = mx.io.DataDesc("data", (32, 3, 8, 8))
        >>> desc.name, desc.shape, desc.dtype.__name__, desc.layout
        ('data', (32, 3, 8, 8), 'float32', 'NCHW')
        >>> desc == ("data", (32, 3, 8, 8))
        True
    """

    def __new__(cls, name: str, shape: Sequence[int], dtype: Any = np.float32,
                layout: str = "NCHW") -> "DataDesc":
        desc = super().__new__(cls, name, tuple(shape))
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __getnewargs__(self) -> tuple:
        return (self.name, self.shape, self.dtype, self.layout)

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: Optional[str]) -> int:
        """The axis of ``layout`` holding the batch (``'N'``); 0 when layout is None, -1 when
        it has no ``N``."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes: Sequence[Tuple[str, Sequence[int]]],
                 types: Optional[Sequence[Tuple[str, Any]]] = None) -> List["DataDesc"]:
        """DataDescs from ``[(name, shape), ...]`` and optionally ``[(name, dtype), ...]``."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


def _check_list(value: Any, what: str) -> None:
    if value is not None and not isinstance(value, (list, tuple)):
        raise MXNetTypeError(f"DataBatch: {what} must be a list of NDArrays, got "
                             f"{type(value).__name__}")


class DataBatch:
    """One batch: ``data`` and ``label`` (lists of NDArrays), ``pad`` (trailing filler samples),
    ``index``, ``bucket_key``, and optional ``provide_data`` / ``provide_label`` descs.

    Example::

        >>> import mxcore as mx
        >>> batch = mx.io.DataBatch([mx.nd.zeros((2, 3))], [mx.nd.zeros((2,))], pad=0)
        >>> print(batch)
        DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]
    """

    def __init__(self, data: Optional[Sequence[Any]], label: Optional[Sequence[Any]] = None,
                 pad: Optional[int] = None, index: Any = None, bucket_key: Any = None,
                 provide_data: Optional[List[DataDesc]] = None,
                 provide_label: Optional[List[DataDesc]] = None) -> None:
        _check_list(data, "data")
        _check_list(label, "label")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data_shapes = [d.shape for d in self.data] if self.data is not None else None
        label_shapes = [lab.shape for lab in self.label] if self.label else None
        return (f"{type(self).__name__}: data shapes: {data_shapes} "
                f"label shapes: {label_shapes}")


class DataIter:
    """Base class of data iterators: a Python iterator of :class:`DataBatch`.

    Subclasses implement ``reset`` and either ``next`` or the pieces the default ``next`` uses
    (``iter_next``, ``getdata``, ``getlabel``, ``getindex``, ``getpad``), plus
    ``provide_data`` / ``provide_label``.

    Example::

        >>> import mxcore as mx
        >>> it = mx.io.NDArrayIter(mx.nd.arange(6).reshape((3, 2)), batch_size=2)
        >>> [batch.pad for batch in it]
        [0, 1]
    """

    def __init__(self, batch_size: int = 0) -> None:
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[DataBatch]:
        return self

    def reset(self) -> None:
        """Go back to the beginning of the data."""

    def next(self) -> DataBatch:
        """The next batch; raises StopIteration at the end of the data."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                             index=self.getindex())
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        """Move to the next batch; False at the end."""
        return False

    def getdata(self) -> Optional[List[Any]]:
        """The data of the current batch."""
        return None

    def getlabel(self) -> Optional[List[Any]]:
        """The label of the current batch."""
        return None

    def getindex(self) -> Any:
        """The indices of the current batch's samples (None when unknown)."""
        return None

    def getpad(self) -> Optional[int]:
        """How many samples at the end of the current batch are filler."""
        return None

    @property
    def provide_data(self) -> List[DataDesc]:
        """Descriptions of the data arrays of each batch."""
        raise NotImplementedError(f"{type(self).__name__} does not define provide_data")

    @property
    def provide_label(self) -> List[DataDesc]:
        """Descriptions of the label arrays of each batch."""
        raise NotImplementedError(f"{type(self).__name__} does not define provide_label")


class _BatchHolder(DataIter):
    """A DataIter whose ``iter_next`` stores the batch in ``current_batch``; the getters read
    it."""

    current_batch: Optional[DataBatch] = None

    def getdata(self) -> Optional[List[Any]]:
        return self.current_batch.data

    def getlabel(self) -> Optional[List[Any]]:
        return self.current_batch.label

    def getindex(self) -> Any:
        return self.current_batch.index

    def getpad(self) -> Optional[int]:
        return self.current_batch.pad


class ResizeIter(_BatchHolder):
    """Make ``data_iter`` yield exactly ``size`` batches per epoch: it restarts the wrapped
    iterator when it runs out, and stops early when it has more.

    ``reset_internal``: whether ``reset()`` also resets the wrapped iterator (else the next
    epoch continues where this one stopped).

    Example::

        >>> import mxcore as mx
        >>> it = mx.io.NDArrayIter(mx.nd.arange(4), batch_size=2)
        >>> [b.data[0].asnumpy().tolist() for b in mx.io.ResizeIter(it, 3)]
        [[0.0, 1.0], [2.0, 3.0], [0.0, 1.0]]
    """

    def __init__(self, data_iter: DataIter, size: int, reset_internal: bool = True) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise MXNetValueError(f"ResizeIter: size must be an int >= 0, got {size!r}")
        super().__init__(data_iter.batch_size)
        self.data_iter = data_iter
        self.size = int(size)
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch: Optional[DataBatch] = None
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    @property
    def provide_data(self) -> List[DataDesc]:
        return self.data_iter.provide_data

    @property
    def provide_label(self) -> List[DataDesc]:
        return self.data_iter.provide_label

    def reset(self) -> None:
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self) -> bool:
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

