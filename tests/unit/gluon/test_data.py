"""gluon.data: datasets, samplers, DataLoader (same process, threads, worker processes)."""

import gc
import multiprocessing
import os
import time

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.gluon.data import (
    ArrayDataset,
    BatchSampler,
    DataLoader,
    Dataset,
    IntervalSampler,
    RandomSampler,
    SequentialSampler,
    SimpleDataset,
)

needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="worker tests use fork (the dataset need not pickle)")


def _values(batches):
    """Batches as nested Python lists (NDArrays turned into lists, with their dtypes)."""
    out = []
    for batch in batches:
        fields = batch if isinstance(batch, (list, tuple)) else [batch]
        out.append([(f.asnumpy().tolist(), np.dtype(f.dtype).name) for f in fields])
    return out


def _dataset(n=20):
    return ArrayDataset(mx.nd.array(np.arange(2 * n).reshape(n, 2)),
                        np.arange(n, dtype=np.int32))


# -- datasets ---------------------------------------------------------------------------------
def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_simple_dataset_and_transforms():
    ds = SimpleDataset([1, 2, 3])
    assert len(ds) == 3 and ds[1] == 2
    calls = []

    def double(x):
        calls.append(x)
        return 2 * x

    lazy = ds.transform(double)
    assert calls == [] and lazy[2] == 6 and calls == [3]
    eager = ds.transform(double, lazy=False)
    assert isinstance(eager, SimpleDataset) and list(eager) == [2, 4, 6]


def test_transform_spreads_tuples_and_transform_first_keeps_label():
    ds = SimpleDataset([(1, 10), (2, 20)])
    assert ds.transform(lambda a, b: a + b)[1] == 22
    assert ds.transform_first(lambda a: -a)[0] == (-1, 10)
    assert SimpleDataset([5]).transform_first(lambda a: -a)[0] == -5


def test_filter_shard_take_sample():
    ds = SimpleDataset(list(range(10)))
    assert list(ds.filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    shards = [list(ds.shard(3, i)) for i in range(3)]
    assert shards == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert list(ds.take(3)) == [0, 1, 2] and len(ds.take(None)) == 10
    assert list(ds.sample([9, 0])) == [9, 0]
    with pytest.raises(MXNetError):
        ds.shard(2, 2)
    with pytest.raises(IndexError):
        ds.take(2)[5]


def test_array_dataset_mixed_sources():
    data = mx.nd.array(np.arange(12).reshape(4, 3))
    labels_nd = mx.nd.array([0, 1, 2, 3])
    ds = ArrayDataset(data, np.arange(4) * 10, ["a", "b", "c", "d"], labels_nd)
    assert len(ds) == 4
    x, y, z, w = ds[2]
    assert isinstance(x, mx.nd.NDArray) and x.asnumpy().tolist() == [6, 7, 8]
    assert y == 20 and z == "c"
    assert isinstance(w, np.floating) and w == 2.0  # a 1-D NDArray gives scalars
    single = ArrayDataset(np.arange(3))
    assert single[1] == 1


def test_array_dataset_errors():
    with pytest.raises(MXNetError, match="at least 1"):
        ArrayDataset()
    with pytest.raises(MXNetError, match=r"array\[1\] has 2"):
        ArrayDataset(np.zeros(3), [1, 2])


# -- samplers ---------------------------------------------------------------------------------
def test_sequential_and_interval_samplers():
    assert list(SequentialSampler(4)) == [0, 1, 2, 3]
    assert list(SequentialSampler(3, start=5)) == [5, 6, 7] and len(SequentialSampler(3)) == 3
    assert list(IntervalSampler(7, 3)) == [0, 3, 6, 1, 4, 2, 5]
    short = IntervalSampler(7, 3, rollover=False)
    assert list(short) == [0, 3, 6] and len(short) == 3
    with pytest.raises(MXNetError):
        SequentialSampler(-1)


def test_random_sampler_is_a_permutation_reproducible_with_seed():
    sampler = RandomSampler(50)
    mx.random.seed(11)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(50)) and len(sampler) == 50
    assert first != second  # a new order each pass
    mx.random.seed(11)
    assert list(sampler) == first and list(sampler) == second
    mx.random.seed(12)
    assert list(sampler) != first


