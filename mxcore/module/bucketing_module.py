"""BucketingModule: one symbol per bucket key, all sharing one set of parameters (MXNet 1.x).

``sym_gen(bucket_key)`` returns ``(symbol, data_names, label_names)``. :meth:`bind` creates
the default bucket's :class:`Module`; a batch with another ``bucket_key`` binds that bucket's
Module with ``shared_module=`` the default one, so every bucket reads and trains the same
parameter arrays with the same optimizer. The default bucket should be the largest: every
other bucket's parameters must be among its parameters, with the same shapes.

Example::

    >>> import mxcore as mx
    >>> def sym_gen(seq_len):
    ...     data = mx.sym.Variable('data')
    ...     pooled = mx.sym.sum(data, axis=1)
    ...     out = mx.sym.FullyConnected(pooled, num_hidden=2, name='fc')
    ...     return mx.sym.SoftmaxOutput(out, name='softmax'), ('data',), ('softmax_label',)
    >>> mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=5)
    >>> mod.bind(data_shapes=[('data', (4, 5, 3))], label_shapes=[('softmax_label', (4,))])
    >>> mod.init_params()
    >>> batch = mx.io.DataBatch([mx.nd.ones((4, 2, 3))], [mx.nd.zeros((4,))], bucket_key=2,
    ...                         provide_data=[mx.io.DataDesc('data', (4, 2, 3))],
    ...                         provide_label=[mx.io.DataDesc('softmax_label', (4,))])
    >>> mod.forward(batch, is_train=False)
    >>> mod.get_outputs()[0].shape
    (4, 2)
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import cpu
from ..model import load_params
from ..name import NameManager
from .base_module import DEFAULT_INITIALIZER, BaseModule, ParamDicts
from .module import Module, _check_input_names

__all__ = ["BucketingModule"]

SymGen = Callable[[Any], Tuple[Any, Sequence[str], Sequence[str]]]


class _RemappedUpdater:
    """An updater for a bucket whose parameters are a subset (or another order) of the
    default bucket's: it renumbers the bucket's parameter indices to the default bucket's, so
    optimizer states and per-parameter lr/wd multipliers stay with their parameter."""

    def __init__(self, updater: Any, index_map: List[int], num_device: int,
                 per_device: bool) -> None:
        self.updater = updater
        self.index_map = index_map
        self.num_device = num_device
        self.per_device = per_device

    def _remap(self, index: int) -> int:
        if not self.per_device:
            return self.index_map[index]
        i, k = divmod(index, self.num_device)
        return self.index_map[i] * self.num_device + k

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if isinstance(index, (list, tuple)):
            index = [self._remap(i) for i in index]
        else:
            index = self._remap(index)
        self.updater(index, grad, weight)


class BucketingModule(BaseModule):
    """A module that picks a symbol per batch by ``data_batch.bucket_key``.

    ``sym_gen(bucket_key) -> (symbol, data_names, label_names)``; it runs under a fresh
    ``NameManager`` so automatic names (``fullyconnected0`` ...) agree between buckets.
    The other arguments are passed to every bucket's :class:`Module`.
    """

    def __init__(self, sym_gen: SymGen, default_bucket_key: Any = None, logger: Any = logging,
                 context: Any = None, work_load_list: Optional[Sequence[float]] = None,
                 fixed_param_names: Optional[Sequence[str]] = None,
                 state_names: Optional[Sequence[str]] = None, group2ctxs: Any = None,
                 compression_params: Any = None) -> None:
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise MXNetValueError("BucketingModule: default_bucket_key must be given (the key "
                                  "of the largest bucket)")
        if not callable(sym_gen):
            raise MXNetTypeError(f"BucketingModule: sym_gen must be callable, got "
                                 f"{type(sym_gen).__name__}")
        self._sym_gen = sym_gen
        self._default_bucket_key = default_bucket_key
        self._context = cpu() if context is None else context
        self._work_load_list = work_load_list
        self._fixed_param_names = list(fixed_param_names or [])
        self._state_names = list(state_names or [])
        self._group2ctxs = group2ctxs
        self._compression_params = compression_params
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        _check_input_names(symbol, list(data_names or []), "data", True)
        _check_input_names(symbol, list(label_names or []), "label", False)
        _check_input_names(symbol, self._state_names, "state", True)
        _check_input_names(symbol, self._fixed_param_names, "fixed_param", True)
        self._buckets: Dict[Any, Module] = {}
        self._curr_module: Optional[Module] = None
        self._curr_bucket_key: Any = None
        self._params_dirty = False
        self._monitor: Any = None
        self._grad_req: Any = None
        self._arg_params: Optional[dict] = None
        self._aux_params: Optional[dict] = None

    def _call_sym_gen(self, bucket_key: Any) -> Tuple[Any, List[str], List[str]]:
        with NameManager():
            result = self._sym_gen(bucket_key)
        if not (isinstance(result, (tuple, list)) and len(result) == 3):
            raise MXNetTypeError(f"BucketingModule: sym_gen({bucket_key!r}) must return "
                                 f"(symbol, data_names, label_names), got {result!r}")
        symbol, data_names, label_names = result
        return symbol, list(data_names or []), list(label_names or [])

    def _new_module(self, bucket_key: Any) -> Module:
        symbol, data_names, label_names = self._call_sym_gen(bucket_key)
        return Module(symbol, data_names, label_names, logger=self.logger,
                      context=self._context, work_load_list=self._work_load_list,
                      fixed_param_names=self._fixed_param_names,
                      state_names=self._state_names, group2ctxs=self._group2ctxs,
                      compression_params=self._compression_params)

    def _reset_bind(self) -> None:
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    # -- names and shapes ----------------------------------------------------------------------
    @property
    def default_module(self) -> Module:
        """The default bucket's module (it owns the parameters)."""
        self._require_bound("default_module")
        return self._buckets[self._default_bucket_key]

    @property
    def data_names(self) -> List[str]:
        if self.binded:
            return self._curr_module.data_names
        return self._call_sym_gen(self._default_bucket_key)[1]

    @property
    def output_names(self) -> List[str]:
        if self.binded:
            return self._curr_module.output_names
        return self._call_sym_gen(self._default_bucket_key)[0].list_outputs()

    @property
    def data_shapes(self) -> list:
        self._require_bound("data_shapes")
        return self._curr_module.data_shapes

    @property
    def label_shapes(self) -> Optional[list]:
        self._require_bound("label_shapes")
        return self._curr_module.label_shapes

    @property
    def output_shapes(self) -> List[Tuple[str, tuple]]:
        self._require_bound("output_shapes")
        return self._curr_module.output_shapes

    @property
    def symbol(self) -> Any:
        """The current bucket's symbol."""
        self._require_bound("symbol")
        return self._curr_module.symbol

    def _require_bound(self, who: str) -> None:
        if not self.binded:
            raise MXNetError(f"BucketingModule.{who}: call bind() first")

    # -- parameters ----------------------------------------------------------------------------
    def get_params(self) -> ParamDicts:
        """(arg_params, aux_params) on the CPU, synced from the devices if they changed."""
        self._check_ready("get_params")
        default = self.default_module
        if self._params_dirty:
            default._params_dirty = True
        params = default.get_params()
        self._params_dirty = False
        return params

    def init_params(self, initializer: Any = DEFAULT_INITIALIZER, arg_params: Optional[dict] = None,
                    aux_params: Optional[dict] = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialise the shared parameters (through the default bucket's module)."""
        if self.params_initialized and not force_init:
            return
        self._require_bound("init_params")
        self.default_module.init_params(initializer=initializer, arg_params=arg_params,
                                        aux_params=aux_params, allow_missing=allow_missing,
                                        force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def _assign_params(self, arg_params: dict, aux_params: dict, allow_extra: bool) -> None:
        self.default_module.set_params(arg_params, aux_params, allow_missing=True,
                                       force_init=True, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def get_states(self, merge_multi_context: bool = True) -> list:
        self._check_ready("get_states")
        return self._curr_module.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states: Any = None, value: Any = None) -> None:
        self._check_ready("set_states")
        self._curr_module.set_states(states, value)

    # -- binding -------------------------------------------------------------------------------
    def bind(self, data_shapes: Sequence[Any], label_shapes: Optional[Sequence[Any]] = None,
             for_training: bool = True, inputs_need_grad: bool = False,
             force_rebind: bool = False, shared_module: Any = None,
             grad_req: Any = "write") -> None:
        """Bind the default bucket for these shapes (those of the default bucket key's
        batches); parameters already initialised are kept."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if shared_module is not None:
            raise MXNetValueError("BucketingModule.bind: shared_module is not supported")
        saved: Optional[ParamDicts] = None
        if self.params_initialized:
            saved = self.get_params() if self.binded else (self._arg_params, self._aux_params)
        old_default = self.default_module if self.optimizer_initialized else None
        self._reset_bind()
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        module = self._new_module(self._default_bucket_key)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None, grad_req=grad_req)
        if self._monitor is not None:
            module.install_monitor(self._monitor)
        self._buckets[self._default_bucket_key] = module
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self.binded = True
        if old_default is not None:  # a rebind keeps the optimizer and its states
            module.borrow_optimizer(old_default)
        if saved is not None and saved[0] is not None:
            self.set_params(saved[0], saved[1])

    def switch_bucket(self, bucket_key: Any, data_shapes: Optional[Sequence[Any]],
                      label_shapes: Optional[Sequence[Any]] = None) -> None:
        """Make ``bucket_key`` current, binding its module (sharing the default bucket's
        parameters and optimizer) the first time it is seen."""
        self._require_bound("switch_bucket")
        if bucket_key not in self._buckets:
            if data_shapes is None:
                raise MXNetValueError(f"switch_bucket: bucket {bucket_key!r} is new; give its "
                                      "data_shapes")
            default = self.default_module
            module = self._new_module(bucket_key)
            module.bind(data_shapes, label_shapes, default.for_training,
                        default.inputs_need_grad, force_rebind=False, shared_module=default,
                        grad_req=self._grad_req)
            self._check_shared(bucket_key, module)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            if self.optimizer_initialized:
                self._share_optimizer(module)
            self._buckets[bucket_key] = module
        self._curr_module = self._buckets[bucket_key]
        self._curr_bucket_key = bucket_key

    def _check_shared(self, bucket_key: Any, module: Module) -> None:
        """Every parameter of a new bucket must be the default bucket's array."""
        default = self.default_module
        own = dict(zip(default._exec_group.param_names, default._exec_group.param_arrays))
        own.update(zip(default._aux_names, default._exec_group.aux_arrays))
        group = module._exec_group
        pairs = list(zip(group.param_names, group.param_arrays))
        pairs += list(zip(module._aux_names, group.aux_arrays))
        for name, block in pairs:
            if name not in own:
                raise MXNetValueError(
                    f"switch_bucket: bucket {bucket_key!r} has parameter {name!r} that the "
                    f"default bucket {self._default_bucket_key!r} lacks; make the default "
                    "bucket the largest one")
            if any(a is not b for a, b in zip(block, own[name])):
                raise MXNetValueError(
                    f"switch_bucket: parameter {name!r} has shape {tuple(block[0].shape)} in "
                    f"bucket {bucket_key!r} but {tuple(own[name][0].shape)} in the default "
                    "bucket; buckets must share parameter shapes")

    # -- optimizer -----------------------------------------------------------------------------
    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Create the optimizer on the default bucket; every bucket uses it."""
        self._check_ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        if self._params_dirty:
            self.default_module._params_dirty = True
        self.default_module.init_optimizer(kvstore, optimizer, optimizer_params,
                                           force_init=force_init)
        for module in self._buckets.values():
            if module is not self.default_module:
                self._share_optimizer(module)
        self.optimizer_initialized = True

    def _share_optimizer(self, module: Module) -> None:
        default = self.default_module
        module.borrow_optimizer(default)
        names = default._exec_group.param_names
        mine = module._exec_group.param_names
        if mine != names:
            position = {name: i for i, name in enumerate(names)}
            module._updater = _RemappedUpdater(
                default._updater, [position[name] for name in mine],
                len(default._exec_group.contexts), not default._update_on_kvstore)

    # -- computation ---------------------------------------------------------------------------
    def _batch_descs(self, data_batch: Any) -> Tuple[Any, Optional[list], Optional[list]]:
        """(bucket_key, data descs, label descs) of a batch; a batch without a key belongs
        to the default bucket, one without descs is described from its arrays."""
        from ..io import DataDesc

        key = getattr(data_batch, "bucket_key", None)
        if key is None:
            key = self._default_bucket_key
        data_shapes = getattr(data_batch, "provide_data", None)
        label_shapes = getattr(data_batch, "provide_label", None)
        if not data_shapes:
            if key in self._buckets:
                data_names = self._buckets[key].data_names
                label_names = self._buckets[key].label_names
            else:
                _, data_names, label_names = self._call_sym_gen(key)
            data_shapes = [DataDesc(n, a.shape) for n, a in zip(data_names, data_batch.data)]
            label = getattr(data_batch, "label", None) or []
            label_shapes = [DataDesc(n, a.shape) for n, a in zip(label_names, label)] or None
        return key, data_shapes, label_shapes

    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        """Bind the batch's bucket ahead of time (the current bucket stays current)."""
        self._check_ready("prepare")
        key, data_shapes, label_shapes = self._batch_descs(data_batch)
        original = self._curr_bucket_key
        self.switch_bucket(key, data_shapes, label_shapes)
        self._curr_module.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)
        self.switch_bucket(original, None, None)

    def forward(self, data_batch: Any, is_train: Optional[bool] = None) -> None:
        """Switch to ``data_batch.bucket_key``'s bucket and run it forward."""
        self._check_ready("forward")
        key, data_shapes, label_shapes = self._batch_descs(data_batch)
        self.switch_bucket(key, data_shapes, label_shapes)
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads: Any = None) -> None:
        self._check_ready("backward")
        self._curr_module.backward(out_grads=out_grads)

    def update(self) -> None:
        """Apply the shared optimizer with the current bucket's gradients."""
        self._check_ready("update", optimizer=True)
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        self._check_ready("get_outputs")
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        self._check_ready("get_input_grads")
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        self._check_ready("update_metric")
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon: Any) -> None:
        """Install ``mon`` on every bucket, present and future."""
        self._require_bound("install_monitor")
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, prefix: str, epoch: int, remove_amp_cast: bool = False) -> None:
        """Write ``prefix-<key>-symbol.json`` per bucket, ``prefix-%04d.params`` and, when
        the bucket keys are ints, ``prefix.buckets`` (the keys as an int32 array)."""
        self._require_bound("save_checkpoint")
        for key in self._buckets:
            symbol, _, _ = self._call_sym_gen(key)
            symbol.save(f"{prefix}-{key}-symbol.json")
        keys = list(self._buckets)
        if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys):
            nd.save(f"{prefix}.buckets", nd.array(keys, dtype=np.int32))
        param_name = "%s-%04d.params" % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)

    @staticmethod
    def load(prefix: str, epoch: int, sym_gen: Optional[SymGen] = None,
             default_bucket_key: Any = None, **kwargs: Any) -> "BucketingModule":
        """A BucketingModule with the parameters of ``prefix-%04d.params``, set when it is
        bound (``sym_gen`` and ``default_bucket_key`` are required)."""
        if sym_gen is None or default_bucket_key is None:
            raise MXNetValueError("BucketingModule.load: sym_gen and default_bucket_key are "
                                  "required")
        mod = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        mod._arg_params, mod._aux_params = load_params(prefix, epoch)
        mod.params_initialized = True
        return mod
