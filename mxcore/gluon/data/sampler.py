"""Samplers: the order in which a DataLoader visits a dataset, and how it groups it in batches.

Randomness: :class:`RandomSampler` (and the random vision transforms) draw a fresh seed from
``mx.random``'s CPU stream each time they start, then shuffle with a NumPy ``Generator`` built
from it. ``mx.random.seed(n)`` therefore makes shuffling reproducible; without it, shuffling
differs from run to run. Unlike MXNet 1.x, ``np.random.seed`` has no effect on it.
"""

from __future__ import annotations

from typing import Iterable, Iterator, List

import numpy as np

from ...base import MXNetValueError

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "BatchSampler", "IntervalSampler",
           "FilterSampler", "SplitSampler"]

_LAST_BATCH = ("keep", "discard", "rollover")


def _draw_seed() -> List[int]:
    """Four 31-bit words drawn from ``mx.random``'s CPU stream."""
    from ... import context
    from ...ndarray import random as nd_random

    words = nd_random.randint(0, 2**31 - 1, shape=(4,), ctx=context.cpu()).asnumpy()
    return [int(w) for w in words]


def _numpy_rng() -> np.random.Generator:
    """A NumPy Generator seeded from ``mx.random``'s CPU stream (reproducible after
    ``mx.random.seed``)."""
    return np.random.default_rng(_draw_seed())


def _check_length(length: object, who: str) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise MXNetValueError(f"{who}: length must be an int >= 0, got {length!r}")
    return int(length)


class Sampler:
    """Base class: an iterable of sample indices with a length."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``start, start + 1, ..., start + length - 1`` in order.

    Example::

        >>> from mxcore.gluon.data import SequentialSampler
        >>> list(SequentialSampler(3))
        [0, 1, 2]
    """

    def __init__(self, length: int, start: int = 0) -> None:
        self._length = _check_length(length, "SequentialSampler")
        self._start = int(start)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._start, self._start + self._length))

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """A random permutation of ``0 .. length - 1``, new at every pass.

    The permutation comes from a NumPy Generator seeded from ``mx.random`` (see the module
    docstring), so ``mx.random.seed(n)`` makes it reproducible.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.data import RandomSampler
        >>> sorted(RandomSampler(4))
        [0, 1, 2, 3]
    """

    def __init__(self, length: int) -> None:
        self._length = _check_length(length, "RandomSampler")

    def __iter__(self) -> Iterator[int]:
        order = _numpy_rng().permutation(self._length)
        return iter(order.tolist())

    def __len__(self) -> int:
        return self._length


class SplitSampler(Sampler):
    """The indices of part ``part_index`` of ``num_parts`` equal contiguous parts of
    ``0 .. length - 1`` (shuffled within the part at every pass with ``shuffle``), for
    distributed training: ``SplitSampler(len(dataset), kv.num_workers, kv.rank)``. The
    ``length % num_parts`` indices left over are never visited, so every worker runs the
    same number of batches.

    Example::

        >>> from mxcore.gluon.data import SplitSampler
        >>> list(SplitSampler(7, num_parts=2, part_index=1, shuffle=False))
        [3, 4, 5]
    """

    def __init__(self, length: int, num_parts: int = 1, part_index: int = 0,
                 shuffle: bool = True) -> None:
        length = _check_length(length, "SplitSampler")
        for name, value in (("num_parts", num_parts), ("part_index", part_index)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise MXNetValueError(f"SplitSampler: {name} must be an int, got {value!r}")
        if num_parts < 1 or not 0 <= part_index < num_parts:
            raise MXNetValueError(f"SplitSampler: need num_parts >= 1 and 0 <= part_index < "
                                  f"num_parts, got {num_parts} and {part_index}")
        self._part_len = length // int(num_parts)
        self._start = self._part_len * int(part_index)
        self._shuffle = bool(shuffle)

    def __iter__(self) -> Iterator[int]:
        indices = np.arange(self._start, self._start + self._part_len)
        if self._shuffle:
            indices = _numpy_rng().permutation(indices)
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self._part_len


class IntervalSampler(Sampler):
    """Every ``interval``-th index: ``0, k, 2k, ..., 1, k+1, ...`` (all of them when
    ``rollover`` is True, only the first sweep otherwise).

    Example::

        >>> from mxcore.gluon.data import IntervalSampler
        >>> list(IntervalSampler(5, 2))
        [0, 2, 4, 1, 3]
    """

    def __init__(self, length: int, interval: int, rollover: bool = True) -> None:
        self._length = _check_length(length, "IntervalSampler")
        if isinstance(interval, bool) or not isinstance(interval, (int, np.integer)) \
                or not 0 < interval <= max(self._length, 1):
            raise MXNetValueError(f"IntervalSampler: interval must be in [1, length] = "
                                  f"[1, {self._length}], got {interval!r}")
        self._interval = int(interval)
        self._rollover = bool(rollover)

    def __iter__(self) -> Iterator[int]:
        starts = range(self._interval) if self._rollover else range(1)
        for start in starts:
            yield from range(start, self._length, self._interval)

    def __len__(self) -> int:
        if self._rollover:
            return self._length
        return len(range(0, self._length, self._interval))


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true."""

    def __init__(self, fn, dataset) -> None:
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    ``last_batch`` says what happens to a last, incomplete batch: ``'keep'`` yields it,
    ``'discard'`` drops it, ``'rollover'`` carries its indices over to the start of the next
    pass.

    Example::

        >>> from mxcore.gluon.data import BatchSampler, SequentialSampler
        >>> list(BatchSampler(SequentialSampler(5), 2, 'keep'))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable, batch_size: int, last_batch: str = "keep") -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise MXNetValueError(f"BatchSampler: batch_size must be a positive int, "
                                  f"got {batch_size!r}")
        if last_batch not in _LAST_BATCH:
            raise MXNetValueError(f"BatchSampler: last_batch must be one of 'keep', "
                                  f"'discard', or 'rollover', but got {last_batch!r}")
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._last_batch = last_batch
        self._prev: List = []

    def __iter__(self) -> Iterator[List]:
        batch, self._prev = self._prev, []
        for index in self._sampler:
            batch.append(index)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self) -> int:
        size = self._batch_size
        if self._last_batch == "keep":
            return (len(self._sampler) + size - 1) // size
        if self._last_batch == "discard":
            return len(self._sampler) // size
        return (len(self._prev) + len(self._sampler)) // size
