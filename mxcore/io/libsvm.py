"""``LibSVMIter``: CSR batches read from LibSVM-format text files (MXNet 1.x semantics).

Each line is ``label index:value index:value ...`` with zero-based column indices (as MXNet
expects). Files are parsed when the iterator is built; a malformed token, an index outside
``data_shape`` or a repeated index raises an MXNetValueError naming the file and the line.
Batches hold a CSRNDArray ``data`` of shape ``(batch_size,) + data_shape`` and a dense label
(or a CSR label read from ``label_libsvm``). As in MXNet the last batch is completed with
rows from the start and the next ``reset()`` continues after them (``round_batch``).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetValueError
from ..dtypes import normalize_dtype
from ._row_file_iter import RowFileIter, check_batch_size, list_files
from .io import DataBatch, DataDesc

__all__ = ["LibSVMIter"]

_I64 = np.int64


class _Rows:
    """Parsed rows: labels, and CSR parts (values, indices, indptr) over ``width`` columns."""

    def __init__(self, labels: np.ndarray, values: np.ndarray, indices: np.ndarray,
                 indptr: np.ndarray, width: int):
        self.labels, self.values, self.indices, self.indptr = labels, values, indices, indptr
        self.width = width

    @property
    def count(self) -> int:
        return self.indptr.shape[0] - 1

    def take(self, rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts of the given rows, in order."""
        starts, stops = self.indptr[rows], self.indptr[rows + 1]
        lengths = stops - starts
        indptr = np.zeros(rows.shape[0] + 1, _I64)
        np.cumsum(lengths, out=indptr[1:])
        pos = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        return self.values[pos], self.indices[pos], indptr


def _parse_line(text: str, width: int, where: str, labelled: bool) -> Tuple[float, list, list]:
    tokens = text.split()
    label = 0.0
    if labelled:
        try:
            label = float(tokens[0])
        except ValueError:
            raise MXNetValueError(f"LibSVMIter: {where}: cannot parse the label "
                                  f"{tokens[0][:30]!r}") from None
        tokens = tokens[1:]
    cols, vals = [], []
    for token in tokens:
        idx, sep, val = token.partition(":")
        try:
            col, value = int(idx), float(val)
        except ValueError:
            col, value, sep = -1, 0.0, ""
        if not sep:
            raise MXNetValueError(f"LibSVMIter: {where}: expected index:value, got "
                                  f"{token[:30]!r}")
        if not 0 <= col < width:
            raise MXNetValueError(f"LibSVMIter: {where}: column index {col} is outside "
                                  f"[0, {width}) (indices are zero-based)")
        cols.append(col)
        vals.append(value)
    return label, cols, vals


