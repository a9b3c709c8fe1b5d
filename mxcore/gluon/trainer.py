"""gluon.Trainer: applies an optimizer to a set of Parameters (MXNet 1.x API).

Parameters may live on several contexts. With a ``'local'``/``'device'`` kvstore (the
default) and more than one context, gradients are summed across contexts as MXNet's local
kvstore does: with ``update_on_kvstore`` (the default there, or env
``MXNET_UPDATE_ON_KVSTORE=0`` to turn it off) the optimizer runs once on a store copy and the
result is copied to every context; otherwise every context's gradient is replaced by the sum
and each context applies the same update to its copy. With ``kvstore=None`` each context
updates from its own gradient.

Distributed kvstores (``'dist_sync'``, ``'dist_sync_device'``, ``'dist_async'``, or a store from
``mx.kv.create``) and gradient compression go through a real :mod:`mxcore.kvstore` store:
parameters start from rank 0's values, gradients are summed over contexts and workers, and
with ``update_on_kvstore`` (the default; required for ``dist_async``) the store applies the
optimizer. ``step(batch_size)`` divides by ``batch_size`` only, as in MXNet: pass the global
batch (per-worker batch x ``num_workers``) to match one process training on the whole batch.

Parameters with ``stype='row_sparse'`` (row_sparse *weights*, e.g.
``gluon.contrib.nn.SparseEmbedding``) need a kvstore and ``update_on_kvstore`` (as in MXNet):
the store keeps the full weight, ``step`` pushes their (row_sparse) gradients and the store
applies the optimizer (lazily for row_sparse gradients); ``param.row_sparse_data(row_id)``
pulls just the rows a batch needs into the parameter's RowSparseNDArray.

Example::

    >>> import mxcore as mx
    >>> w = mx.gluon.Parameter("w", shape=(2,), init=mx.init.One())
    >>> w.initialize()
    >>> trainer = mx.gluon.Trainer([w], "sgd", {"learning_rate": 0.1})
    >>> with mx.autograd.record():
    ...     loss = (w.data() * 2).sum()
    >>> loss.backward()
    >>> trainer.step(batch_size=1)
    >>> w.data().asnumpy()
    array([0.8, 0.8], dtype=float32)
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Union

from .. import autograd
from .. import kvstore as kvs
from .. import optimizer as opt
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..ndarray import NDArray
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer"]

_LOCAL_KVSTORES = ("local", "device")


class StaleGradientError(MXNetError, UserWarning):
    """A parameter's gradient was not refreshed by backward since the last step."""


def _kvstore_type(kvstore: Any) -> Optional[str]:
    """The kvstore type name (or None); unknown names are refused with a clear error."""
    if kvstore is None:
        return None
    kind = kvstore if isinstance(kvstore, str) else getattr(kvstore, "type", None)
    if kind in _LOCAL_KVSTORES or kind in kvs.KVSTORE_TYPES:
        return kind
    raise MXNetValueError(
        f"Trainer: unknown kvstore {kvstore!r}; expected None, a KVStore or one of "
        f"{', '.join(kvs.KVSTORE_TYPES)}")


def _is_fresh(arr: NDArray) -> bool:
    """Whether backward wrote ``arr``'s gradient since the last step (autograd's leaf entry)."""
    entry = arr._ag
    return entry is None or entry.fresh


def _mark_used(arr: NDArray) -> None:
    if arr._ag is not None:
        arr._ag.fresh = False


