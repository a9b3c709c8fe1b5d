"""Datasets: Dataset, SimpleDataset, ArrayDataset, and lazy transforms of them."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from ...base import MXNetIndexError, MXNetValueError
from ...ndarray import NDArray
from .sampler import FilterSampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset"]


class Dataset:
    """Abstract dataset: subclasses define ``__getitem__(idx)`` and ``__len__()``.

    Example::

        >>> from mxcore.gluon.data import SimpleDataset
        >>> ds = SimpleDataset([1, 2, 3]).transform(lambda x: x * 10)
        >>> ds[2]
        30
    """

    def __getitem__(self, idx: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def filter(self, fn: Callable[[Any], bool]) -> "Dataset":
        """The samples for which ``fn(sample)`` is true."""
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> "Dataset":
        """Shard ``index`` of ``num_shards`` contiguous, near-equal parts (the first
        ``len % num_shards`` shards hold one sample more)."""
        if not 0 <= index < num_shards:
            raise MXNetValueError(f"Dataset.shard: index must be in [0, num_shards) = "
                                  f"[0, {num_shards}), got {index}")
        length = len(self)
        shard_len, rest = divmod(length, num_shards)
        start = shard_len * index + min(index, rest)
        end = start + shard_len + (1 if index < rest else 0)
        return _SampledDataset(self, SequentialSampler(end - start, start))

    def take(self, count: Optional[int]) -> "Dataset":
        """The first ``count`` samples (all of them when ``count`` is None or too large)."""
        if count is None or count > len(self):
            count = len(self)
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler: Iterable[int]) -> "Dataset":
        """The samples at the indices ``sampler`` yields, in that order."""
        return _SampledDataset(self, sampler)

    def transform(self, fn: Callable, lazy: bool = True) -> "Dataset":
        """A dataset whose samples are ``fn(sample)`` (``fn(*sample)`` for tuple samples).

        With ``lazy=False`` every sample is transformed now and kept in memory.
        """
        transformed = _LazyTransformDataset(self, fn)
        if lazy:
            return transformed
        return SimpleDataset([transformed[i] for i in range(len(transformed))])

    def transform_first(self, fn: Callable, lazy: bool = True) -> "Dataset":
        """Like :meth:`transform`, applied to the first element of each sample only (the
        data, leaving the label)."""
        return self.transform(_TransformFirst(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset over any object with ``len`` and indexing (a list, an array ...)."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


class ArrayDataset(Dataset):
    """A dataset zipping one or more arrays (NDArray, NumPy array or list) of equal length.

    A sample is ``data[i]`` with one array and the tuple ``(a[i], b[i], ...)`` with more.
    1-D NDArrays are kept as NumPy arrays so their samples are scalars, as in MXNet.

    Example::

        >>> import numpy as np
        >>> from mxcore.gluon.data import ArrayDataset
        >>> ds = ArrayDataset(np.zeros((4, 2)), [0, 1, 0, 1])
        >>> ds[1][1]
        1
    """

    def __init__(self, *args: Any) -> None:
        if not args:
            raise MXNetValueError("ArrayDataset: needs at least 1 array")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise MXNetValueError(
                    f"ArrayDataset: all arrays must have the same length; array[0] has "
                    f"length {self._length} while array[{i}] has {len(data)}")
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at the indices a sampler yields."""

    def __init__(self, dataset: Dataset, sampler: Iterable[int]) -> None:
        self._dataset = dataset
        self._indices = list(sampler)

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, idx: int) -> Any:
        try:
            index = self._indices[idx]
        except IndexError:
            raise MXNetIndexError(f"Dataset: index {idx} out of range for a dataset of "
                                  f"{len(self._indices)} samples") from None
        return self._dataset[index]


class _LazyTransformDataset(Dataset):
    """Applies ``fn`` to each sample when it is read."""

    def __init__(self, data: Dataset, fn: Callable) -> None:
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirst:
    """``fn`` on the first element, the others passed through (a class so it pickles)."""

    def __init__(self, fn: Callable) -> None:
        self._fn = fn

    def __call__(self, x: Any, *args: Any) -> Any:
        if args:
            return (self._fn(x),) + args
        return self._fn(x)
