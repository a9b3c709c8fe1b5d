"""``NDArrayIter``: batches over in-memory arrays (NDArrays, NumPy arrays, lists, or dicts and
lists of them), with MXNet 1.x's handling of the last, incomplete batch.

The iterator walks a per-epoch order of sample indices (``0 .. n-1``, or a permutation with
``shuffle``) with a cursor, as MXNet's does, so ``pad``, ``roll_over`` and ``reset`` behave the
same. Shuffling draws its permutation from ``mx.random``'s CPU stream, so ``mx.random.seed``
makes it reproducible (MXNet uses NumPy's global generator).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .io import DataBatch, DataDesc, DataIter

__all__ = ["NDArrayIter"]

_LAST_BATCH = ("pad", "discard", "roll_over")


def _nd():
    from .. import ndarray

    return ndarray


def _init_data(data: Any, allow_empty: bool, default_name: str) -> List[Tuple[str, Any]]:
    """Sources as a list of (name, NDArray), sorted by name, as MXNet's ``_init_data``."""
    nd = _nd()
    if data is None:
        data = []
    if isinstance(data, (np.ndarray, nd.NDArray)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise MXNetValueError("NDArrayIter: data must not be empty")
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict((f"_{i}_{default_name}", d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise MXNetTypeError("NDArrayIter: data and label must be an NDArray, a NumPy array, "
                             f"a list of them or a dict of them, got {type(data).__name__}")
    if not data and not allow_empty:
        raise MXNetValueError("NDArrayIter: data must not be empty")
    out = []
    for name, value in data.items():
        if not isinstance(value, nd.NDArray):
            try:
                value = nd.array(value)
            except (TypeError, ValueError) as exc:
                raise MXNetTypeError(f"NDArrayIter: invalid type {type(value).__name__} for "
                                     f"{name!r}, should be an NDArray or a NumPy array: "
                                     f"{exc}") from None
        if value.ndim == 0:
            raise MXNetValueError(f"NDArrayIter: {name!r} must have a batch axis, got a 0-d "
                                  "array")
        out.append((name, value))
    return sorted(out, key=lambda item: item[0])


def _take_part(data: list, label: list, num_data: int, num_parts: Any, part_index: Any
               ) -> Tuple[list, list]:
    """Part ``part_index`` of ``num_parts`` equal contiguous parts of every source."""
    for name, value in (("num_parts", num_parts), ("part_index", part_index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise MXNetTypeError(f"NDArrayIter: {name} must be an int, got {value!r}")
    if num_parts < 1 or not 0 <= part_index < num_parts:
        raise MXNetValueError(f"NDArrayIter: need num_parts >= 1 and 0 <= part_index < "
                              f"num_parts, got num_parts={num_parts}, part_index={part_index}")
    size = num_data // num_parts
    if size == 0:
        raise MXNetValueError(f"NDArrayIter: {num_data} samples cannot be split into "
                              f"{num_parts} non-empty parts")
    start = size * int(part_index)
    return ([(n, a[start:start + size]) for n, a in data],
            [(n, a[start:start + size]) for n, a in label])


def _permutation(n: int) -> np.ndarray:
    from ..gluon.data.sampler import _numpy_rng

    return _numpy_rng().permutation(n)


class NDArrayIter(DataIter):
    """Iterate over arrays in batches of ``batch_size`` along axis 0.

    ``data`` / ``label``: an NDArray or NumPy array, a list of them (named ``_0_<name>``,
    ``_1_<name>`` ...) or a dict name -> array; sources are ordered by name.
    ``last_batch_handle``: ``'pad'`` fills the last batch with samples from the start (its
    ``pad`` says how many), ``'discard'`` drops it, ``'roll_over'`` carries its samples into
    the first batch of the next epoch.
    ``num_parts`` / ``part_index``: iterate only over part ``part_index`` of ``num_parts``
    equal contiguous parts of the samples (distributed training: ``num_parts=kv.num_workers,
    part_index=kv.rank``); the ``len % num_parts`` samples left over are dropped so every part
    has the same number of batches.

    Example::

        >>> import mxcore as mx
        >>> it = mx.io.NDArrayIter(mx.nd.arange(5), batch_size=2)
        >>> [(b.data[0].asnumpy().tolist(), b.pad) for b in it]
        [([0.0, 1.0], 0), ([2.0, 3.0], 0), ([4.0, 0.0], 1)]
        >>> it.provide_data
        [DataDesc[data,(2,),<class 'numpy.float32'>,NCHW]]
    """

    def __init__(self, data: Any, label: Any = None, batch_size: int = 1,
                 shuffle: bool = False, last_batch_handle: str = "pad",
                 data_name: str = "data", label_name: str = "softmax_label",
                 num_parts: int = 1, part_index: int = 0) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise MXNetValueError(f"NDArrayIter: batch_size must be an int >= 1, got "
                                  f"{batch_size!r}")
        if last_batch_handle not in _LAST_BATCH:
            raise MXNetValueError(f"NDArrayIter: last_batch_handle must be one of "
                                  f"{list(_LAST_BATCH)}, got {last_batch_handle!r}")
        super().__init__(int(batch_size))
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        sizes = {name: arr.shape[0] for name, arr in self.data + self.label}
        if len(set(sizes.values())) > 1:
            raise MXNetValueError(f"NDArrayIter: every array needs the same number of samples "
                                  f"(axis 0), got {sizes}")
        self.num_data = self.data[0][1].shape[0]
        if (num_parts, part_index) != (1, 0):
            self.data, self.label = _take_part(self.data, self.label, self.num_data,
                                               num_parts, part_index)
            self.num_data = self.data[0][1].shape[0]
        self.shuffle = bool(shuffle)
        self.last_batch_handle = last_batch_handle
        self.idx = np.arange(self.num_data)
        self.cursor = -self.batch_size
        #: roll_over: indices of the last epoch's incomplete batch, opening the next epoch
        self._carry: Optional[np.ndarray] = None
        self.reset()

    # -- descriptions ----------------------------------------------------------------------------
    def _descs(self, sources: Sequence[Tuple[str, Any]]) -> List[DataDesc]:
        return [DataDesc(name, (self.batch_size,) + tuple(arr.shape[1:]), arr.dtype)
                for name, arr in sources]

    @property
    def provide_data(self) -> List[DataDesc]:
        return self._descs(self.data)

    @property
    def provide_label(self) -> List[DataDesc]:
        return self._descs(self.label)

    # -- cursor ----------------------------------------------------------------------------------
    def _in_last_batch(self) -> bool:
        """The cursor is at an incomplete batch at the end of the data."""
        return self.num_data - self.batch_size < self.cursor < self.num_data

    def _rolling_in(self) -> bool:
        """The cursor is at roll_over's first batch of an epoch (it opens with the carry)."""
        return self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0

    def hard_reset(self) -> None:
        """Restart from the beginning, dropping any roll_over carry."""
        if self.shuffle:
            self.idx = _permutation(self.num_data)
        self.cursor = -self.batch_size
        self._carry = None

    def reset(self) -> None:
        if self.last_batch_handle == "roll_over" and self._in_last_batch():
            self._carry = self.idx[self.cursor:]
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self._carry = None
            self.cursor = -self.batch_size
        if self.shuffle:
            self.idx = _permutation(self.num_data)

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        if len(self._batch_indices()) != self.batch_size:  # discard / roll_over
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                         index=None)

    # -- batches ---------------------------------------------------------------------------------
    def _batch_indices(self) -> np.ndarray:
        """Sample indices (into the arrays as given) of the batch at the cursor."""
        n, bs, cursor = self.num_data, self.batch_size, self.cursor
        if cursor >= n:
            raise MXNetValueError("NDArrayIter: the iterator is past its end; call reset()")
        if self._rolling_in():
            if self._carry is None:
                raise MXNetValueError("NDArrayIter: roll_over has no batch to carry; call "
                                      "hard_reset()")
            return np.concatenate([self._carry, self.idx[:cursor + bs]])
        if self.last_batch_handle == "pad" and cursor + bs > n:
            wrap = self.idx[np.arange(cursor + bs - n) % n]  # from the start, repeating
            return np.concatenate([self.idx[cursor:], wrap])
        return self.idx[cursor:min(cursor + bs, n)]

    def _gather(self, sources: Sequence[Tuple[str, Any]]) -> List[Any]:
        indices = self._batch_indices()
        if len(indices) and np.array_equal(indices, np.arange(indices[0],
                                                              indices[0] + len(indices))):
            start, stop = int(indices[0]), int(indices[0]) + len(indices)
            return [arr[start:stop] for _, arr in sources]
        nd = _nd()
        out = []
        for _, arr in sources:
            where = nd.array(indices, ctx=arr.context, dtype="int64")
            out.append(nd.take(arr, where, axis=0))
        return out

    def getdata(self) -> List[Any]:
        return self._gather(self.data)

    def getlabel(self) -> List[Any]:
        return self._gather(self.label)

    def getpad(self) -> int:
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self._rolling_in():
            return -self.cursor  # MXNet reports the carried samples as pad
        return 0
