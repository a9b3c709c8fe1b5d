"""Server ranks of the parameter-server store (``dist_async``), and the worker<->server wire
format.

A message is a JSON header (``op``, store id ``sid``, ``key``, ``dtype``, ``shape``) sent as
bytes with ``TAG_HDR``, optionally followed by one array with ``TAG_DATA``; replies come back
with ``TAG_REPLY``. No pickle: values are raw buffers and optimizer settings travel in the
updater-states format of :mod:`mxcore.optimizer`. A server applies each push as it arrives
(the optimizer if one was set, else the pushed value replaces the stored one) and answers
pulls with the current value. It leaves when every worker said ``stop``.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .. import optimizer as opt
from ..base import MXNetError
from ..context import cpu

__all__ = ["serve_forever", "stop_servers", "server_of", "send_request", "recv_reply",
           "TAG_HDR", "TAG_DATA", "TAG_REPLY"]

TAG_HDR, TAG_DATA, TAG_REPLY = 11, 12, 13
_STOPPED = {"sent": False}


def server_of(comm: Any, key: Any) -> int:
    """The world rank of the server that owns ``key`` (a stable hash, same on every rank)."""
    index = zlib.crc32(json.dumps(key).encode("utf-8")) % comm.num_servers
    return comm.num_workers + index


def send_request(comm: Any, dest: int, header: dict, payload: Optional[np.ndarray] = None
                 ) -> None:
    what = f"dist_async: {header.get('op')} of key {header.get('key')!r}"
    text = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8).copy()
    comm.send(text, dest, TAG_HDR, what)
    if payload is not None:
        comm.send(np.ascontiguousarray(payload), dest, TAG_DATA, what)


def recv_reply(comm: Any, source: int, buf: np.ndarray, what: str) -> np.ndarray:
    comm.recv(buf, source, TAG_REPLY, what)
    return buf


def recv_bytes(comm: Any, source: int, what: str) -> bytes:
    size = recv_reply(comm, source, np.empty(1, dtype=np.int64), what)
    return recv_reply(comm, source, np.empty(int(size[0]), dtype=np.uint8), what).tobytes()


def _reply_bytes(comm: Any, dest: int, blob: bytes) -> None:
    comm.send(np.array([len(blob)], dtype=np.int64), dest, TAG_REPLY, "kvstore server: reply")
    comm.send(np.frombuffer(blob, dtype=np.uint8).copy(), dest, TAG_REPLY,
              "kvstore server: reply")


def stop_servers(comm: Any) -> None:
    """Tell every server this worker is done (once per process)."""
    if _STOPPED["sent"] or comm.failed is not None or comm.num_servers == 0:
        return
    _STOPPED["sent"] = True
    for s in range(comm.num_workers, comm.world_size):
        send_request(comm, s, {"op": "stop"})


class _Server:
    """The state of one server rank: values and updaters per store id."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.values: Dict[Tuple[int, Any], Any] = {}
        self.updaters: Dict[int, opt.Updater] = {}
        self.active = comm.num_workers

    def _recv_payload(self, src: int, header: dict) -> np.ndarray:
        buf = np.empty(header["shape"], dtype=np.dtype(header["dtype"]))
        self.comm.recv(buf, src, TAG_DATA, f"kvstore server: {header['op']}")
        return buf

    def handle(self, src: int, header: dict) -> None:
        from .. import ndarray as nd

        op = header.get("op")
        sid = header.get("sid")
        key = header.get("key")
        ack = np.zeros(1, dtype=np.int64)
        if op == "stop":
            self.active -= 1
        elif op == "init":
            value = self._recv_payload(src, header)
            self.values.setdefault((sid, key), nd.array(value, ctx=cpu(), dtype=value.dtype))
            self.comm.send(ack, src, TAG_REPLY, "kvstore server: init")
        elif op == "push":
            grad = self._recv_payload(src, header)
            stored = self.values[(sid, key)]
            grad_nd = nd.array(grad, ctx=cpu(), dtype=grad.dtype)
            updater = self.updaters.get(sid)
            if updater is not None:
                updater(key, grad_nd, stored)
            else:
                grad_nd.copyto(stored)
        elif op == "pull":
            value = self.values[(sid, key)].asnumpy()
            self.comm.send(np.ascontiguousarray(value), src, TAG_REPLY, "kvstore server: pull")
        elif op in ("set_optimizer", "set_states"):
            blob = self._recv_payload(src, header).tobytes()
            updater = self.updaters.get(sid)
            if updater is None:
                updater = self.updaters[sid] = opt.get_updater(opt.create("sgd"))
            if op == "set_optimizer":  # a new optimizer; states kept
                received = opt.get_updater(updater.optimizer)
                received.set_states(blob)
                updater.optimizer = received.optimizer
            else:
                updater.set_states(blob)
            self.comm.send(ack, src, TAG_REPLY, "kvstore server: optimizer")
        elif op == "get_states":
            updater = self.updaters.get(sid)
            blob = updater.get_states(dump_optimizer=False) if updater is not None else b""
            _reply_bytes(self.comm, src, blob)
        else:
            raise MXNetError(f"kvstore server: unknown request {op!r} from rank {src}")

    def run(self) -> None:
        comm = self.comm
        while self.active > 0:
            status = comm.probe(TAG_HDR, "kvstore server")
            src = status.Get_source()
            buf = np.empty(status.Get_count(comm.MPI.BYTE), dtype=np.uint8)
            comm.recv(buf, src, TAG_HDR, "kvstore server: header")
            self.handle(src, json.loads(buf.tobytes().decode("utf-8")))


def serve_forever(comm: Any) -> None:
    """Run this rank as a server until every worker stops, then leave the process."""
    from ._mpi import _exit_now, print_and_exit

    try:
        _Server(comm).run()
    except Exception as exc:  # report, tell the workers (unless they told us), and leave
        if comm.failed is None:
            comm.notify_failure(f"kvstore server: {type(exc).__name__}: {exc}")
        print_and_exit(exc)
    comm.MPI.Finalize()
    _exit_now(0)
