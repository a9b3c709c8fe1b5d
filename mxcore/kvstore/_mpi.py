"""The MPI layer of the distributed stores (mpi4py), with bounded waits and fault notices.

Every wait on a non-blocking MPI request polls it, checks a control communicator for a
failure notice from another rank, and gives up after ``MXNET_KVSTORE_TIMEOUT`` seconds
(default 300) with :class:`MXNetKVStoreError` instead of hanging. A rank whose Python program
stops with an uncaught exception sends a notice to every other rank before it exits, so they
raise a clear error naming it; a rank that is killed outright is handled by the MPI launcher
(MPICH's ``mpiexec`` stops the whole job) or, failing that, by the timeout.

Roles: with ``S`` server ranks (``MXNET_KVSTORE_NUM_SERVER``/``DMLC_NUM_SERVER``, set by
``mxcore-launch -s S``) the last ``S`` MPI ranks are servers and the others workers, so a
worker's kvstore rank equals its MPI rank.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any, Optional

import numpy as np

from ..base import MXNetError
from .base import MXNetKVStoreError

__all__ = ["Comm", "get_comm", "mpi_available", "num_servers_from_env"]

TAG_ABORT = 9001
_DEFAULT_TIMEOUT = 300.0
_GRACE_S = 1.0
_SPIN_S = 2.0
_COMM: Optional["Comm"] = None


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise MXNetError(
            "distributed kvstore: mpi4py is not installed; install it with "
            "`pip install mpi4py mpich` (or against your cluster's MPI) and launch with "
            f"`mpiexec -n N python script.py` or `mxcore-launch -n N script.py` ({exc})"
        ) from None
    return MPI


def mpi_available() -> bool:
    """Whether mpi4py can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def num_servers_from_env() -> int:
    raw = os.environ.get("MXNET_KVSTORE_NUM_SERVER", os.environ.get("DMLC_NUM_SERVER", "0"))
    try:
        value = int(raw)
    except ValueError:
        raise MXNetError(f"distributed kvstore: the number of servers must be an int, got "
                         f"{raw!r}") from None
    if value < 0:
        raise MXNetError(f"distributed kvstore: the number of servers must be >= 0, got {value}")
    return value


def _timeout_from_env() -> float:
    raw = os.environ.get("MXNET_KVSTORE_TIMEOUT", str(_DEFAULT_TIMEOUT))
    try:
        value = float(raw)
    except ValueError:
        raise MXNetError(f"MXNET_KVSTORE_TIMEOUT must be a number of seconds, got "
                         f"{raw!r}") from None
    return value if value > 0 else _DEFAULT_TIMEOUT


