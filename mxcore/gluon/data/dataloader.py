"""DataLoader: batches from a dataset, loaded in this process, in threads or in worker processes.

With ``num_workers > 0`` (and ``thread_pool=False``) each worker is a separate process (forked
where the platform allows it, so the dataset need not pickle). A worker reads its samples,
batches them into NumPy arrays and sends them back; the main process wraps them as NDArrays.
Only our own processes exchange pickled data. A worker that raises, dies or takes longer than
``timeout`` seconds makes the loader raise :class:`~mxcore.base.MXNetError` instead of hanging.

Every pass over the loader, whatever ``num_workers``, starts by drawing one seed from
``mx.random``, so the batch order does not depend on ``num_workers``. Each worker reseeds
``mx.random``, NumPy's global RNG and :mod:`random` from that seed and its worker id, so random
augmentations differ between workers and passes yet repeat after ``mx.random.seed(n)``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import pickle
import queue
import random
import signal
import time
import traceback
import weakref
from typing import Any, Callable, Iterator, List, Optional

import numpy as np

from ...base import MXNetError, MXNetValueError
from ...context import Context, cpu, cpu_pinned
from ...ndarray import NDArray, array, stack
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn"]

_POLL_S = 0.05  # how often the main process checks that its workers are alive
_GRACE_S = 0.25  # how long stopped workers get to exit before they are terminated


class DataLoaderWorkerError(MXNetError, RuntimeError):
    """A DataLoader worker raised, died or timed out."""


def default_batchify_fn(data: List[Any]) -> Any:
    """Stack samples into a batch: NDArrays with ``nd.stack``, tuples element-wise (a list of
    batches, as MXNet 1.x), anything else through ``np.asarray`` into an NDArray of that
    dtype."""
    first = data[0]
    if isinstance(first, NDArray):
        return stack(*data)
    if isinstance(first, tuple):
        return [default_batchify_fn(list(field)) for field in zip(*data)]
    host = np.asarray(data)
    return array(host, dtype=host.dtype)


#: MXNet's name for the batchify function used with worker processes (the same here: workers
#: batch into NumPy and the main process makes the NDArrays).
default_mp_batchify_fn = default_batchify_fn


class _HostArray:
    """A NumPy array a worker sends for the main process to wrap as an NDArray."""

    __slots__ = ("array",)

    def __init__(self, host: np.ndarray) -> None:
        self.array = host

    def __reduce__(self):
        return (_HostArray, (self.array,))


def _host_batchify(data: List[Any]) -> Any:
    """:func:`default_batchify_fn` in a worker: the same batches, as NumPy arrays."""
    first = data[0]
    if isinstance(first, NDArray):
        return _HostArray(np.stack([sample.asnumpy() for sample in data]))
    if isinstance(first, tuple):
        return [_host_batchify(list(field)) for field in zip(*data)]
    return _HostArray(np.asarray(data))


def _to_host(batch: Any) -> Any:
    if isinstance(batch, NDArray):
        return _HostArray(batch.asnumpy())
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_host(item) for item in batch)
    if isinstance(batch, dict):
        return {key: _to_host(value) for key, value in batch.items()}
    return batch


def _from_host(batch: Any, ctx: Context) -> Any:
    if isinstance(batch, _HostArray):
        return array(batch.array, ctx=ctx, dtype=batch.array.dtype)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_from_host(item, ctx) for item in batch)
    if isinstance(batch, dict):
        return {key: _from_host(value, ctx) for key, value in batch.items()}
    return batch


def _as_in_context(batch: Any, ctx: Context) -> Any:
    if isinstance(batch, NDArray):
        return batch.as_in_context(ctx)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_as_in_context(item, ctx) for item in batch)
    if isinstance(batch, dict):
        return {key: _as_in_context(value, ctx) for key, value in batch.items()}
    return batch


# -- worker processes ------------------------------------------------------------------------
def _seed_worker(worker_id: int, seed: List[int]) -> None:
    """Give this worker its own random streams, derived from the pass's seed."""
    from ... import random as mx_random

    value = int(np.random.SeedSequence(seed + [worker_id]).generate_state(1, np.uint64)[0])
    mx_random.seed(value, ctx=cpu())
    np.random.seed(value % 2**32)
    random.seed(value)


