"""The KVStore interface shared by every store type (MXNet 1.x ``mx.kv.KVStore``).

A store keeps one value per key (int or str). ``push`` sums the values given for a key (one per
device), reduces that sum across workers on distributed stores, and either applies the
optimizer to the stored value (after ``set_optimizer``) or replaces the stored value with the
sum. ``pull`` copies the stored value into every output array. Subclasses supply only the
cross-worker part (``_reduce_across``) and where values are kept.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .. import autograd
from .. import optimizer as opt
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import Context, cpu
from ..ndarray import NDArray
from .compression import GradientCompression, create_compression

__all__ = ["KVStoreBase", "MXNetKVStoreError", "Key"]

Key = Union[int, str]


class MXNetKVStoreError(MXNetError, RuntimeError):
    """A distributed store failed: a worker died, raised, or did not answer in time."""


def _check_key(key: Any, who: str) -> Key:
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise MXNetTypeError(f"{who}: keys must be int or str, got {type(key).__name__} "
                             f"({key!r})")
    return key


def _as_value_list(value: Any, who: str) -> List[NDArray]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise MXNetValueError(f"{who}: empty list of values")
    for v in values:
        if not isinstance(v, NDArray):
            raise MXNetTypeError(f"{who}: values must be NDArrays, got {type(v).__name__}")
    return values


def group_pairs(key: Any, value: Any, who: str) -> List[Tuple[Key, List[NDArray]]]:
    """``(key, [values])`` pairs from MXNet's accepted forms: one key with an NDArray or a list
    (one per device), or a list of keys with a list of NDArrays or of lists."""
    if isinstance(key, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(key):
            got = len(value) if isinstance(value, (list, tuple)) else type(value).__name__
            raise MXNetValueError(f"{who}: {len(key)} keys need a list of {len(key)} values, "
                                  f"got {got}")
        return [(_check_key(k, who), _as_value_list(v, who)) for k, v in zip(key, value)]
    return [(_check_key(key, who), _as_value_list(value, who))]


class KVStoreBase:
    """Common behaviour of every store; see the module docstring."""

    #: whether ``set_gradient_compression`` is allowed for this type (MXNet: device and dist)
    _supports_compression = False
    #: compress each device's value before the local sum (in-process stores); distributed
    #: stores compress the worker's sum instead
    _compress_per_device = True

    def __init__(self, kind: str) -> None:
        self._type = kind
        self._store: Dict[Key, NDArray] = {}
        self._updater: Optional[Callable[..., None]] = None
        self._optimizer: Optional[opt.Optimizer] = None
        self._compression: Optional[GradientCompression] = None
        self._compression_params: Optional[dict] = None

    # -- properties ----------------------------------------------------------------------------
    @property
    def type(self) -> str:
        """The store type given to :func:`create`."""
        return self._type

    @property
    def rank(self) -> int:
        """This worker's rank in ``[0, num_workers)``."""
        return 0

    @property
    def num_workers(self) -> int:
        """How many workers share this store."""
        return 1

    # -- the five data operations --------------------------------------------------------------
    def init(self, key: Any, value: Any) -> None:
        """Give each key its initial value (on distributed stores, rank 0's value wins)."""
        for k, values in group_pairs(key, value, "KVStore.init"):
            if k in self._store:
                raise MXNetValueError(f"KVStore.init: key {k!r} is already initialized")
            self._init_key(k, values[0])

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Sum the values of each key (and across workers), then update the stored value."""
        for k, values in group_pairs(key, value, "KVStore.push"):
            self._push_key(k, values)

    def pull(self, key: Any, out: Any = None, priority: int = 0,
             ignore_sparse: bool = True) -> None:
        """Copy each key's stored value into ``out`` (an NDArray or a list of them)."""
        if out is None:
            raise MXNetValueError("KVStore.pull: out must be given")
        for k, outs in group_pairs(key, out, "KVStore.pull"):
            self._pull_key(k, outs, ignore_sparse)

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """``push`` then ``pull``; with ``out=None`` the result is written back into ``value``."""
        pairs = group_pairs(key, value, "KVStore.pushpull")
        outs = pairs if out is None else group_pairs(key, out, "KVStore.pushpull")
        for (k, values), (_, targets) in zip(pairs, outs):
            self._pushpull_key(k, values, targets)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """Initialise ``key`` with ``value`` (rank 0's on distributed stores), then pull it."""
        self.init(key, value)
        self.pull(key, out=out, priority=priority)

    def row_sparse_pull(self, key: Any, out: Any = None, priority: int = 0,
                        row_ids: Any = None) -> None:
        """Pull only the rows ``row_ids`` of each key into RowSparseNDArray ``out``."""
        from .sparse_pull import row_sparse_pull

        row_sparse_pull(self, key, out, row_ids)

    # -- optimizer -----------------------------------------------------------------------------
    def set_optimizer(self, optimizer: opt.Optimizer) -> None:
        """Let the store apply ``optimizer`` to the stored values on every push."""
        if not isinstance(optimizer, opt.Optimizer):
            raise MXNetTypeError(f"KVStore.set_optimizer: expected an Optimizer, got "
                                 f"{type(optimizer).__name__}")
        self._optimizer = optimizer
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater: Callable[..., None]) -> None:
        """Use ``updater(key, merged_grad, stored_weight)`` on every push."""
        self._updater = updater

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """Save the store's optimizer states to ``fname`` (atomically, no pickle)."""
        from ..ndarray.serialization import write_blob

        write_blob(fname, self._optimizer_states(dump_optimizer), "save_optimizer_states")

    def load_optimizer_states(self, fname: str) -> None:
        """Restore what :meth:`save_optimizer_states` wrote."""
        from ..ndarray.serialization import read_blob

        self._restore_optimizer_states(read_blob(fname, "load_optimizer_states"))

    def _optimizer_states(self, dump_optimizer: bool) -> bytes:
        updater = self._require_updater("save_optimizer_states")
        return updater.get_states(dump_optimizer=dump_optimizer)

    def _restore_optimizer_states(self, blob: bytes) -> None:
        updater = self._require_updater("load_optimizer_states")
        updater.set_states(blob)
        self._optimizer = updater.optimizer

    def _require_updater(self, who: str) -> Any:
        if not isinstance(self._updater, opt.Updater):
            raise MXNetValueError(f"KVStore.{who}: call set_optimizer first (the store has "
                                  "no optimizer states)")
        return self._updater

    # -- compression ---------------------------------------------------------------------------
    def set_gradient_compression(self, compression_params: dict) -> None:
        """Compress pushed gradients: ``{'type': '2bit', 'threshold': 0.5}`` quantises every
        element to -threshold, 0 or +threshold and keeps the rest as a residual added to the
        next push (error feedback)."""
        if not self._supports_compression:
            raise MXNetValueError(f"set_gradient_compression: not supported for kvstore type "
                                  f"{self._type!r} (use 'device' or a dist_* type)")
        self._compression = create_compression(compression_params)
        self._compression_params = dict(compression_params)

    # -- synchronisation -----------------------------------------------------------------------
    def barrier(self) -> None:
        """Wait until every worker reaches this point (nothing to wait for in one process)."""

    def _barrier(self) -> None:
        self.barrier()

    def close(self) -> None:
        """Release communication resources (distributed stores)."""

    # -- the reduction, shared by subclasses ---------------------------------------------------
    def _store_context(self, value: NDArray) -> Context:
        return value.context if "device" in self._type else cpu()

    def _init_key(self, key: Key, value: NDArray) -> None:
        with autograd.pause():
            self._store[key] = value.copyto(self._store_context(value))

    def _stored(self, key: Key, who: str) -> NDArray:
        try:
            return self._store[key]
        except KeyError:
            raise MXNetValueError(f"KVStore.{who}: key {key!r} has not been initialized "
                                  "(call init first)") from None

    def _local_sum(self, key: Key, values: Sequence[NDArray], ctx: Context) -> NDArray:
        """Sum of one key's per-device values on ``ctx`` (compressed per device on 'device')."""
        stored = self._stored(key, "push")
        for v in values:
            if v.shape != stored.shape:
                raise MXNetValueError(f"KVStore.push: key {key!r} holds shape {stored.shape}, "
                                      f"got a value of shape {v.shape}")
        compress = self._compression is not None and self._compress_per_device
        total = None
        for slot, v in enumerate(values):
            part = v.as_in_context(ctx)
            if compress:
                part = self._compression.quantize((key, slot), part)
            if total is None:
                total = part.copy() if part is v else part
            else:
                total += part
        return total

    def _reduce_across(self, key: Key, merged: NDArray) -> NDArray:
        """Sum ``merged`` over the workers (identity in one process)."""
        return merged

    def _apply(self, key: Key, merged: NDArray) -> None:
        stored = self._store[key]
        if self._updater is not None:
            self._updater(key, merged, stored)
        else:
            merged.copyto(stored)

    def _push_key(self, key: Key, values: List[NDArray]) -> None:
        with autograd.pause():
            stored = self._stored(key, "push")
            merged = self._local_sum(key, values, stored.context)
            merged = self._reduce_across(key, merged)
            self._apply(key, merged)

    def _pull_source(self, key: Key) -> NDArray:
        """The value ``pull`` and ``row_sparse_pull`` read for ``key``."""
        return self._stored(key, "pull")

    def _pull_key(self, key: Key, outs: List[NDArray], ignore_sparse: bool) -> None:
        stored = self._pull_source(key)
        with autograd.pause():
            for o in outs:
                if o.shape != stored.shape:
                    raise MXNetValueError(f"KVStore.pull: key {key!r} holds shape "
                                          f"{stored.shape}, got an output of shape {o.shape}")
                stored.copyto(o)

    def _pushpull_key(self, key: Key, values: List[NDArray], outs: List[NDArray]) -> None:
        self._push_key(key, values)
        self._pull_key(key, outs, True)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} type={self._type!r} rank={self.rank} "
                f"num_workers={self.num_workers}>")