class Trainer:
    """Applies an ``optimizer`` (name or :class:`mx.optimizer.Optimizer`) to ``params``
    (a ParameterDict, a dict or a list of Parameters; parameters with ``grad_req='null'``
    are skipped). ``step(batch_size)`` normalises gradients by ``1/batch_size``."""

    def __init__(self, params: Union[ParameterDict, Dict[str, Parameter], Sequence[Parameter]],
                 optimizer: Any, optimizer_params: Optional[dict] = None,
                 kvstore: Any = "device", compression_params: Optional[dict] = None,
                 update_on_kvstore: Optional[bool] = None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise MXNetValueError("First argument must be a list or dict of Parameters, got "
                                  f"{type(params).__name__}.")
        self._params: List[Parameter] = []
        self._param2idx: Dict[int, int] = {}
        for param in params:
            if not isinstance(param, Parameter):
                raise MXNetValueError("First argument must be a list or dict of Parameters, "
                                      f"got list of {type(param).__name__}.")
            if id(param) in self._param2idx:  # a shared parameter listed twice
                continue
            self._param2idx[id(param)] = len(self._params)
            self._params.append(param)
            param._set_trainer(self)
        if compression_params is not None and not isinstance(compression_params, dict):
            raise MXNetTypeError("compression_params must be a dict, got "
                                 f"{type(compression_params).__name__}")
        kind = _kvstore_type(kvstore)
        self._contains_sparse_weight = any(p._stype != "default" for p in self._params)
        if self._contains_sparse_weight:
            sparse = [p.name for p in self._params if p._stype != "default"]
            if kind is None:
                raise MXNetValueError(
                    f"Cannot create KVStore with row_sparse Parameters {sparse} when kvstore "
                    "is None: row_sparse weights live in the kvstore (use 'local' or "
                    "'device').")
            if update_on_kvstore is False:
                raise MXNetValueError(
                    f"Cannot set update_on_kvstore=False when sparse weights are present "
                    f"({sparse}).")
            if kind in ("nccl", "dist_async"):
                raise MXNetValueError(f"Trainer: kvstore {kind!r} does not support row_sparse "
                                      f"weights ({sparse}) in mxcore; use 'local', 'device' "
                                      "or 'dist_sync'.")
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kv_initialized = False
        self._kvstore: Optional[str] = None
        self._update_on_kvstore: Optional[bool] = None
        self._distributed = False
        self._store: Dict[int, NDArray] = {}
        self._kv: Optional[kvs.KVStoreBase] = None
        #: the rescale_grad the store's optimizer was last given (None: not given yet)
        self._kv_scale: Optional[float] = None
        self._params_to_init: List[Parameter] = []
        self._reset_kvstore()
        if kvs.is_distributed(_kvstore_type(kvstore) or ""):
            self._prepare()  # better than MXNet: rank 0's weights before the first forward

    # -- setup ---------------------------------------------------------------------------------
    def _check_contexts(self) -> List[Any]:
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            if contexts is not None and contexts != ctx:
                raise MXNetValueError(
                    f"All Parameters must be initialized on the same set of contexts, but "
                    f"Parameter {param.name} is initialized on {ctx} while previous "
                    f"Parameters are initialized on {contexts}.")
            contexts = ctx
        return contexts or []

    def _init_optimizer(self, optimizer: Any, optimizer_params: dict) -> None:
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise MXNetValueError("optimizer_params must be None if optimizer is an "
                                      "instance of Optimizer instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    def _reset_kvstore(self) -> None:
        """Forget the store; it is set up again (from the current weights) on next use.
        A distributed store cannot be reset (as MXNet): load weights before creating the
        Trainer."""
        if self._kv is not None and self._distributed:
            raise MXNetError("Cannot reset distributed KVStore: set or load parameters "
                             "before creating the Trainer (or on every worker, then create "
                             "a new Trainer).")
        if self._kv is not None and self._contains_sparse_weight:
            self._keep_sparse_weights()
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._store = {}
        self._kv = None
        self._kv_scale = None
        self._params_to_init = list(self._params)

    def _keep_sparse_weights(self) -> None:
        """Before the store is dropped, give row_sparse parameters their full weights back
        (their contexts hold only the rows last pulled; the store is re-made from them)."""
        with autograd.pause():
            for param in self._params:
                if param._stype == "default" or param._data is None:
                    continue
                full = self._pull_full(param)
                if full is not None:
                    for arr in param._data:
                        arr[:] = full.as_in_context(arr.context)

    def _wants_store(self, kind: Optional[str]) -> bool:
        """Whether a real kvstore object does the reduction (distributed or compressed)."""
        if kind is None:
            return False
        if self._contains_sparse_weight:
            return True
        compressed = bool(self._compression_params) and \
            self._compression_params.get("type") != "none"
        return kvs.is_distributed(kind) or kind == "nccl" or \
            (compressed and len(self._contexts) > 1)

    def _init_store(self, kind: str) -> None:
        """Set up a :mod:`mxcore.kvstore` store (MXNet's Trainer._init_kvstore)."""
        config = self._kvstore_params
        given = config["kvstore"]
        store = given if isinstance(given, kvs.KVStoreBase) else kvs.create(kind)
        update_on_kvstore = config["update_on_kvstore"]
        if self._contains_sparse_weight:
            update_on_kvstore = True  # the store applies the updates of row_sparse weights
        if kind == "dist_async":
            if update_on_kvstore is False:
                raise MXNetValueError("Please set update_on_kvstore to True when training "
                                      "in async mode.")
            update_on_kvstore = True
        if update_on_kvstore is None:
            update_on_kvstore = os.environ.get("MXNET_UPDATE_ON_KVSTORE", "1") != "0"
        if self._compression_params and self._compression_params.get("type") != "none":
            store.set_gradient_compression(self._compression_params)
        self._distributed = kvs.is_distributed(kind)
        self._update_on_kvstore = bool(update_on_kvstore)
        self._kv = store
        self._kvstore = kind

    def _init_kvstore(self) -> None:
        config = self._kvstore_params
        kind = _kvstore_type(config["kvstore"])
        if self._wants_store(kind):
            self._init_store(kind)
        elif kind is not None and len(self._contexts) > 1:
            update_on_kvstore = config["update_on_kvstore"]
            if update_on_kvstore is None:
                update_on_kvstore = os.environ.get("MXNET_UPDATE_ON_KVSTORE", "1") != "0"
            self._kvstore = kind
            self._update_on_kvstore = bool(update_on_kvstore)
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def _init_params(self) -> None:
        """Copy the first context's weights into the store and to every context (MXNet's
        kvstore init + pull); parameters still waiting for deferred init wait."""
        waiting = []
        with autograd.pause():
            for param in self._params_to_init:
                if param._deferred_init:
                    waiting.append(param)
                    continue
                if not self._kvstore:
                    continue
                arrays = param._check_and_get(param._data, list)
                idx = self._param2idx[id(param)]
                if param._stype != "default":  # the full weight lives in the store only
                    self._kv.init(idx, arrays[0].tostype("default"))
                    for arr in arrays:  # batches pull the rows they need
                        arr[:] = 0
                    continue
                if self._kv is not None:  # rank 0's values everywhere
                    self._kv.init(idx, arrays[0])
                    self._kv.pull(idx, arrays)
                    continue
                if self._update_on_kvstore:
                    self._store[idx] = arrays[0].copy()
                for arr in arrays[1:]:
                    arrays[0].copyto(arr)
        self._params_to_init = waiting

    def _prepare(self) -> None:
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    def _row_sparse_pull(self, param: Parameter, out: Any, row_id: NDArray) -> None:
        """Pull rows ``row_id`` of ``param``'s stored weight into ``out`` (MXNet's
        Trainer._row_sparse_pull, called by ``Parameter.row_sparse_data``)."""
        self._prepare()
        if param._deferred_init or param in self._params_to_init:
            raise MXNetError(f"Trainer: Parameter '{param.name}' is not in the kvstore yet")
        idx = self._param2idx[id(param)]
        self._kv.row_sparse_pull(idx, out=out, row_ids=row_id)

    def _pull_full(self, param: Parameter) -> Optional[NDArray]:
        """Every row of a row_sparse ``param`` from the store (dense, on the CPU), or None
        while the store does not hold it yet."""
        if self._kv is None or not self._kv_initialized or param in self._params_to_init:
            return None
        from .. import ndarray as nd
        from ..context import cpu

        out = nd.zeros(param.shape, dtype=param.dtype, ctx=cpu())
        with autograd.pause():
            self._kv.pull(self._param2idx[id(param)], out=out)
        return out

    def _give_store_optimizer(self) -> None:
        """Hand the optimizer to the store (update_on_kvstore) once the gradient scale is
        known, and again if it changes (``dist_async`` servers hold a copy)."""
        if self._kv is None or not self._update_on_kvstore:
            return
        scale = self._optimizer.rescale_grad
        if self._kv_scale is None:
            self._kv.set_optimizer(self._optimizer)
        elif scale != self._kv_scale and self._kvstore == "dist_async":
            self._kv.set_optimizer(self._optimizer)
        self._kv_scale = scale

    # -- public API ----------------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        if not isinstance(self._optimizer, opt.Optimizer):
            raise MXNetValueError("Optimizer has to be defined before its learning rate can "
                                  "be accessed.")
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        """Set the optimizer's learning rate (not allowed with an LR scheduler)."""
        if not isinstance(self._optimizer, opt.Optimizer):
            raise MXNetValueError("Optimizer has to be defined before its learning rate is "
                                  "mutated.")
        self._optimizer.set_learning_rate(lr)

    def step(self, batch_size: float, ignore_stale_grad: bool = False) -> None:
        """One optimization step: gradients are reduced across contexts and scaled by
        ``1/batch_size``, then every parameter is updated."""
        self._check_and_rescale_grad(self._scale / self._batch(batch_size))
        self._prepare()
        self._give_store_optimizer()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum gradients across contexts (for gradient manipulation before ``update``)."""
        self._prepare()
        self._refuse_on_kvstore("allreduce_grads()")
        self._allreduce_grads()

    def update(self, batch_size: float, ignore_stale_grad: bool = False) -> None:
        """Update the parameters (after ``allreduce_grads``), scaling by ``1/batch_size``."""
        self._prepare()
        self._refuse_on_kvstore("update()")
        self._check_and_rescale_grad(self._scale / self._batch(batch_size))
        self._update(ignore_stale_grad)

    def save_states(self, fname: str) -> None:
        """Save the optimizer and its states to ``fname`` (atomically; no pickle)."""
        from ..ndarray.serialization import write_blob

        self._prepare()
        self._give_store_optimizer()
        if self._kv is not None and self._update_on_kvstore:
            self._kv.save_optimizer_states(fname, dump_optimizer=True)
            return
        blob = self._updaters[0].get_states(dump_optimizer=True) if self._updaters else \
            opt.get_updater(self._optimizer).get_states(dump_optimizer=True)
        write_blob(fname, blob, "save_states")

    def load_states(self, fname: str) -> None:
        """Load what ``save_states`` wrote (replaces the optimizer with the saved one)."""
        from ..ndarray.serialization import read_blob

        self._prepare()
        self._give_store_optimizer()
        if self._kv is not None and self._update_on_kvstore:
            self._kv.load_optimizer_states(fname)
            if isinstance(self._kv._updater, opt.Updater):  # the store updates here
                self._optimizer = self._kv._updater.optimizer
            self._optimizer.param_dict = {i: param for i, param in enumerate(self._params)}
            return
        states = read_blob(fname, "load_states")
        updaters = self._updaters or [opt.get_updater(self._optimizer)]
        for updater in updaters:
            updater.set_states(states)
            updater.optimizer = updaters[0].optimizer
        self._optimizer = updaters[0].optimizer
        self._optimizer.param_dict = {i: param for i, param in enumerate(self._params)}

    # -- internals -----------------------------------------------------------------------------
    @staticmethod
    def _batch(batch_size: float) -> float:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, float)) \
                or batch_size == 0:
            raise MXNetValueError(f"batch_size must be a non-zero number, got {batch_size!r}")
        return batch_size

    def _check_and_rescale_grad(self, scale: float) -> None:
        self._optimizer.rescale_grad = scale

    def _refuse_on_kvstore(self, what: str) -> None:
        if self._kvstore and self._update_on_kvstore:
            raise MXNetValueError(
                f"{what} when parameters are updated on kvstore is not supported. Try "
                "setting `update_on_kvstore` to False when creating trainer.")

    def _trainable(self):
        for i, param in enumerate(self._params):
            if param.grad_req != "null":
                yield i, param

    def _allreduce_grads(self) -> None:
        if not self._kvstore:
            return
        if self._kv is not None:  # one call: the store may fuse small keys
            keys, grads, datas = [], [], []
            for i, param in self._trainable():
                if param._stype != "default":  # pushed only: batches pull the rows they use
                    if self._distributed or any(_is_fresh(a) for a in param._data):
                        with autograd.pause():
                            self._kv.push(i, param.list_grad())
                    continue
                keys.append(i)
                grads.append(param.list_grad())
                datas.append(param.list_data())
            if keys:
                with autograd.pause():
                    self._kv.pushpull(keys, grads, out=datas if self._update_on_kvstore
                                      else None)
            return
        with autograd.pause():
            for i, param in self._trainable():
                grads = param.list_grad()
                total = grads[0].copy()
                for g in grads[1:]:
                    total += g.as_in_context(total.context)
                if self._update_on_kvstore:
                    self._update_store(i, param, total)
                else:
                    for g in grads:
                        total.copyto(g)

    def _update_store(self, i: int, param: Parameter, total: NDArray) -> None:
        """The kvstore's update: the optimizer on the store copy, then pull to every copy."""
        store = self._store.get(i)
        if store is None:  # initialised after the store was set up
            store = self._store[i] = param.list_data()[0].copy()
        self._updaters[0](i, total, store)
        for arr in param.list_data():
            store.copyto(arr)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        on_kvstore = bool(self._kvstore and self._update_on_kvstore)
        updates: List[list] = [[] for _ in self._updaters]
        for i, param in self._trainable():
            datas = param._check_and_get(param._data, list)
            if not ignore_stale_grad:
                for data in datas:
                    if not _is_fresh(data):
                        raise StaleGradientError(
                            f"Gradient of Parameter `{param.name}` on context {data.context} "
                            "has not been updated by backward since last `step`. This could "
                            "mean a bug in your model that made it only use a subset of the "
                            "Parameters (Blocks) for this iteration. If you are intentionally "
                            "only using a subset, call step with ignore_stale_grad=True to "
                            "suppress this warning and skip updating of Parameters with "
                            "stale gradient")
            if on_kvstore:
                for data in datas:
                    _mark_used(data)
                continue
            grads = param.list_grad()
            while len(updates) < len(datas):  # contexts added since (reset_ctx)
                self._updaters.append(opt.get_updater(self._optimizer))
                updates.append([])
            for upd, arr, grad in zip(updates, datas, grads):
                if not ignore_stale_grad or _is_fresh(arr):
                    upd.append((i, grad, arr))
                    _mark_used(arr)
        for updater, upd in zip(self._updaters, updates):
            if upd:
                indices, grads, weights = zip(*upd)
                updater(list(indices), list(grads), list(weights))