def _parse(path: str, width: int, dtype: np.dtype, labelled: bool) -> _Rows:
    labels, values, indices, lengths = [], [], [], []
    for name in list_files(path, "LibSVMIter"):
        with open(name, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                label, cols, vals = _parse_line(text, width, f"{name}, line {number}",
                                                labelled)
                order = np.argsort(cols, kind="stable")
                cols_arr = np.asarray(cols, _I64)[order]
                if cols_arr.size > 1 and np.any(np.diff(cols_arr) == 0):
                    raise MXNetValueError(f"LibSVMIter: {name}, line {number}: a column index "
                                          "appears twice")
                labels.append(label)
                indices.append(cols_arr)
                values.append(np.asarray(vals, np.float64)[order])
                lengths.append(len(cols))
    indptr = np.zeros(len(lengths) + 1, _I64)
    np.cumsum(np.asarray(lengths, _I64), out=indptr[1:])
    return _Rows(np.asarray(labels, dtype), _concat(values, dtype), _concat(indices, _I64),
                 indptr, width)


def _concat(parts: List[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _width(shape: Any, what: str) -> Tuple[int]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise MXNetValueError(f"LibSVMIter: {what} must be a tuple of one int, got "
                              f"{shape!r}") from None
    if len(shape) != 1 or shape[0] < 1:
        raise MXNetValueError(f"LibSVMIter: {what} must be 1-D with a positive size, got "
                              f"{shape}")
    return shape


class LibSVMIter(RowFileIter):
    """Iterate over the rows of ``data_libsvm`` (a file, or a directory whose files are read
    in name order) as CSR batches of ``data_shape`` columns.

    Without ``label_libsvm`` the first token of each line is the label (a dense batch of
    shape ``(batch_size,)``); with it, labels are the rows of that file as a CSR batch of
    ``label_shape`` columns. ``num_parts``/``part_index`` read one contiguous part of the
    rows (for distributed training). ``dtype`` is the data's dtype.

    Example::

        >>> import mxcore as mx, pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.t"
        >>> _ = path.write_text("1.0 0:0.5 2:1.2\\n-2.0\\n-3.0 0:0.6 1:2.4 2:1.2\\n4 2:-1.2\\n")
        >>> it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(3,), batch_size=3)
        >>> batch = next(it)
        >>> batch.data[0].stype, batch.label[0].asnumpy().tolist()
        ('csr', [1.0, -2.0, -3.0])
    """

    def __init__(self, data_libsvm: str, data_shape: Sequence[int],
                 label_libsvm: Optional[str] = None, label_shape: Sequence[int] = (1,),
                 batch_size: Optional[int] = None, round_batch: bool = True,
                 num_parts: int = 1, part_index: int = 0, dtype: str = "float32",
                 prefetch_buffer: int = 4, **kwargs: Any) -> None:
        batch_size = check_batch_size(batch_size, "LibSVMIter")
        if kwargs:
            raise MXNetValueError(f"LibSVMIter: unknown arguments {sorted(kwargs)}")
        if not 0 <= int(part_index) < int(num_parts):
            raise MXNetValueError(f"LibSVMIter: part_index must lie in [0, num_parts), got "
                                  f"{part_index} of {num_parts}")
        super().__init__(batch_size, round_batch)
        self.dtype = normalize_dtype(dtype, "LibSVMIter")
        self.data_shape = _width(data_shape, "data_shape")
        self.label_shape = _width(label_shape, "label_shape")
        data = _parse(data_libsvm, self.data_shape[0], self.dtype,
                      labelled=label_libsvm is None)
        self._label_rows: Optional[_Rows] = None
        if label_libsvm is not None and label_libsvm != "NULL":
            self._label_rows = _parse(label_libsvm, self.label_shape[0], self.dtype,
                                      labelled=False)
            if self._label_rows.count < data.count:
                raise MXNetValueError(f"LibSVMIter: {label_libsvm} has "
                                      f"{self._label_rows.count} rows, fewer than the "
                                      f"{data.count} rows of {data_libsvm}")
        self._data_rows = data
        total = data.count
        lo = total * int(part_index) // int(num_parts)
        hi = total * (int(part_index) + 1) // int(num_parts)
        self._rows = np.arange(lo, hi, dtype=_I64)

    @property
    def provide_data(self) -> List[DataDesc]:
        return [DataDesc("data", (self.batch_size,) + self.data_shape, self.dtype)]

    @property
    def provide_label(self) -> List[DataDesc]:
        shape = (self.batch_size,) if self._label_rows is None else \
            (self.batch_size,) + self.label_shape
        return [DataDesc("softmax_label", shape, self.dtype)]

    def iter_next(self) -> bool:
        if self._overflow:
            return False
        n, bs = self._rows.shape[0], self.batch_size
        if self._pos >= n:
            return False
        picked = self._rows[self._pos:self._pos + bs]
        self._pos += picked.shape[0]
        pad = bs - picked.shape[0]
        if pad:
            if pad > n:
                raise MXNetValueError(f"LibSVMIter: the last batch needs {pad} rows from the "
                                      f"start, the data has {n}")
            picked = np.concatenate([picked, self._rows[:pad]])
            if self.round_batch:
                self._pos = pad
                self._overflow = pad
        self.current_batch = DataBatch([self._csr(self._data_rows, picked)], [self._label(picked)],
                                  pad=pad, index=picked.astype(np.uint64))
        return True

    def _csr(self, rows: _Rows, picked: np.ndarray) -> Any:
        from ..ndarray import sparse

        values, indices, indptr = rows.take(picked)
        return sparse.csr_matrix((values, indices, indptr),
                                 shape=(picked.shape[0], rows.width), dtype=self.dtype)

    def _label(self, picked: np.ndarray) -> Any:
        from .. import ndarray as nd

        if self._label_rows is None:
            return nd.array(self._data_rows.labels[picked], dtype=self.dtype)
        return self._csr(self._label_rows, picked)