class Comm:
    """MPI_COMM_WORLD split into workers and servers, with a control channel for failures."""

    def __init__(self) -> None:
        MPI = _import_mpi()
        self.MPI = MPI
        world = MPI.COMM_WORLD
        self.world_rank = world.Get_rank()
        self.world_size = world.Get_size()
        self.num_servers = num_servers_from_env()
        if self.num_servers >= self.world_size:
            raise MXNetError(f"distributed kvstore: {self.num_servers} servers leave no "
                             f"worker among {self.world_size} MPI ranks")
        self.num_workers = self.world_size - self.num_servers
        self.is_server = self.world_rank >= self.num_workers
        self.timeout = _timeout_from_env()
        self.data = world.Dup()
        self.ctrl = world.Dup()
        self.group = world.Split(1 if self.is_server else 0, self.world_rank)
        for c in (self.data, self.ctrl, self.group):
            c.Set_errhandler(MPI.ERRORS_RETURN)
        self.rank = self.group.Get_rank()
        self.failed: Optional[str] = None
        self._install_excepthook()

    # -- failures --------------------------------------------------------------------------------
    def _install_excepthook(self) -> None:
        previous = sys.excepthook

        def hook(etype, value, tb):
            previous(etype, value, tb)
            self.notify_failure(f"{etype.__name__}: {value}")
            _exit_now(1)

        sys.excepthook = hook

    def notify_failure(self, message: str) -> None:
        """Tell every other rank that this one stops because of ``message``."""
        if self.failed is not None:  # we stop because another rank failed: nothing to add
            return
        text = f"rank {self.world_rank}: {message}"[:2000].encode("utf-8", "replace")
        buf = np.frombuffer(text, dtype=np.uint8).copy()
        reqs = []
        for r in range(self.world_size):
            if r != self.world_rank:
                try:
                    reqs.append(self.ctrl.Isend(buf, dest=r, tag=TAG_ABORT))
                except self.MPI.Exception:
                    pass
        deadline = time.monotonic() + _GRACE_S
        while reqs and time.monotonic() < deadline:
            try:
                reqs = [q for q in reqs if not q.Test()]
            except self.MPI.Exception:
                break
            time.sleep(0.001)
        time.sleep(_GRACE_S)  # let the others print their error before the launcher stops them

    def check_failures(self, what: str) -> None:
        """Raise if another rank sent a failure notice."""
        status = self.MPI.Status()
        if not self.ctrl.Iprobe(source=self.MPI.ANY_SOURCE, tag=TAG_ABORT, status=status):
            return
        buf = np.empty(status.Get_count(self.MPI.BYTE), dtype=np.uint8)
        self.ctrl.Recv(buf, source=status.Get_source(), tag=TAG_ABORT)
        self.failed = buf.tobytes().decode("utf-8", "replace")
        raise MXNetKVStoreError(f"{what}: stopping because another process failed ({self.failed})")

    def wait(self, req: Any, what: str) -> Any:
        """Wait for ``req``; raise on a failure notice or after the timeout.

        MPI progresses non-blocking operations only inside MPI calls, so the first
        ``_SPIN_S`` seconds poll without sleeping, yielding the CPU now and then (as a blocking
        MPI call would); failure notices are checked between, and a longer wait backs off to
        sleeps.
        """
        MPI = self.MPI
        status = MPI.Status()
        try:
            start = time.monotonic()
            deadline = start + self.timeout
            spin_until = start + _SPIN_S
            pause = 1e-5
            polls = 0
            while not req.Test(status):
                polls += 1
                if polls & 255:
                    continue
                now = time.monotonic()
                self.check_failures(what)
                if now > deadline:
                    self.failed = "timeout"
                    raise MXNetKVStoreError(
                        f"{what}: no answer from the other processes after {self.timeout:g}s "
                        "(MXNET_KVSTORE_TIMEOUT); a worker or server probably died or hangs")
                if now > spin_until:
                    time.sleep(pause)
                    pause = min(pause * 2, 1e-3)
                else:
                    _yield()  # as MPICH's progress loop: let a descheduled peer run
            return status
        except MPI.Exception as exc:
            self.failed = str(exc)
            raise MXNetKVStoreError(f"{what}: MPI error: {exc}") from None

    # -- collectives among workers (or among servers) -------------------------------------------
    def allreduce(self, buf: np.ndarray, what: str) -> None:
        """Sum ``buf`` (contiguous) in place over the group."""
        self.wait(self.group.Iallreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM), what)

    def bcast(self, buf: np.ndarray, root: int, what: str) -> None:
        self.wait(self.group.Ibcast(buf, root=root), what)

    def allgather(self, send: np.ndarray, recv: np.ndarray, what: str) -> None:
        self.wait(self.group.Iallgather(send, recv), what)

    def barrier(self, what: str) -> None:
        self.wait(self.group.Ibarrier(), what)

    # -- point to point (workers <-> servers) ----------------------------------------------------
    def send(self, buf: np.ndarray, dest: int, tag: int, what: str) -> None:
        self.wait(self.data.Isend(buf, dest=dest, tag=tag), what)

    def recv(self, buf: np.ndarray, source: int, tag: int, what: str) -> Any:
        return self.wait(self.data.Irecv(buf, source=source, tag=tag), what)

    def probe(self, tag: int, what: str) -> Any:
        """Wait for a message with ``tag`` from any rank; its status (source, count)."""
        MPI = self.MPI
        status = MPI.Status()
        pause = 1e-5
        deadline = time.monotonic() + self.timeout
        while not self.data.Iprobe(source=MPI.ANY_SOURCE, tag=tag, status=status):
            self.check_failures(what)
            if time.monotonic() > deadline:
                deadline = time.monotonic() + self.timeout  # servers idle while workers work
            time.sleep(pause)
            pause = min(pause * 2, 1e-3)
        return status


_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


def _exit_now(code: int) -> None:
    """Leave without MPI_Finalize (which could wait forever for a dead peer)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def get_comm() -> Comm:
    """The process-wide communicator (created on first use)."""
    global _COMM
    if _COMM is None:
        _COMM = Comm()
    return _COMM


def print_and_exit(exc: BaseException) -> None:
    """Print ``exc`` with its traceback and leave (used by server loops)."""
    traceback.print_exception(type(exc), exc, exc.__traceback__)
    _exit_now(1)
