"""BaseModule: the training, scoring and prediction loops every module shares (MXNet 1.x).

A module is bound to input shapes (:meth:`bind`), holds parameters (:meth:`init_params`) and
an optimizer (:meth:`init_optimizer`), and runs :meth:`forward`/:meth:`backward`/
:meth:`update`. The loops here (:meth:`fit`, :meth:`score`, :meth:`predict`,
:meth:`iter_predict`) are written only against those methods, so any subclass that implements
them gets the loops.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import metric as _metric
from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..initializer import Uniform
from ..model import BatchEndParam, save_params_file, split_params
from ..ndarray.ndarray import NDArray

__all__ = ["BaseModule"]

ParamDicts = Tuple[Dict[str, NDArray], Dict[str, NDArray]]

#: MXNet's default initializer for modules, ``Uniform(0.01)``
DEFAULT_INITIALIZER = Uniform(0.01)


def _as_list(obj: Any) -> list:
    if obj is None:
        return []
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def _call_all(callbacks: Any, *args: Any) -> None:
    for callback in _as_list(callbacks):
        callback(*args)


def _as_metric(eval_metric: Any) -> _metric.EvalMetric:
    if isinstance(eval_metric, _metric.EvalMetric):
        return eval_metric
    return _metric.create(eval_metric)


def _batch_labels(batch: Any) -> Any:
    if isinstance(batch, list):
        return [b.label for b in batch]
    return batch.label


class BaseModule:
    """The interface of a module and the loops built on it.

    Subclasses implement the bind/params/optimizer/compute methods; this class provides
    :meth:`fit`, :meth:`score`, :meth:`predict`, :meth:`iter_predict`,
    :meth:`forward_backward` and parameter save/load.
    """

    def __init__(self, logger: Any = logging) -> None:
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol: Any = None
        self._total_exec_bytes = 0

    # -- the loops ---------------------------------------------------------------------------
    def forward_backward(self, data_batch: Any) -> None:
        """A training forward pass followed by backward."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(self, eval_data: Any, eval_metric: Any, num_batch: Optional[int] = None,
              batch_end_callback: Any = None, score_end_callback: Any = None,
              reset: bool = True, epoch: int = 0,
              sparse_row_id_fn: Any = None) -> List[Tuple[str, float]]:
        """Run ``eval_data`` forward (not training) and return ``eval_metric``'s
        ``get_name_value()`` over (at most ``num_batch``) batches."""
        self._check_ready("score")
        if reset:
            eval_data.reset()
        eval_metric = _as_metric(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            self.update_metric(eval_metric, _batch_labels(eval_batch),
                               pre_sliced=isinstance(eval_batch, list))
            if batch_end_callback is not None:
                _call_all(batch_end_callback, BatchEndParam(
                    epoch=epoch, nbatch=nbatch, eval_metric=eval_metric, locals=locals()))
            actual_num_batch += 1
        if score_end_callback:
            _call_all(score_end_callback, BatchEndParam(
                epoch=epoch, nbatch=actual_num_batch, eval_metric=eval_metric,
                locals=locals()))
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data: Any, num_batch: Optional[int] = None, reset: bool = True,
                     sparse_row_id_fn: Any = None) -> Iterator[Tuple[List[NDArray], int, Any]]:
        """Yield ``(outputs, nbatch, batch)`` per batch; padding is cut off the outputs."""
        self._check_ready("iter_predict")
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            pad = eval_batch.pad or 0
            outputs = [out[0:out.shape[0] - pad] for out in self.get_outputs()]
            yield outputs, nbatch, eval_batch

    def predict(self, eval_data: Any, num_batch: Optional[int] = None,
                merge_batches: bool = True, reset: bool = True,
                always_output_list: bool = False,
                sparse_row_id_fn: Any = None) -> Union[NDArray, List[Any]]:
        """Outputs over ``eval_data`` (a DataIter, or one NDArray/NumPy batch).

        With ``merge_batches`` the batches are concatenated per output and a single output is
        returned bare unless ``always_output_list``; otherwise a list (per batch) of lists
        (per output). Padding is removed.
        """
        from ..io import DataBatch, DataIter

        self._check_ready("predict")
        if isinstance(eval_data, (NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                eval_data = nd.array(eval_data)
            self.forward(DataBatch([eval_data]), is_train=False)
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise MXNetTypeError(f"predict: eval_data must be an NDArray, a NumPy array or a "
                                 f"DataIter, got {type(eval_data).__name__}")
        output_list = [[out.copy() for out in outputs] for outputs, _, _ in self.iter_predict(
            eval_data, num_batch=num_batch, reset=reset, sparse_row_id_fn=sparse_row_id_fn)]
        if not output_list or not merge_batches:
            return output_list
        num_outputs = len(output_list[0])
        for outputs in output_list:
            if len(outputs) != num_outputs:
                raise MXNetValueError(
                    "predict: cannot merge batches: the number of outputs differs between "
                    "batches (bucketing?); call predict with merge_batches=False")
        merged = [nd.concat(*[outputs[i] for outputs in output_list], dim=0)
                  for i in range(num_outputs)]
        if num_outputs == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data: Any, eval_data: Any = None, eval_metric: Any = "acc",
            epoch_end_callback: Any = None, batch_end_callback: Any = None,
            kvstore: Any = "local", optimizer: Any = "sgd",
            optimizer_params: Any = (("learning_rate", 0.01),),
            eval_end_callback: Any = None, eval_batch_end_callback: Any = None,
            initializer: Any = DEFAULT_INITIALIZER, arg_params: Optional[dict] = None,
            aux_params: Optional[dict] = None, allow_missing: bool = False,
            force_rebind: bool = False, force_init: bool = False, begin_epoch: int = 0,
            num_epoch: Optional[int] = None, validation_metric: Any = None,
            monitor: Any = None, sparse_row_id_fn: Any = None) -> None:
        """Bind, initialise and train for epochs ``begin_epoch .. num_epoch - 1``.

        Each epoch: forward/backward/update per batch with the training metric updated,
        ``batch_end_callback(BatchEndParam)`` after each batch, ``Epoch[e] Train-<metric>``
        and ``Time cost`` logged, ``epoch_end_callback(epoch, symbol, arg_params,
        aux_params)``, and with ``eval_data`` a :meth:`score` logged as ``Validation-``.
        """
        if num_epoch is None:
            raise MXNetValueError("fit: please specify the number of epochs (num_epoch)")
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params,
                         aux_params=aux_params, allow_missing=allow_missing,
                         force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        eval_metric = _as_metric(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            name_values = self._fit_epoch(train_data, epoch, eval_metric, batch_end_callback,
                                          monitor, sparse_row_id_fn)
            for name, value in name_values:
                self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)
            self.logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)

            # sync the parameters from the devices (copies them to the CPU dicts)
            arg_params_now, aux_params_now = self.get_params()
            self.set_params(arg_params_now, aux_params_now)
            _call_all(epoch_end_callback, epoch, self.symbol, arg_params_now, aux_params_now)

            if eval_data is not None:
                res = self.score(eval_data, validation_metric,
                                 score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, value in res:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, value)
            train_data.reset()

    def _fit_epoch(self, train_data: Any, epoch: int, eval_metric: _metric.EvalMetric,
                   batch_end_callback: Any, monitor: Any,
                   sparse_row_id_fn: Any) -> List[Tuple[str, float]]:
        """One pass over ``train_data``; returns the metric's global name/values."""
        data_iter = iter(train_data)
        try:
            next_batch = next(data_iter)
        except StopIteration:
            raise MXNetValueError(f"fit: epoch {epoch}: the training data yielded no batch "
                                  "(was it reset?)") from None
        nbatch = 0
        name_values: List[Tuple[str, float]] = []
        end_of_batch = False
        while not end_of_batch:
            data_batch = next_batch
            if monitor is not None:
                monitor.tic()
            self.forward_backward(data_batch)
            self.update()
            self.update_metric(eval_metric, _batch_labels(data_batch),
                               pre_sliced=isinstance(data_batch, list))
            try:
                next_batch = next(data_iter)
                self.prepare(next_batch, sparse_row_id_fn=sparse_row_id_fn)
            except StopIteration:
                end_of_batch = True
            if monitor is not None:
                monitor.toc_print()
            if end_of_batch:
                name_values = eval_metric.get_global_name_value()
            if batch_end_callback is not None:
                _call_all(batch_end_callback, BatchEndParam(
                    epoch=epoch, nbatch=nbatch, eval_metric=eval_metric, locals=locals()))
            nbatch += 1
        return name_values

    # -- parameters ----------------------------------------------------------------------------
    def save_params(self, fname: str) -> None:
        """Save the parameters to ``fname`` (``arg:``/``aux:`` keys, MXNet's format)."""
        arg_params, aux_params = self.get_params()
        save_params_file(fname, arg_params, aux_params, who=f"{type(self).__name__}.save_params")

    def load_params(self, fname: str) -> None:
        """Load parameters saved by :meth:`save_params` (or ``mx.model.save_checkpoint``)."""
        arg_params, aux_params = split_params(nd.load(fname), fname)
        self.set_params(arg_params, aux_params)

    def set_params(self, arg_params: Optional[dict], aux_params: Optional[dict],
                   allow_missing: bool = False, force_init: bool = True,
                   allow_extra: bool = False) -> None:
        """Assign parameter values; with ``allow_missing`` the others keep their values."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. set_params "
                          "call ignored.", stacklevel=2)
            return
        self._assign_params(arg_params or {}, aux_params or {}, allow_extra)

    def _assign_params(self, arg_params: dict, aux_params: dict, allow_extra: bool) -> None:
        """Write the given values, keeping the others (``set_params(allow_missing=True)``)."""
        self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=True, force_init=True, allow_extra=allow_extra)

    # -- helpers -------------------------------------------------------------------------------
    def _check_ready(self, who: str, optimizer: bool = False) -> None:
        if not self.binded:
            raise MXNetError(f"{type(self).__name__}.{who}: call bind() first")
        if not self.params_initialized:
            raise MXNetError(f"{type(self).__name__}.{who}: call init_params() first")
        if optimizer and not self.optimizer_initialized:
            raise MXNetError(f"{type(self).__name__}.{who}: call init_optimizer() first")

    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        """Prepare for the next batch (nothing to do for dense parameters)."""
        if sparse_row_id_fn is not None:
            self.logger.warning("sparse_row_id_fn is not used: parameters are dense")

    def install_monitor(self, mon: Any) -> None:
        """Install a monitor (an object with ``install(executor)``) on the executors."""
        raise NotImplementedError(f"{type(self).__name__} does not support monitors")

    def get_states(self, merge_multi_context: bool = True) -> list:
        """Values of the state inputs (recurrent states); none by default."""
        return []

    def set_states(self, states: Any = None, value: Any = None) -> None:
        """Set the state inputs; no states by default."""
        if states is not None or value is not None:
            raise MXNetValueError(f"{type(self).__name__} has no state inputs")

    # -- the interface subclasses implement ----------------------------------------------------
    @property
    def symbol(self) -> Any:
        """The symbol this module computes."""
        return self._symbol

    @property
    def data_names(self) -> List[str]:
        raise NotImplementedError

    @property
    def output_names(self) -> List[str]:
        raise NotImplementedError

    @property
    def data_shapes(self) -> list:
        raise NotImplementedError

    @property
    def label_shapes(self) -> Optional[list]:
        raise NotImplementedError

    @property
    def output_shapes(self) -> List[Tuple[str, tuple]]:
        raise NotImplementedError

    def get_params(self) -> ParamDicts:
        raise NotImplementedError

    def init_params(self, initializer: Any = DEFAULT_INITIALIZER, arg_params: Optional[dict] = None,
                    aux_params: Optional[dict] = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        raise NotImplementedError

    def bind(self, data_shapes: Sequence[Any], label_shapes: Optional[Sequence[Any]] = None,
             for_training: bool = True, inputs_need_grad: bool = False,
             force_rebind: bool = False, shared_module: Any = None,
             grad_req: Any = "write") -> None:
        raise NotImplementedError

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        raise NotImplementedError

    def forward(self, data_batch: Any, is_train: Optional[bool] = None) -> None:
        raise NotImplementedError

    def backward(self, out_grads: Any = None) -> None:
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        raise NotImplementedError

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        raise NotImplementedError

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        raise NotImplementedError