def test_batch_sampler_last_batch_modes():
    seq = SequentialSampler(10)
    keep = BatchSampler(seq, 3, "keep")
    assert list(keep) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(keep) == 4
    discard = BatchSampler(seq, 3, "discard")
    assert list(discard) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(discard) == 3
    roll = BatchSampler(seq, 3, "rollover")
    assert len(roll) == 3
    assert list(roll) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(roll) == 3  # (1 carried + 10) // 3
    assert list(roll) == [[9, 0, 1], [2, 3, 4], [5, 6, 7]]
    assert len(roll) == 4  # (2 carried + 10) // 3
    assert list(roll) == [[8, 9, 0], [1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_batch_sampler_errors():
    with pytest.raises(MXNetError, match="last_batch"):
        BatchSampler(SequentialSampler(3), 2, "drop")
    with pytest.raises(MXNetError, match="batch_size"):
        BatchSampler(SequentialSampler(3), 0)


# -- DataLoader, same process -----------------------------------------------------------------
def test_default_batchify_shapes_and_dtypes():
    batches = list(DataLoader(_dataset(5), batch_size=2))
    assert len(batches) == 3
    data, label = batches[0]
    assert isinstance(batches[0], list)  # MXNet 1.x: a list of fields
    assert data.shape == (2, 2) and data.dtype == np.float32
    assert label.dtype == np.int32 and label.asnumpy().tolist() == [0, 1]
    assert batches[2][0].shape == (1, 2)
    floats = list(DataLoader(SimpleDataset([0.5, 1.5, 2.5]), batch_size=3))[0]
    assert floats.dtype == np.float64 and floats.asnumpy().tolist() == [0.5, 1.5, 2.5]
    images = SimpleDataset([np.full((2, 2), i, dtype=np.uint8) for i in range(4)])
    batch = next(iter(DataLoader(images, batch_size=4)))
    assert batch.shape == (4, 2, 2) and batch.dtype == np.uint8


def test_loader_last_batch_and_len():
    ds = _dataset(7)
    assert [b[1].shape[0] for b in DataLoader(ds, 3)] == [3, 3, 1]
    discard = DataLoader(ds, 3, last_batch="discard")
    assert len(discard) == 2 and [b[1].shape[0] for b in discard] == [3, 3]
    roll = DataLoader(ds, 3, last_batch="rollover")
    first = [b[1].asnumpy().tolist() for b in roll]
    second = [b[1].asnumpy().tolist() for b in roll]
    assert first == [[0, 1, 2], [3, 4, 5]] and second[0] == [6, 0, 1]


def test_loader_argument_errors():
    ds = _dataset(4)
    with pytest.raises(MXNetError, match="batch_size must be specified"):
        DataLoader(ds)
    with pytest.raises(MXNetError, match="must not be specified if batch_sampler"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(MXNetError, match="shuffle must not be specified"):
        DataLoader(ds, batch_size=2, shuffle=True, sampler=SequentialSampler(4))
    with pytest.raises(MXNetError, match="num_workers"):
        DataLoader(ds, batch_size=2, num_workers=-1)


def test_batch_sampler_and_custom_batchify():
    ds = SimpleDataset(list(range(6)))
    loader = DataLoader(ds, batch_sampler=[[5, 0], [2]], batchify_fn=lambda xs: sum(xs))
    assert list(loader) == [5, 2]


def test_shuffle_is_reproducible_with_seed():
    loader = DataLoader(_dataset(30), batch_size=7, shuffle=True)
    mx.random.seed(3)
    first = _values(loader)
    labels = sorted(x for batch in first for x in batch[1][0])
    assert labels == list(range(30))
    mx.random.seed(3)
    assert _values(loader) == first
    mx.random.seed(4)
    assert _values(loader) != first


def test_pin_memory_puts_batches_on_cpu_pinned():
    batch = next(iter(DataLoader(_dataset(4), batch_size=2, pin_memory=True)))
    assert batch[0].context == mx.cpu_pinned(0)


def test_thread_pool_matches_same_process():
    loader_args = dict(batch_size=4, shuffle=True, last_batch="keep")
    ds = _dataset(18).transform_first(lambda x: x * 2)
    mx.random.seed(5)
    expected = _values(DataLoader(ds, **loader_args))
    mx.random.seed(5)
    got = _values(DataLoader(ds, num_workers=3, thread_pool=True, **loader_args))
    assert got == expected


def test_thread_pool_errors_propagate():
    def bad(x):
        raise KeyError("no sample")

    with pytest.raises(KeyError):
        list(DataLoader(SimpleDataset([1, 2]).transform(bad), 1, num_workers=2,
                        thread_pool=True))


# -- DataLoader, worker processes ---------------------------------------------------------------
def _scale_first(x, y):
    return x * 2, y


def _fail_on_7(x):
    if x == 7:
        raise ValueError("sample 7 is broken")
    return x


def _exit_on_5(x):
    if x == 5:
        os._exit(3)
    return x


def _sleep_on_2(x):
    if x == 2:
        time.sleep(30)
    return x


def _noise(x):
    return np.float32(np.random.uniform()), mx.nd.random.uniform(shape=(1,))


def _pair_batchify(samples):
    return {"sum": mx.nd.array([sum(samples)]), "raw": list(samples)}


@needs_fork
@pytest.mark.parametrize("last_batch", ["keep", "discard", "rollover"])
def test_workers_match_same_process(last_batch):
    ds = _dataset(23).transform(_scale_first)
    loader_args = dict(batch_size=4, shuffle=True, last_batch=last_batch)
    serial, parallel = DataLoader(ds, **loader_args), DataLoader(ds, num_workers=2,
                                                                 **loader_args)
    mx.random.seed(9)
    expected = [_values(serial), _values(serial)]
    mx.random.seed(9)
    got = [_values(parallel), _values(parallel)]
    assert got == expected
    assert len(parallel) == len(serial)


@needs_fork
def test_workers_with_custom_batchify_and_pin_memory():
    ds = SimpleDataset(list(range(6)))
    batches = list(DataLoader(ds, 2, batchify_fn=_pair_batchify, num_workers=2,
                              pin_memory=True, prefetch=1))
    assert [b["raw"] for b in batches] == [[0, 1], [2, 3], [4, 5]]
    assert [b["sum"].asnumpy().tolist() for b in batches] == [[1.0], [5.0], [9.0]]
    assert batches[0]["sum"].context == mx.cpu_pinned(0)


@needs_fork
def test_worker_exception_raises_mxnet_error():
    loader = DataLoader(SimpleDataset(list(range(10))).transform(_fail_on_7), 2,
                        num_workers=2)
    with pytest.raises(MXNetError, match="sample 7 is broken"):
        list(loader)


@needs_fork
def test_worker_crash_raises_instead_of_hanging():
    loader = DataLoader(SimpleDataset(list(range(10))).transform(_exit_on_5), 2,
                        num_workers=2)
    with pytest.raises(MXNetError, match="exited unexpectedly.*exit code 3"):
        list(loader)


@needs_fork
def test_worker_timeout_raises():
    loader = DataLoader(SimpleDataset(list(range(4))).transform(_sleep_on_2), 2,
                        num_workers=2, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(MXNetError, match="timeout"):
        list(loader)
    assert time.monotonic() - start < 10


@needs_fork
def test_abandoned_iterator_stops_its_workers():
    loader = DataLoader(SimpleDataset(list(range(100))), 2, num_workers=2)
    it = iter(loader)
    assert next(it).asnumpy().tolist() == [0.0, 1.0]
    workers = list(it._workers)
    del it
    gc.collect()
    assert all(not w.is_alive() for w in workers)


@needs_fork
def test_workers_get_distinct_reproducible_random_streams():
    ds = SimpleDataset(list(range(8))).transform(_noise)
    loader = DataLoader(ds, 2, num_workers=2)
    mx.random.seed(1)
    first = _values(loader)
    mx.random.seed(1)
    assert _values(loader) == first
    worker0, worker1 = first[0][0][0], first[1][0][0]  # batch 0 and 1: different workers
    assert worker0 != worker1
    assert _values(loader) != first  # a new epoch reseeds differently
