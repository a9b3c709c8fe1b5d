"""Module: train a Symbol on one or several contexts (``mx.mod.Module``, MXNet 1.x).

Example::

    >>> import mxcore as mx
    >>> data = mx.sym.Variable('data')
    >>> net = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
    >>> net = mx.sym.SoftmaxOutput(net, name='softmax')
    >>> mod = mx.mod.Module(net)
    >>> mod.bind(data_shapes=[('data', (4, 3))], label_shapes=[('softmax_label', (4,))])
    >>> mod.init_params(mx.init.Xavier())
    >>> mod.init_optimizer(optimizer_params={'learning_rate': 0.1})
    >>> batch = mx.io.DataBatch([mx.nd.ones((4, 3))], [mx.nd.array([0, 1, 0, 1])])
    >>> mod.forward(batch)
    >>> mod.backward()
    >>> mod.update()
    >>> mod.get_outputs()[0].shape, mod.output_shapes
    ((4, 2), [('softmax_output', (4, 2))])
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import Context, cpu
from ..initializer import InitDesc
from ..model import load_checkpoint
from ..ndarray.ndarray import NDArray
from .base_module import DEFAULT_INITIALIZER, BaseModule, ParamDicts
from .executor_group import DataParallelExecutorGroup
from .param_roles import label_variables, role_init_attrs
from .updates import (
    create_kvstore,
    dist_kvstore,
    reduce_grads_on_kvstore,
    update_params,
    update_params_on_kvstore,
)

__all__ = ["Module"]


def _check_input_names(symbol: Any, names: Sequence[str], typename: str, throw: bool) -> None:
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args if not a.endswith(("_weight", "_bias", "_gamma", "_beta"))]
        msg = (f"You created Module with Module(..., {typename}_names={list(names)}) but input "
               f"with name '{name}' is not found in symbol.list_arguments(). Did you mean one "
               f"of: {', '.join(candidates)}")
        if throw:
            raise MXNetValueError(msg)
        warnings.warn(msg, stacklevel=3)


def _as_descs(shapes: Optional[Sequence[Any]], what: str) -> Optional[list]:
    from ..io import DataDesc

    if shapes is None:
        return None
    descs = []
    for item in shapes:
        if isinstance(item, DataDesc):
            descs.append(item)
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
            descs.append(DataDesc(item[0], tuple(item[1])))
        else:
            raise MXNetTypeError(f"bind: {what} must be DataDesc or (name, shape) pairs, got "
                                 f"{item!r}")
    return descs


def _parse_data_desc(data_names: Sequence[str], label_names: Sequence[str],
                     data_shapes: Any, label_shapes: Any) -> Tuple[list, Optional[list]]:
    data_descs = _as_descs(data_shapes, "data_shapes")
    label_descs = _as_descs(label_shapes, "label_shapes")
    if sorted(d.name for d in data_descs) != sorted(data_names):
        raise MXNetValueError(f"bind: data_shapes name {[d.name for d in data_descs]} do not "
                              f"match the module's data_names {list(data_names)}")
    if label_descs and sorted(d.name for d in label_descs) != sorted(label_names):
        warnings.warn(f"Data provided by label_shapes don't match names specified by "
                      f"label_names ({[d.name for d in label_descs]} vs. {list(label_names)})",
                      stacklevel=3)
    return data_descs, label_descs


class Module(BaseModule):
    """A Symbol with its data/label names, parameters and an optimizer.

    ``context`` may be a list: each batch is then split over the contexts in proportion to
    ``work_load_list``, gradients are summed and every copy of the parameters gets the same
    update. ``group2ctxs`` places the nodes of each ``mx.AttrScope(ctx_group=...)`` group
    on its context (model parallelism): a dict of group -> Context (or a list of one Context
    per entry of ``context``), or a list of such dicts, one per context. Parameters in
    ``fixed_param_names`` are not trained. Variables feeding an output
    head's ``label`` are never parameters, so ``label_names=None`` suits prediction.
    """

    def __init__(self, symbol: Any, data_names: Sequence[str] = ("data",),
                 label_names: Optional[Sequence[str]] = ("softmax_label",),
                 logger: Any = logging, context: Any = None,
                 work_load_list: Optional[Sequence[float]] = None,
                 fixed_param_names: Optional[Sequence[str]] = None,
                 state_names: Optional[Sequence[str]] = None, group2ctxs: Any = None,
                 compression_params: Any = None) -> None:
        super().__init__(logger=logger)
        if context is None:
            context = cpu()
        if isinstance(context, Context):
            context = [context]
        self._context = list(context)
        if not self._context or not all(isinstance(c, Context) for c in self._context):
            raise MXNetTypeError(f"Module: context must be a Context or a list of them, got "
                                 f"{context!r}")
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        if len(work_load_list) != len(self._context):
            raise MXNetValueError(f"Module: work_load_list has {len(work_load_list)} entries "
                                  f"for {len(self._context)} contexts")
        self._work_load_list = list(work_load_list)
        #: model parallelism: context group -> Context(s), see ``prepare_group2ctxs``
        self._group2ctxs = group2ctxs
        self._symbol = symbol
        self._data_names = list(data_names or [])
        self._label_names = list(label_names or [])
        self._state_names = list(state_names or [])
        self._fixed_param_names = list(fixed_param_names or [])
        _check_input_names(symbol, self._data_names, "data", True)
        _check_input_names(symbol, self._label_names, "label", False)
        _check_input_names(symbol, self._state_names, "state", True)
        _check_input_names(symbol, self._fixed_param_names, "fixed_param", True)
        # an output head's label variable is an input even when label_names omits it
        inputs = set(self._data_names + self._label_names + self._state_names)
        inputs |= label_variables(symbol)
        self._param_names = [n for n in symbol.list_arguments() if n not in inputs]
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self._arg_params: Optional[Dict[str, NDArray]] = None
        self._aux_params: Optional[Dict[str, NDArray]] = None
        self._params_dirty = False
        self._optimizer: Any = None
        self._kvstore: Optional[str] = None
        self._update_on_kvstore: Optional[bool] = None
        self._updater: Any = None
        #: the distributed store (dist_sync/dist_async), or None in one process
        self._kv: Any = None
        self._preload_opt_states: Optional[str] = None
        self._grad_req: Any = None
        self._exec_group: Optional[DataParallelExecutorGroup] = None
        self._data_shapes: Optional[list] = None
        self._label_shapes: Optional[list] = None

    # -- checkpoints ---------------------------------------------------------------------------
    @staticmethod
    def load(prefix: str, epoch: int, load_optimizer_states: bool = False,
             **kwargs: Any) -> "Module":
        """A Module from ``prefix-symbol.json`` and ``prefix-%04d.params``; the parameters are
        set when it is bound (optimizer states, if asked, at ``init_optimizer``)."""
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = "%s-%04d.states" % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix: str, epoch: int, save_optimizer_states: bool = False,
                        remove_amp_cast: bool = True) -> None:
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` and optionally
        ``prefix-%04d.states``."""
        self._symbol.save(f"{prefix}-symbol.json")
        param_name = "%s-%04d.params" % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = "%s-%04d.states" % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # -- names and shapes ----------------------------------------------------------------------
    @property
    def data_names(self) -> List[str]:
        return list(self._data_names)

    @property
    def label_names(self) -> List[str]:
        return list(self._label_names)

    @property
    def output_names(self) -> List[str]:
        return list(self._output_names)

    @property
    def data_shapes(self) -> list:
        self._require_bound("data_shapes")
        return list(self._data_shapes)

    @property
    def label_shapes(self) -> Optional[list]:
        self._require_bound("label_shapes")
        return None if self._label_shapes is None else list(self._label_shapes)

    @property
    def output_shapes(self) -> List[Tuple[str, tuple]]:
        self._require_bound("output_shapes")
        group = self._exec_group
        if group.execs and group.execs[0].outputs:
            return group.get_output_shapes()
        shapes = {d.name: tuple(d.shape) for d in self._data_shapes + (self._label_shapes or [])
                  if d.name in self._symbol.list_arguments()}
        _, out_shapes, _ = self._symbol.infer_shape(**shapes)
        return list(zip(self._output_names, [tuple(s) for s in out_shapes]))

    def _require_bound(self, who: str) -> None:
        if not self.binded:
            raise MXNetError(f"Module.{who}: call bind() first")

    # -- parameters ----------------------------------------------------------------------------
    def get_params(self) -> ParamDicts:
        """(arg_params, aux_params) on the CPU, synced from the devices if they changed."""
        self._check_ready("get_params")
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer: Any = DEFAULT_INITIALIZER, arg_params: Optional[dict] = None,
                    aux_params: Optional[dict] = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialise the parameters: values from ``arg_params``/``aux_params`` where given,
        else ``initializer``.

        The initializer sees ``InitDesc(name, attrs)`` with the variable's attributes. A
        parameter is initialised by the role it plays: a variable feeding an op's ``weight``
        input gets the weight rule even if it is called ``w``; ``bias``/``beta``/moving-mean
        inputs get zeros and ``gamma``/moving-variance inputs ones (an explicit ``init`` on
        the variable still wins).
        """
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. init_params "
                          "call ignored.", stacklevel=2)
            return
        if not self.binded:
            raise MXNetError("Module.init_params: call bind() before initializing the "
                             "parameters")
        attrs = self._symbol.attr_dict()
        roles = role_init_attrs(self._symbol, initializer)

        def fill(name: str, arr: NDArray, given: Optional[dict]) -> None:
            if given is not None and name in given:
                value = given[name]
                if value is not arr:
                    if tuple(value.shape) != tuple(arr.shape):
                        raise MXNetValueError(
                            f"Module.init_params: {name} has shape {tuple(value.shape)} in "
                            f"the given parameters, the module expects {tuple(arr.shape)}")
                    value.copyto(arr)
                return
            if given is not None and not allow_missing:
                raise MXNetValueError(f"Module.init_params: {name} is not presented (not in "
                                      "the given parameters; pass allow_missing=True)")
            if initializer is None:
                return
            desc_attrs = dict(attrs.get(name, {}))
            if "__init__" not in desc_attrs and name in roles:
                desc_attrs["__init__"] = roles[name]
            initializer(InitDesc(name, desc_attrs), arr)

        for name, arr in sorted(self._arg_params.items()):
            fill(name, arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            fill(name, arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def _assign_params(self, arg_params: dict, aux_params: dict, allow_extra: bool) -> None:
        self._require_bound("set_params")
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def _sync_params_from_devices(self) -> None:
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # -- binding -------------------------------------------------------------------------------
    def _reset_bind(self) -> None:
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    def bind(self, data_shapes: Sequence[Any], label_shapes: Optional[Sequence[Any]] = None,
             for_training: bool = True, inputs_need_grad: bool = False,
             force_rebind: bool = False, shared_module: Optional["Module"] = None,
             grad_req: Any = "write") -> None:
        """Create the executors for these input shapes (DataDesc or (name, shape) pairs)."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if not for_training and inputs_need_grad:
            raise MXNetValueError("Module.bind: inputs_need_grad=True needs for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)
        shared_group = None
        if shared_module is not None:
            if not (isinstance(shared_module, Module) and shared_module.binded
                    and shared_module.params_initialized):
                raise MXNetValueError("Module.bind: shared_module must be a bound Module with "
                                      "initialized parameters")
            shared_group = shared_module._exec_group
            if len(shared_group.execs) < len(self._context):
                raise MXNetValueError("Module.bind: shared_module has fewer contexts")
        self._exec_group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, self._data_shapes,
            self._label_shapes, self._param_names, for_training, inputs_need_grad,
            shared_group, logger=self.logger, fixed_param_names=self._fixed_param_names,
            grad_req=grad_req, state_names=self._state_names, group2ctxs=self._group2ctxs)
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # rebinding (or loaded with Module.load): copy the known values in
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            group = self._exec_group
            self._arg_params = {name: nd.zeros(block[0].shape, dtype=block[0].dtype)
                                for name, block in zip(self._param_names, group.param_arrays)}
            self._aux_params = {name: nd.zeros(block[0].shape, dtype=block[0].dtype)
                                for name, block in zip(self._aux_names, group.aux_arrays)}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def reshape(self, data_shapes: Sequence[Any],
                label_shapes: Optional[Sequence[Any]] = None) -> None:
        """Rebind for new input shapes (e.g. a smaller last batch), keeping the parameters."""
        self._require_bound("reshape")
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # -- optimizer -----------------------------------------------------------------------------
    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Create the optimizer (``rescale_grad`` defaults to 1/batch_size) and its updater.

        ``kvstore`` 'local'/'device' (or a kvstore object of that type) sums the gradients of
        all contexts and applies one update; None updates each context from its own gradient.
        A distributed kvstore ('dist_sync', 'dist_async' or such a store) starts every worker
        from rank 0's parameters and sums gradients across workers; for synchronous types
        ``rescale_grad`` defaults to 1/(batch_size * num_workers), as MXNet.
        """
        self._check_ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        store = dist_kvstore(kvstore)
        if store is not None:
            kind = store.type
            update_on_kvstore = os.environ.get("MXNET_UPDATE_ON_KVSTORE", "1") != "0" \
                or kind == "dist_async"
        else:
            kind = create_kvstore(kvstore, len(self._context))
            update_on_kvstore = kind is not None
        num_device = len(self._context)
        param_names = self._exec_group.param_names
        if update_on_kvstore:
            idx2name = dict(enumerate(param_names))
        else:
            idx2name = {i * num_device + k: n for k in range(num_device)
                        for i, n in enumerate(param_names)}
        batch_size = self._exec_group.batch_size
        if store is not None and "_sync" in kind:
            batch_size *= store.num_workers
        rescale_grad = 1.0 / batch_size
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self._symbol, param_idx2name=idx2name,
                                   **params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn(
                    f"Optimizer created manually outside Module but rescale_grad is not "
                    f"normalized to 1.0/batch_size/num_workers ({optimizer.rescale_grad} vs. "
                    f"{rescale_grad}). Is this intended?", stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise MXNetTypeError(f"init_optimizer: optimizer must be a name or an Optimizer, "
                                 f"got {type(optimizer).__name__}")
        self._optimizer = optimizer
        self._kvstore = kind
        self._update_on_kvstore = update_on_kvstore
        self._updater = opt.get_updater(optimizer)
        self._kv = store
        if store is not None:
            self._init_dist_kvstore(store, update_on_kvstore)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def _init_dist_kvstore(self, store: Any, update_on_kvstore: bool) -> None:
        """Rank 0's parameters to every worker and device; the optimizer to the store."""
        if update_on_kvstore:
            store.set_optimizer(self._optimizer)
        group = self._exec_group
        for i, block in enumerate(group.param_arrays):
            store.init(i, block[0])
            store.pull(i, list(block))
        self._params_dirty = True

    def borrow_optimizer(self, shared_module: "Module") -> None:
        """Use ``shared_module``'s optimizer and updater."""
        if not shared_module.optimizer_initialized:
            raise MXNetError("borrow_optimizer: the shared module has no optimizer")
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self._kv = shared_module._kv
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname: str) -> None:
        """Write the optimizer states (the updater's ``get_states``) to ``fname``."""
        self._check_ready("save_optimizer_states", optimizer=True)
        if self._kv is not None and self._update_on_kvstore:
            self._kv.save_optimizer_states(fname)
            return
        with open(fname, "wb") as fout:
            fout.write(self._updater.get_states())

    def load_optimizer_states(self, fname: str) -> None:
        """Restore what :meth:`save_optimizer_states` wrote."""
        self._check_ready("load_optimizer_states", optimizer=True)
        if self._kv is not None and self._update_on_kvstore:
            self._kv.load_optimizer_states(fname)
            return
        with open(fname, "rb") as fin:
            self._updater.set_states(fin.read())

    # -- computation ---------------------------------------------------------------------------
    def forward(self, data_batch: Any, is_train: Optional[bool] = None) -> None:
        """Forward one batch; a batch of other shapes than bound rebinds (``reshape``)."""
        from ..io import DataDesc

        self._check_ready("forward")
        current = tuple(tuple(d.shape) for d in self._data_shapes)
        new = tuple(tuple(a.shape) for a in data_batch.data)
        if current != new:
            if getattr(data_batch, "provide_data", None):
                new_dshape = data_batch.provide_data
            else:
                new_dshape = [DataDesc(d.name, shape, d.dtype, d.layout)
                              for d, shape in zip(self._data_shapes, new)]
            label = getattr(data_batch, "label", None)
            if getattr(data_batch, "provide_label", None):
                new_lshape = data_batch.provide_label
            elif label and self._label_shapes:
                new_lshape = [DataDesc(d.name, tuple(a.shape), d.dtype, d.layout)
                              for d, a in zip(self._label_shapes, label)]
            else:
                new_lshape = None
            self.reshape(new_dshape, new_lshape)
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads: Any = None) -> None:
        """Backward from the outputs (``out_grads`` for outputs that are not loss heads)."""
        self._check_ready("backward")
        self._exec_group.backward(out_grads=out_grads)

    def update(self) -> None:
        """Apply the optimizer to every trainable parameter from the last backward."""
        self._check_ready("update", optimizer=True)
        self._params_dirty = True
        group = self._exec_group
        if self._kv is not None:
            if self._update_on_kvstore:
                update_params_on_kvstore(group.param_arrays, group.grad_arrays, self._kv)
                return
            reduce_grads_on_kvstore(group.grad_arrays, self._kv)
            update_params(group.param_arrays, group.grad_arrays, self._updater,
                          sum_devices=False)
            return
        update_params(group.param_arrays, group.grad_arrays, self._updater,
                      sum_devices=self._update_on_kvstore)

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        """The outputs of the last forward (merged over the contexts by default)."""
        self._check_ready("get_outputs")
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        """Gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._check_ready("get_input_grads")
        if not self.inputs_need_grad:
            raise MXNetError("get_input_grads: bind with inputs_need_grad=True first")
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Update ``eval_metric`` with the last outputs and ``labels``."""
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon: Any) -> None:
        self._require_bound("install_monitor")
        self._exec_group.install_monitor(mon)

    def get_states(self, merge_multi_context: bool = True) -> list:
        self._check_ready("get_states")
        return []

