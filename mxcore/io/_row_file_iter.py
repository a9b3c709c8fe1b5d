"""What ``CSVIter`` and ``LibSVMIter`` share: the input files, the batch size check and the
``round_batch`` epoch bookkeeping of MXNet's batch loader."""

from __future__ import annotations

import os
from typing import Any, List, Optional

import numpy as np

from ..base import MXNetValueError
from .io import DataBatch, _BatchHolder


def list_files(path: str, who: str) -> List[str]:
    """``path`` itself, or the files of the directory ``path`` in name order."""
    if os.path.isdir(path):
        names = sorted(os.listdir(path))
        return [os.path.join(path, n) for n in names if os.path.isfile(os.path.join(path, n))]
    if not os.path.isfile(path):
        raise MXNetValueError(f"{who}: no such file or directory: {path!r}")
    return [path]


def check_batch_size(batch_size: Any, who: str) -> int:
    """``batch_size`` as an int >= 1, else an MXNetValueError naming ``who``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise MXNetValueError(f"{who}: batch_size must be an int >= 1, got {batch_size!r}")
    return int(batch_size)


class RowFileIter(_BatchHolder):
    """Batches of rows read up front. ``iter_next`` (of the subclass) advances ``_pos``; with
    ``round_batch`` it completes the last batch with ``_overflow`` rows from the start, and the
    next ``reset()`` keeps ``_pos`` so the following epoch continues after them."""

    def __init__(self, batch_size: int, round_batch: bool) -> None:
        super().__init__(batch_size)
        self.round_batch = bool(round_batch)
        self._pos = 0
        self._overflow = 0
        self.current_batch: Optional[DataBatch] = None

    def reset(self) -> None:
        if not self.round_batch or self._overflow == 0:
            self._pos = 0
        else:
            self._overflow = 0  # the wrapped rows began the next epoch already

    def next(self) -> DataBatch:
        if self.iter_next():
            return self.current_batch
        raise StopIteration
