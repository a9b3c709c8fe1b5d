"""``BucketSentenceIter``: batches of token sequences grouped into length buckets, for
:class:`mx.mod.BucketingModule` (MXNet 1.x's ``mx.rnn.BucketSentenceIter``).

Each sentence goes to the smallest bucket at least as long as it and is padded with
``invalid_label``; sentences longer than the largest bucket are dropped. A batch holds
sentences of one bucket; its ``bucket_key`` is the bucket length and its label is the data
shifted left by one step (next-token prediction), ending with ``invalid_label``.
"""

from __future__ import annotations

import logging
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetValueError
from .io import DataBatch, DataDesc, DataIter

__all__ = ["BucketSentenceIter"]


def _permutation(n: int) -> np.ndarray:
    from ..gluon.data.sampler import _numpy_rng

    return _numpy_rng().permutation(n)


class BucketSentenceIter(DataIter):
    """Iterate over ``sentences`` (lists of token ids) in same-length buckets.

    ``buckets``: the bucket lengths (default: every length at least ``batch_size`` sentences
    have). ``layout`` ``'NT'`` gives ``(batch, time)`` batches, ``'TN'`` ``(time, batch)``.
    Each epoch visits every full batch of every bucket once, in a shuffled order (seeded by
    ``mx.random.seed``).

    Example::

        >>> import mxcore as mx
        >>> sentences = [[1, 2], [3, 4], [5, 6, 7], [8, 9, 1], [2]]
        >>> it = mx.io.BucketSentenceIter(sentences, batch_size=2, buckets=[2, 3])
        >>> it.default_bucket_key, it.provide_data[0].shape
        (3, (2, 3))
        >>> sorted(batch.bucket_key for batch in it)
        [2, 3]
    """

    def __init__(self, sentences: Sequence[Sequence[int]], batch_size: int,
                 buckets: Optional[Sequence[int]] = None, invalid_label: int = -1,
                 data_name: str = "data", label_name: str = "softmax_label",
                 dtype: Any = "float32", layout: str = "NT") -> None:
        super().__init__(batch_size)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise MXNetValueError(f"BucketSentenceIter: batch_size must be an int > 0, got "
                                  f"{batch_size!r}")
        if layout not in ("NT", "TN"):
            raise MXNetValueError(f"BucketSentenceIter: layout must be 'NT' or 'TN', got "
                                  f"{layout!r}")
        lengths = [len(s) for s in sentences]
        if not buckets:
            counts = np.bincount(lengths) if lengths else np.zeros(0, dtype=np.int64)
            buckets = [n for n, count in enumerate(counts) if count >= batch_size and n > 0]
        buckets = sorted(int(b) for b in buckets)
        if not buckets:
            raise MXNetValueError("BucketSentenceIter: no bucket: give buckets, or enough "
                                  "sentences of one length to fill a batch")
        grouped: List[List[np.ndarray]] = [[] for _ in buckets]
        ndiscard = 0
        for sent in sentences:
            slot = int(np.searchsorted(buckets, len(sent)))
            if slot == len(buckets):
                ndiscard += 1
                continue
            row = np.full((buckets[slot],), invalid_label, dtype=dtype)
            row[:len(sent)] = sent
            grouped[slot].append(row)
        if ndiscard:
            logging.warning("BucketSentenceIter: discarded %d sentences longer than the "
                            "largest bucket.", ndiscard)
        self.data = [np.asarray(rows, dtype=dtype).reshape(len(rows), length)
                     for rows, length in zip(grouped, buckets)]
        self.buckets = buckets
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.layout = layout
        self.major_axis = layout.find("N")
        self.default_bucket_key = max(buckets)
        self.idx: List[Tuple[int, int]] = [
            (i, j) for i, rows in enumerate(self.data)
            for j in range(0, len(rows) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self._order: List[Tuple[int, int]] = list(self.idx)
        self._epoch_data: List[np.ndarray] = list(self.data)
        self.reset()

    def _shape(self, length: int) -> tuple:
        if self.major_axis == 0:
            return (self.batch_size, length)
        return (length, self.batch_size)

    @property
    def provide_data(self) -> List[DataDesc]:
        return [DataDesc(self.data_name, self._shape(self.default_bucket_key), self.dtype,
                         layout=self.layout)]

    @property
    def provide_label(self) -> List[DataDesc]:
        return [DataDesc(self.label_name, self._shape(self.default_bucket_key), self.dtype,
                         layout=self.layout)]

    def reset(self) -> None:
        """Start a new epoch: shuffle the batch order and the sentences in each bucket."""
        self.curr_idx = 0
        self._order = [self.idx[k] for k in _permutation(len(self.idx))]
        self._epoch_data = [rows[_permutation(len(rows))] for rows in self.data]

    def next(self) -> DataBatch:
        from .. import ndarray as nd

        if self.curr_idx == len(self._order):
            raise StopIteration
        i, j = self._order[self.curr_idx]
        self.curr_idx += 1
        data = self._epoch_data[i][j:j + self.batch_size]
        label = np.full_like(data, self.invalid_label)
        label[:, :-1] = data[:, 1:]
        if self.major_axis == 1:
            data, label = data.T, label.T
        data_nd = nd.array(np.ascontiguousarray(data), dtype=self.dtype)
        label_nd = nd.array(np.ascontiguousarray(label), dtype=self.dtype)
        return DataBatch([data_nd], [label_nd], pad=0, bucket_key=self.buckets[i],
                         provide_data=[DataDesc(self.data_name, data.shape, self.dtype,
                                                layout=self.layout)],
                         provide_label=[DataDesc(self.label_name, label.shape, self.dtype,
                                                 layout=self.layout)])