def _worker_loop(worker_id: int, seed: List[int], dataset: Any, batchify_fn: Optional[Callable],
                 index_queue: Any, result_queue: Any) -> None:
    """Body of a worker process: read (batch id, indices), send back (id, ok, payload)."""
    from ... import engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's business
    result_queue.cancel_join_thread()  # never block at exit on results nobody will read
    if engine.get().is_async:
        engine.set_engine("NaiveEngine")  # the parent's engine threads do not survive fork
    _seed_worker(worker_id, seed)
    while True:
        task = index_queue.get()
        if task is None:
            return
        batch_id, indices = task
        try:
            samples = [dataset[i] for i in indices]
            if batchify_fn is None:
                batch = _host_batchify(samples)
            else:
                batch = _to_host(batchify_fn(samples))
            message = (batch_id, True, pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:
            summary = f"{type(exc).__name__}: {exc}"
            message = (batch_id, False, f"{summary}\n{traceback.format_exc()}")
        result_queue.put(message)


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _shutdown_workers(workers: List[Any], index_queues: List[Any], result_queue: Any) -> None:
    for index_queue in index_queues:
        try:
            index_queue.put(None)
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + _GRACE_S
    for worker in workers:
        worker.join(timeout=max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
            worker.join(timeout=5.0)
    for q in index_queues + [result_queue]:
        q.cancel_join_thread()
        q.close()


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _ProcessIter:
    """Iterates over batches computed by worker processes, in sampler order."""

    def __init__(self, loader: "DataLoader", seed: List[int]) -> None:
        from ... import ndarray as nd

        self._batches = iter(loader._batch_sampler)
        self._length = len(loader._batch_sampler)
        self._timeout = loader._timeout
        self._ctx = cpu_pinned(loader._pin_device_id) if loader._pin_memory else cpu()
        batchify = loader._batchify_fn
        batchify = None if batchify is default_batchify_fn else batchify
        nd.waitall()  # forked workers cannot wait for the parent's engine threads
        mp = _mp_context()
        self._result_queue = mp.Queue()
        self._index_queues = [mp.Queue() for _ in range(loader._num_workers)]
        self._workers: List[Any] = []  # started ones only: the finalizer joins them
        self._finalizer = weakref.finalize(self, _shutdown_workers, self._workers,
                                           self._index_queues, self._result_queue)
        for worker_id, index_queue in enumerate(self._index_queues):
            worker = mp.Process(
                target=_worker_loop, daemon=True, name=f"mxcore-dataloader-{worker_id}",
                args=(worker_id, seed, loader._dataset, batchify, index_queue,
                      self._result_queue))
            worker.start()
            self._workers.append(worker)
        self._sent = 0
        self._received = 0
        self._buffer: dict = {}
        for _ in range(max(1, loader._prefetch)):
            self._push_next()

    def _push_next(self) -> None:
        indices = next(self._batches, None)
        if indices is None:
            return
        self._index_queues[self._sent % len(self._workers)].put((self._sent, list(indices)))
        self._sent += 1

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> "_ProcessIter":
        return self

    def __next__(self) -> Any:
        if self._received == self._sent or not self._finalizer.alive:
            self._finalizer()  # finished, or stopped by an earlier error
            raise StopIteration
        try:
            payload = self._wait_for(self._received)
        except BaseException:
            self._finalizer()
            raise
        self._received += 1
        self._push_next()
        return _from_host(pickle.loads(payload), self._ctx)

    def _wait_for(self, batch_id: int) -> bytes:
        deadline = time.monotonic() + self._timeout
        while batch_id not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DataLoaderWorkerError(
                    f"DataLoader: worker {batch_id % len(self._workers)} did not deliver "
                    f"batch {batch_id} within timeout={self._timeout}s")
            try:
                done_id, ok, payload = self._result_queue.get(timeout=min(remaining, _POLL_S))
            except queue.Empty:
                self._check_workers()
                continue
            if not ok:
                raise DataLoaderWorkerError(
                    f"DataLoader: worker {done_id % len(self._workers)} failed on batch "
                    f"{done_id}:\n{payload}")
            self._buffer[done_id] = payload
        return self._buffer.pop(batch_id)

    def _check_workers(self) -> None:
        for worker_id, worker in enumerate(self._workers):
            if worker.exitcode is not None:
                raise DataLoaderWorkerError(
                    f"DataLoader: worker {worker_id} (pid {worker.pid}) exited unexpectedly "
                    f"({_describe_exit(worker.exitcode)})")


# -- threads -----------------------------------------------------------------------------------
def _thread_batch(dataset: Any, batchify_fn: Callable, indices: List[int]) -> Any:
    return batchify_fn([dataset[i] for i in indices])


class _ThreadIter:
    """Iterates over batches computed by a pool of threads, in sampler order."""

    def __init__(self, loader: "DataLoader") -> None:
        self._loader = loader
        self._batches = iter(loader._batch_sampler)
        self._length = len(loader._batch_sampler)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=loader._num_workers, thread_name_prefix="mxcore-dataloader")
        self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=False,
                                           cancel_futures=True)
        self._pending: collections.deque = collections.deque()
        for _ in range(max(1, loader._prefetch)):
            self._push_next()

    def _push_next(self) -> None:
        indices = next(self._batches, None)
        if indices is not None:
            loader = self._loader
            self._pending.append(self._pool.submit(
                _thread_batch, loader._dataset, loader._batchify_fn, list(indices)))

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> "_ThreadIter":
        return self

    def __next__(self) -> Any:
        if not self._pending:
            self._pool.shutdown(wait=True)
            self._finalizer.detach()
            raise StopIteration
        future = self._pending.popleft()
        try:
            batch = future.result(timeout=self._loader._timeout)
        except concurrent.futures.TimeoutError:
            self._finalizer()
            raise DataLoaderWorkerError(
                f"DataLoader: a worker thread did not deliver a batch within "
                f"timeout={self._loader._timeout}s") from None
        except BaseException:
            self._finalizer()
            raise
        self._push_next()
        if self._loader._pin_memory:
            batch = _as_in_context(batch, cpu_pinned(self._loader._pin_device_id))
        return batch


