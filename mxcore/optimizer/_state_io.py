"""Updater states as bytes without pickle (used by :class:`mxcore.optimizer.Updater`).

The bytes are an ``mx.nd.save`` file: the state arrays plus one uint8 array holding a JSON
description of the structure (None, numbers, strings, lists, tuples, dicts with any hashable
keys, NDArrays and NumPy arrays by reference, LR schedulers) and, optionally, the optimizer's
class and attributes. Decoding recreates only registered optimizer classes and
``mx.lr_scheduler`` classes, and checks every reference.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..lr_scheduler import LRScheduler
from ..ndarray import NDArray

__all__ = ["FORMAT", "Encoder", "Decoder", "pack", "unpack", "encode_optimizer",
           "decode_optimizer"]

_LOG = logging.getLogger(__name__)
FORMAT = "mxcore.optimizer.Updater"
_META = "__mxcore_updater_meta__"


def pack(meta: dict, arrays: Dict[str, NDArray]) -> bytes:
    from ..ndarray.serialization import _encode

    text = json.dumps(meta).encode("utf-8")
    entries = dict(arrays)
    entries[_META] = nd.array(np.frombuffer(text, dtype=np.uint8), dtype=np.uint8)
    return b"".join(bytes(chunk) for chunk in _encode(list(entries.values()), list(entries)))


def unpack(blob: Any) -> tuple:
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise MXNetTypeError(f"set_states: expected bytes, got {type(blob).__name__}")
    try:
        loaded = nd.load_frombuffer(blob)
    except MXNetError as exc:
        raise MXNetValueError(
            "set_states: not an mxcore optimizer-state file (states pickled by MXNet are not "
            f"loaded, for safety): {exc}") from None
    if not isinstance(loaded, dict) or _META not in loaded:
        raise MXNetValueError("set_states: not an mxcore optimizer-state file (no "
                              "description entry)")
    arrays = dict(loaded)
    raw = arrays.pop(_META).asnumpy()
    try:
        meta = json.loads(raw.astype(np.uint8).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MXNetValueError(f"set_states: corrupt description entry: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise MXNetValueError("set_states: not an mxcore optimizer-state file")
    if meta.get("version") != 1:
        raise MXNetValueError(f"set_states: unsupported version {meta.get('version')!r}")
    return meta, arrays


class Encoder:
    """Python values -> JSON-able values; arrays are collected by reference."""

    def __init__(self) -> None:
        self.arrays: Dict[str, NDArray] = {}

    def _array(self, x: NDArray, tag: str) -> dict:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = x
        return {tag: key}

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, NDArray):
            return self._array(value, "__nd__")
        if isinstance(value, np.ndarray):
            return self._array(nd.array(value, dtype=value.dtype), "__np__")
        if isinstance(value, (tuple, list)):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return {"__tuple__": items} if isinstance(value, tuple) else items
        if isinstance(value, dict):
            return {"__dict__": [[self.encode(k, f"{where} key"),
                                  self.encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
        if isinstance(value, LRScheduler):
            return {"__lr_scheduler__": type(value).__name__,
                    "attrs": self.encode(vars(value), where)}
        raise MXNetTypeError(f"get_states: cannot serialise {where} of type "
                             f"{type(value).__name__}")


class Decoder:
    """The inverse of :class:`Encoder`; recreates only mx.lr_scheduler classes."""

    def __init__(self, arrays: Dict[str, NDArray]):
        self.arrays = arrays

    def _array(self, key: Any) -> NDArray:
        if not isinstance(key, str) or key not in self.arrays:
            raise MXNetValueError(f"set_states: missing array {key!r}")
        return self.arrays[key]

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__nd__" in value:
            return self._array(value["__nd__"])
        if "__np__" in value:
            return self._array(value["__np__"]).asnumpy()
        if "__tuple__" in value:
            return tuple(self.decode(v) for v in value["__tuple__"])
        if "__dict__" in value:
            out = {}
            for pair in value["__dict__"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise MXNetValueError("set_states: corrupt mapping entry")
                key = self.decode(pair[0])
                try:
                    out[key] = self.decode(pair[1])
                except TypeError:
                    raise MXNetValueError("set_states: unhashable mapping key") from None
            return out
        if "__lr_scheduler__" in value:
            return _new_object(_scheduler_class(value["__lr_scheduler__"]),
                               self.decode(value.get("attrs")))
        raise MXNetValueError(f"set_states: unknown entry {sorted(value)}")


def _scheduler_class(name: Any) -> type:
    found = {LRScheduler.__name__: LRScheduler}
    todo = [LRScheduler]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.setdefault(sub.__name__, sub)
            todo.append(sub)
    if name not in found:
        raise MXNetValueError(f"set_states: unknown LR scheduler class {name!r}")
    return found[name]


def _new_object(cls: type, attrs: Any) -> Any:
    if not isinstance(attrs, dict) or not all(isinstance(k, str) for k in attrs):
        raise MXNetValueError(f"set_states: corrupt attributes for {cls.__name__}")
    obj = cls.__new__(cls)
    obj.__dict__.update(attrs)
    return obj


def encode_optimizer(enc: Encoder, opt: Any) -> dict:
    attrs = {}
    for key, value in vars(opt).items():
        if key in ("param_dict", "_index_update_count"):
            continue
        try:
            attrs[key] = enc.encode(value, f"optimizer attribute {key!r}")
        except MXNetTypeError as exc:
            _LOG.warning("%s; it is not saved", exc)
    current = next((d for d, counts in opt._all_index_update_counts.items()
                    if counts is opt._index_update_count), 0)
    return {"class": type(opt).__name__.lower(),
            "attrs": {"__dict__": [[key, value] for key, value in attrs.items()]},
            "current_device": current}


def decode_optimizer(dec: Decoder, entry: Any, registry: Dict[str, type]) -> Any:
    if not isinstance(entry, dict):
        raise MXNetValueError("set_states: corrupt optimizer entry")
    cls = registry.get(entry.get("class"))
    if cls is None:
        raise MXNetValueError(f"set_states: optimizer {entry.get('class')!r} is not "
                              "registered")
    opt = _new_object(cls, dec.decode(entry.get("attrs")))
    counts = opt.__dict__.get("_all_index_update_counts")
    if not isinstance(counts, dict) or not all(isinstance(c, dict) for c in counts.values()):
        raise MXNetValueError("set_states: corrupt update counts")
    opt.param_dict = {}
    opt._set_current_context(entry.get("current_device", 0))
    return opt
