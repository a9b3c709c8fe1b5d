"""In-process stores: ``local`` (values kept on the CPU) and ``device`` (kept on the device of
the first value; per-device gradient compression allowed), as MXNet 1.x's local kvstore.

Example::

    >>> import mxcore as mx
    >>> kv = mx.kv.create("local")
    >>> kv.init(3, mx.nd.ones((2,)))
    >>> kv.push(3, [mx.nd.ones((2,)), mx.nd.ones((2,))])
    >>> out = mx.nd.zeros((2,))
    >>> kv.pull(3, out=out)
    >>> out.asnumpy().tolist()
    [2.0, 2.0]
"""

from __future__ import annotations

from .base import KVStoreBase

__all__ = ["LocalKVStore", "DeviceKVStore"]


class LocalKVStore(KVStoreBase):
    """Aggregates the values of several devices in this process (store on the CPU)."""

    def __init__(self, kind: str = "local") -> None:
        super().__init__(kind)


class DeviceKVStore(LocalKVStore):
    """Like ``local`` but the store lives on the device; allows gradient compression."""

    _supports_compression = True

    def __init__(self, kind: str = "device") -> None:
        super().__init__(kind)