# -- the loader --------------------------------------------------------------------------------
class DataLoader:
    """Loads batches from a dataset.

    Give either ``batch_size`` (with ``shuffle``, ``sampler`` and ``last_batch`` 'keep',
    'discard' or 'rollover'), or a ``batch_sampler`` yielding lists of indices.
    ``batchify_fn`` turns a list of samples into a batch (default:
    :func:`default_batchify_fn`). ``num_workers > 0`` loads in worker processes, or in
    threads with ``thread_pool=True``; ``prefetch`` batches (default ``2 * num_workers``) are
    requested ahead. ``pin_memory`` puts batches on ``cpu_pinned(pin_device_id)``. A batch
    that takes more than ``timeout`` seconds raises MXNetError.

    Example::

        >>> import numpy as np
        >>> from mxcore.gluon.data import ArrayDataset, DataLoader
        >>> ds = ArrayDataset(np.arange(10).reshape(5, 2), np.arange(5))
        >>> [data.shape for data, label in DataLoader(ds, batch_size=2)]
        [(2, 2), (2, 2), (1, 2)]
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = None, shuffle: bool = False,
                 sampler: Any = None, last_batch: Optional[str] = None,
                 batch_sampler: Any = None, batchify_fn: Optional[Callable] = None,
                 num_workers: int = 0, pin_memory: bool = False, pin_device_id: int = 0,
                 prefetch: Optional[int] = None, thread_pool: bool = False,
                 timeout: float = 120) -> None:
        self._dataset = dataset
        if batch_sampler is None:
            if batch_size is None:
                raise MXNetValueError("DataLoader: batch_size must be specified unless "
                                      "batch_sampler is specified")
            if sampler is None:
                sampler = RandomSampler(len(dataset)) if shuffle \
                    else SequentialSampler(len(dataset))
            elif shuffle:
                raise MXNetValueError("DataLoader: shuffle must not be specified if sampler "
                                      "is specified")
            batch_sampler = BatchSampler(sampler, batch_size,
                                         last_batch if last_batch else "keep")
        elif batch_size is not None or shuffle or sampler is not None \
                or last_batch is not None:
            raise MXNetValueError("DataLoader: batch_size, shuffle, sampler and last_batch "
                                  "must not be specified if batch_sampler is specified")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) \
                or num_workers < 0:
            raise MXNetValueError(f"DataLoader: num_workers must be an int >= 0, got "
                                  f"{num_workers!r}")
        if not timeout > 0:
            raise MXNetValueError(f"DataLoader: timeout must be > 0 seconds, got {timeout!r}")
        self._batch_sampler = batch_sampler
        self._batchify_fn = default_batchify_fn if batchify_fn is None else batchify_fn
        self._num_workers = num_workers
        self._pin_memory = bool(pin_memory)
        self._pin_device_id = int(pin_device_id)
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * num_workers)
        self._thread_pool = bool(thread_pool)
        self._timeout = float(timeout)

    def __iter__(self) -> Iterator:
        seed = _draw_seed()  # in every mode, so the sampler's draws do not depend on it
        if self._num_workers == 0:
            return self._same_process_iter()
        if self._thread_pool:
            return _ThreadIter(self)
        return _ProcessIter(self, seed)

    def _same_process_iter(self) -> Iterator:
        for indices in self._batch_sampler:
            batch = self._batchify_fn([self._dataset[i] for i in indices])
            if self._pin_memory:
                batch = _as_in_context(batch, cpu_pinned(self._pin_device_id))
            yield batch

    def __len__(self) -> int:
        return len(self._batch_sampler)
