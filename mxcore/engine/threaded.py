"""The asynchronous engine: one FIFO worker thread per device, like a device stream.

Operations pushed for one device run in push order on that device's worker, so dependencies
within a device hold by construction; a task reading an array produced on another device
waits for that array first. Host code runs ahead until a sync point (``wait_to_read``,
``asnumpy``, ``waitall``). An error inside a task is stored on the task, re-raised at the sync
point, and the worker carries on with the next task.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence

__all__ = ["ThreadedEngine"]


class _Task:
    __slots__ = ("fn", "deps", "done", "error", "reported")

    def __init__(self, fn: Callable[[], None], deps: Sequence["_Task"]):
        self.fn = fn
        self.deps = deps  # tasks producing what fn reads, captured at push time
        self.done = threading.Event()
        self.error: Optional[BaseException] = None
        self.reported = False


class _Worker:
    def __init__(self, engine: "ThreadedEngine", name: str):
        self.queue: "queue.SimpleQueue[_Task]" = queue.SimpleQueue()
        self.last: Optional[_Task] = None
        self.engine = engine
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            task = self.queue.get()
            try:
                for dep in task.deps:
                    dep.done.wait()
                    if dep.error is not None:
                        raise dep.error
                task.fn()
            except BaseException as exc:  # stored, surfaced at the sync point
                task.error = exc
                self.engine._record_error(task)
            finally:
                task.fn = None
                task.deps = ()
                task.done.set()


class ThreadedEngine:
    """Asynchronous engine with a worker thread per device."""

    is_async = True
    name = "ThreadedEngine"

    def __init__(self) -> None:
        self._workers: Dict[Any, _Worker] = {}
        self._lock = threading.Lock()
        self._errors: List[_Task] = []

    def _worker(self, ctx: Any) -> _Worker:
        worker = self._workers.get(ctx)
        if worker is None:
            with self._lock:
                worker = self._workers.get(ctx)
                if worker is None:
                    worker = _Worker(self, f"mxcore-engine-{ctx}")
                    self._workers[ctx] = worker
        return worker

    def _record_error(self, task: _Task) -> None:
        with self._lock:
            self._errors.append(task)

    def push(self, fn: Callable[[], None], ctx: Any, reads: Sequence[Any],
             writes: Sequence[Any]) -> None:
        # dependencies are the producers pending *now*: a later push may replace
        # ``_pending`` (e.g. ``x += 1`` writes x after reading it) before this task runs
        deps = tuple(t for t in (array._pending for array in reads) if t is not None)
        task = _Task(fn, deps)
        for array in writes:
            array._pending = task
        worker = self._worker(ctx)
        worker.last = task
        worker.queue.put(task)

    def wait_for(self, array: Any) -> None:
        task = array._pending
        if task is None:
            return
        task.done.wait()
        if task.error is not None:
            self._mark_reported(task)
            raise task.error
        if array._pending is task:
            array._pending = None

    def _mark_reported(self, task: _Task) -> None:
        with self._lock:
            task.reported = True
            self._errors = [t for t in self._errors if t is not task]

    def wait_all(self) -> None:
        for worker in list(self._workers.values()):
            last = worker.last
            if last is not None:
                last.done.wait()
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0].error
