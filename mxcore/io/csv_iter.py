"""``CSVIter``: batches read from CSV files, one sample per row (MXNet 1.x semantics).

Files are parsed with NumPy when the iterator is built; a row that does not parse, or whose
length does not match the shape, raises an MXNetValueError naming the file and the line.
Batching follows MXNet's batch loader: with ``round_batch`` the last batch is completed with
rows from the start, and the next ``reset()`` is skipped so the following epoch continues
after them; without it the last batch keeps the previous batch's rows in its ``pad`` slots.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetValueError
from ..dtypes import normalize_dtype
from ._row_file_iter import RowFileIter, check_batch_size, list_files
from .io import DataBatch, DataDesc

__all__ = ["CSVIter"]

_DTYPES = ("float32", "int32", "int64")


def _parse(path: str, shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """All rows of the CSV file(s) at ``path`` as an array of shape (rows,) + shape."""
    width = int(np.prod(shape, dtype=np.int64))
    parse_as = np.int64 if dtype.kind in "iu" else np.float64
    rows = []
    for name in list_files(path, "CSVIter"):
        with open(name, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                text = line.strip()
                if not text:
                    continue
                try:
                    row = np.array(text.split(","), dtype=parse_as)
                except ValueError as exc:
                    raise MXNetValueError(f"CSVIter: {name}, line {number}: cannot parse "
                                          f"{text[:60]!r}: {exc}") from None
                if row.size != width:
                    raise MXNetValueError(
                        f"CSVIter: {name}, line {number}: the row has {row.size} values but "
                        f"shape {shape} needs {width}")
                rows.append(row)
    if not rows:
        return np.zeros((0,) + shape, dtype=dtype)
    return np.stack(rows).astype(dtype).reshape((len(rows),) + shape)


def _shape(value: Any, what: str) -> Tuple[int, ...]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    try:
        shape = tuple(int(d) for d in value)
    except (TypeError, ValueError):
        raise MXNetValueError(f"CSVIter: {what} must be a tuple of ints, got {value!r}") \
            from None
    if not shape or any(d < 1 for d in shape):
        raise MXNetValueError(f"CSVIter: {what} must be non-empty with positive sizes, got "
                              f"{shape}")
    return shape


class CSVIter(RowFileIter):
    """Iterate over the rows of ``data_csv`` (a file, or a directory whose files are read in
    name order), each reshaped to ``data_shape``, with labels from ``label_csv`` (zeros when
    None) reshaped to ``label_shape``.

    Batches hold ``data`` (``(batch_size,) + data_shape``) and ``label`` (``(batch_size,)``
    for the default ``label_shape=(1,)``, else ``(batch_size,) + label_shape``), named
    ``data`` and ``softmax_label``; ``index`` is the row numbers. ``dtype``: 'float32',
    'int32' or 'int64'. ``prefetch_buffer`` is accepted for compatibility (files are read
    up front).

    Example::

        >>> import mxcore as mx, pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
        >>> _ = path.write_text("1,2,3\\n2,3,4\\n3,4,5\\n4,5,6\\n")
        >>> path = str(path)
        >>> it = mx.io.CSVIter(data_csv=path, data_shape=(3,), batch_size=3)
        >>> [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]
        [([1.0, 2.0, 3.0], 0), ([4.0, 1.0, 2.0], 2)]
    """

    def __init__(self, data_csv: str, data_shape: Sequence[int],
                 label_csv: Optional[str] = None, label_shape: Sequence[int] = (1,),
                 batch_size: Optional[int] = None, round_batch: bool = True,
                 dtype: str = "float32", prefetch_buffer: int = 4) -> None:
        batch_size = check_batch_size(batch_size, "CSVIter")
        dt = normalize_dtype(dtype, "CSVIter")
        if dt.name not in _DTYPES:
            raise MXNetValueError(f"CSVIter: dtype must be one of {list(_DTYPES)}, got {dt}")
        super().__init__(batch_size, round_batch)
        self.data_shape = _shape(data_shape, "data_shape")
        self.label_shape = _shape(label_shape, "label_shape")
        self.dtype = dt
        self._data = _parse(data_csv, self.data_shape, dt)
        n = self._data.shape[0]
        if label_csv is None or label_csv == "NULL":
            self._label = np.zeros((n,) + self.label_shape, dtype=dt)
        else:
            self._label = _parse(label_csv, self.label_shape, dt)
            if self._label.shape[0] < n:
                raise MXNetValueError(f"CSVIter: {label_csv} has {self._label.shape[0]} rows, "
                                      f"fewer than the {n} rows of {data_csv}")
        batch_label = (() if self.label_shape == (1,) else self.label_shape)
        self._label_batch_shape = (self.batch_size,) + batch_label
        # batch buffers: without round_batch, pad slots keep the previous batch's rows
        self._data_buf = np.zeros((self.batch_size,) + self.data_shape, dtype=dt)
        self._label_buf = np.zeros((self.batch_size,) + self.label_shape, dtype=dt)
        self._index_buf = np.zeros((self.batch_size,), dtype=np.uint64)

    @property
    def provide_data(self) -> List[DataDesc]:
        return [DataDesc("data", (self.batch_size,) + self.data_shape, self.dtype)]

    @property
    def provide_label(self) -> List[DataDesc]:
        return [DataDesc("softmax_label", self._label_batch_shape, self.dtype)]

    def _fill(self, slot: int) -> None:
        self._data_buf[slot] = self._data[self._pos]
        self._label_buf[slot] = self._label[self._pos]
        self._index_buf[slot] = self._pos
        self._pos += 1

    def iter_next(self) -> bool:
        if self._overflow:
            return False
        n, bs = self._data.shape[0], self.batch_size
        top = 0
        while top < bs and self._pos < n:
            self._fill(top)
            top += 1
        if top == 0:
            return False
        pad = 0
        if top < bs:
            if self.round_batch:
                if bs - top > n:
                    raise MXNetValueError(f"CSVIter: round_batch needs at least {bs - top} "
                                          f"rows to complete the last batch, the file has {n}")
                self._pos = 0
                while top < bs:
                    self._fill(top)
                    top += 1
                    self._overflow += 1
                pad = self._overflow
            else:
                pad = bs - top
        from .. import ndarray as nd

        self.current_batch = DataBatch(
            [nd.array(self._data_buf, dtype=self.dtype)],
            [nd.array(self._label_buf.reshape(self._label_batch_shape), dtype=self.dtype)],
            pad=pad, index=self._index_buf.copy())
        return True
