"""``PrefetchingIter``: read the next batch of one or more iterators in background threads.

Each wrapped iterator gets a daemon worker thread that fetches one batch ahead. An exception
raised by a wrapped iterator is re-raised by ``next()`` in the caller's thread. The workers hold
no reference to the PrefetchingIter, so dropping it (or ``close()``) stops them, and being daemon
threads they never keep the interpreter from exiting.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Dict, List, Optional, Sequence

from ..base import MXNetError, MXNetValueError
from .io import DataBatch, DataDesc, DataIter, _BatchHolder

__all__ = ["PrefetchingIter"]

_FETCH, _STOP = "fetch", "stop"


class _Failure:
    """An exception raised in a worker, carried to the caller."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _work(data_iter: DataIter, requests: "queue.Queue", results: "queue.Queue") -> None:
    """Worker loop: answer each fetch request with the next batch, None at the end, or a
    _Failure."""
    while requests.get() != _STOP:
        try:
            result: Any = data_iter.next()
        except StopIteration:
            result = None
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's next()
            result = _Failure(exc)
        results.put(result)


class _Worker:
    __slots__ = ("requests", "results", "thread", "pending")

    def __init__(self, data_iter: DataIter, index: int) -> None:
        self.requests: queue.Queue = queue.Queue()
        self.results: queue.Queue = queue.Queue()
        self.pending = False
        self.thread = threading.Thread(target=_work, args=(data_iter, self.requests,
                                                           self.results),
                                       name=f"PrefetchingIter-{index}", daemon=True)
        self.thread.start()

    def request(self) -> None:
        self.requests.put(_FETCH)
        self.pending = True

    def take(self) -> Any:
        """The answer to the pending request (None if there is none)."""
        if not self.pending:
            return None
        self.pending = False
        return self.results.get()

    def stop(self) -> None:
        self.requests.put(_STOP)


def _renamed(descs: Sequence[Any], names: Optional[Dict[str, str]]) -> List[DataDesc]:
    out = []
    for desc in descs:
        if not isinstance(desc, DataDesc):
            desc = DataDesc(*desc)
        name = names.get(desc.name, desc.name) if names else desc.name
        out.append(DataDesc(name, desc.shape, desc.dtype, desc.layout))
    return out


class PrefetchingIter(_BatchHolder):
    """Prefetch batches of ``iters`` (one iterator or a list) in background threads; with
    several, each batch joins their data and labels in order.

    ``rename_data`` / ``rename_label``: one dict per iterator mapping its names to new ones
    in ``provide_data`` / ``provide_label``.

    Example::

        >>> import mxcore as mx
        >>> it = mx.io.PrefetchingIter(mx.io.NDArrayIter(mx.nd.arange(4), batch_size=2))
        >>> [b.data[0].asnumpy().tolist() for b in it]
        [[0.0, 1.0], [2.0, 3.0]]
        >>> it.close()
    """

    def __init__(self, iters: Any, rename_data: Optional[List[Dict[str, str]]] = None,
                 rename_label: Optional[List[Dict[str, str]]] = None) -> None:
        super().__init__()
        if not isinstance(iters, (list, tuple)):
            iters = [iters]
        if not iters:
            raise MXNetValueError("PrefetchingIter: needs at least one iterator")
        for what, names in (("rename_data", rename_data), ("rename_label", rename_label)):
            if names is not None and len(names) != len(iters):
                raise MXNetValueError(f"PrefetchingIter: {what} needs one dict per iterator "
                                      f"({len(iters)}), got {len(names)}")
        self.iters = list(iters)
        self.n_iter = len(self.iters)
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0].shape[0]
        self.current_batch: Optional[DataBatch] = None
        self._workers = [_Worker(it, i) for i, it in enumerate(self.iters)]
        self._closed = False
        for worker in self._workers:
            worker.request()

    # -- descriptions ----------------------------------------------------------------------------
    def _descs(self, attr: str, names: Optional[List[Dict[str, str]]]) -> List[DataDesc]:
        out: List[DataDesc] = []
        for i, it in enumerate(self.iters):
            out += _renamed(getattr(it, attr), names[i] if names else None)
        return out

    @property
    def provide_data(self) -> List[DataDesc]:
        return self._descs("provide_data", self.rename_data)

    @property
    def provide_label(self) -> List[DataDesc]:
        return self._descs("provide_label", self.rename_label)

    # -- iteration -------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise MXNetValueError("PrefetchingIter: the iterator is closed")

    def _collect(self) -> List[Any]:
        """The answers of every worker; re-raises the first failure."""
        answers = [worker.take() for worker in self._workers]
        for answer in answers:
            if isinstance(answer, _Failure):
                raise answer.error
        return answers

    def reset(self) -> None:
        self._check_open()
        for worker in self._workers:  # let pending fetches finish; their batches are dropped
            worker.take()
        for it in self.iters:
            it.reset()
        for worker in self._workers:
            worker.request()

    def iter_next(self) -> bool:
        self._check_open()
        batches = self._collect()
        ended = [batch is None for batch in batches]
        if all(ended):
            return False
        if any(ended):
            raise MXNetError("PrefetchingIter: the iterators yield different numbers of "
                             "batches")
        if any(batch.pad != batches[0].pad for batch in batches):
            raise MXNetError("PrefetchingIter: the iterators' batches have different pads "
                             f"({[batch.pad for batch in batches]})")
        self.current_batch = DataBatch(
            sum([list(batch.data) for batch in batches], []),
            sum([list(batch.label or []) for batch in batches], []),
            batches[0].pad, batches[0].index,
            provide_data=self.provide_data, provide_label=self.provide_label)
        for worker in self._workers:
            worker.request()
        return True

    def next(self) -> DataBatch:
        if self.iter_next():
            return self.current_batch
        raise StopIteration


    # -- shutdown --------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the worker threads (waits for a fetch in progress to finish)."""
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            worker.stop()
        for worker in self._workers:
            worker.thread.join(timeout=10.0)

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            for worker in getattr(self, "_workers", ()):
                worker.stop()
