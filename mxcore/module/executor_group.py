"""Data parallelism for modules: one executor per context, each on a slice of the batch.

A batch is split along its batch axis (``N`` in the layout, axis 0 by default) in proportion
to ``work_load_list``; slice ``i`` is copied into executor ``i``'s input arrays. Parameters
live once per executor; :class:`Module` sums the gradients and keeps the copies equal.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..executor.placement import variable_contexts
from ..ndarray.ndarray import NDArray
from ..symbol.storage import arg_stypes, grad_stypes, zeros_of

__all__ = ["DataParallelExecutorGroup", "split_input_slice"]


def split_input_slice(batch_size: int, work_load_list: Sequence[float]) -> List[slice]:
    """Slices of ``range(batch_size)``, one per device, sized in proportion to the loads."""
    total = float(sum(work_load_list))
    if total <= 0:
        raise MXNetValueError(f"work_load_list must have a positive sum, got "
                              f"{list(work_load_list)}")
    sizes = [int(round(load * batch_size / total)) for load in work_load_list]
    sizes[-1] += batch_size - sum(sizes)
    slices, begin = [], 0
    for size in sizes:
        end = min(begin + size, batch_size)
        if end <= begin:
            raise MXNetValueError(
                f"cannot split a batch of {batch_size} over {len(sizes)} devices with "
                f"work_load_list {list(work_load_list)}: some slices would be empty")
        slices.append(slice(begin, end))
        begin = end
    return slices


def batch_axis(layout: Optional[str]) -> int:
    """The batch axis a layout names (``N``), 0 without a layout, -1 when there is none."""
    if not layout:
        return 0
    return layout.find("N")


def _slice_along(arr: Any, axis: int, part: slice) -> NDArray:
    if not isinstance(arr, NDArray):
        arr = nd.array(np.asarray(arr))
    if axis < 0 or (part.start == 0 and part.stop == arr.shape[axis]):
        return arr
    if axis == 0:
        return arr[part.start:part.stop]
    return nd.slice_axis(arr, axis=axis, begin=part.start, end=part.stop)


def _merge(arrays: List[NDArray], axis: int) -> NDArray:
    if len(arrays) == 1:
        return arrays[0]
    ctx = arrays[0].context
    return nd.concat(*[a.as_in_context(ctx) for a in arrays], dim=max(axis, 0))


def _shape_with_batch(shape: Sequence[int], axis: int, size: int) -> Tuple[int, ...]:
    shape = list(shape)
    if axis >= 0:
        shape[axis] = size
    return tuple(shape)


class DataParallelExecutorGroup:
    """Executors for ``contexts`` computing ``symbol`` on slices of each batch.

    ``data_shapes``/``label_shapes`` are lists of ``DataDesc``; ``shared_group`` (another
    group over the same contexts) lends its parameter, gradient and auxiliary arrays, so both
    groups train the same parameters (bucketing, reshaping).
    """

    def __init__(self, symbol: Any, contexts: Sequence[Any], workload: Sequence[float],
                 data_shapes: Sequence[Any], label_shapes: Optional[Sequence[Any]],
                 param_names: Sequence[str], for_training: bool, inputs_need_grad: bool,
                 shared_group: Optional["DataParallelExecutorGroup"] = None,
                 logger: Any = logging, fixed_param_names: Optional[Sequence[str]] = None,
                 grad_req: Any = "write", state_names: Optional[Sequence[str]] = None,
                 group2ctxs: Any = None) -> None:
        self.symbol = symbol
        self.contexts = list(contexts)
        #: per context, its executor's group2ctx (model parallelism) or None
        self.group2ctxs = prepare_group2ctxs(group2ctxs, len(self.contexts))
        self.workload = list(workload)
        self.param_names = list(param_names)
        self.arg_names: List[str] = symbol.list_arguments()
        self.aux_names: List[str] = symbol.list_auxiliary_states()
        self.output_names: List[str] = symbol.list_outputs()
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.logger = logger
        self.fixed_param_names = set(fixed_param_names or ())
        self.state_names = list(state_names or ())
        self._grad_req_arg = grad_req
        self.execs: List[Any] = []
        self.bind_exec(data_shapes, label_shapes, shared_group)

    # -- binding -------------------------------------------------------------------------------
    def _grad_reqs(self, data_names: Sequence[str]) -> Dict[str, str]:
        grad_req = self._grad_req_arg
        reqs: Dict[str, str] = {}
        if isinstance(grad_req, (list, tuple)):
            if len(grad_req) != len(self.arg_names):
                raise MXNetValueError(f"bind: grad_req has {len(grad_req)} entries for "
                                      f"{len(self.arg_names)} arguments {self.arg_names}")
            reqs = dict(zip(self.arg_names, grad_req))
        else:
            default = grad_req if isinstance(grad_req, str) else "write"
            for name in self.arg_names:
                if name in self.param_names:
                    reqs[name] = "null" if name in self.fixed_param_names else default
                elif name in data_names:
                    reqs[name] = default if self.inputs_need_grad else "null"
                else:
                    reqs[name] = "null"
            if isinstance(grad_req, dict):
                reqs.update(grad_req)
        for name, req in reqs.items():
            if req not in ("write", "add", "null", "inplace"):
                raise MXNetValueError(f"bind: grad_req for {name!r} must be 'write', 'add' or "
                                      f"'null', got {req!r}")
        if not self.for_training:
            reqs = dict.fromkeys(self.arg_names, "null")
        return reqs

    def bind_exec(self, data_shapes: Sequence[Any], label_shapes: Optional[Sequence[Any]],
                  shared_group: Optional["DataParallelExecutorGroup"] = None) -> None:
        """(Re)create the executors for these input shapes."""
        self.data_shapes = list(data_shapes)
        self.label_shapes = list(label_shapes) if label_shapes else None
        self.data_names = [d.name for d in self.data_shapes]
        self.label_names = [d.name for d in self.label_shapes or ()]
        self.data_layouts = [batch_axis(getattr(d, "layout", None)) for d in self.data_shapes]
        self.label_layouts = [batch_axis(getattr(d, "layout", None))
                              for d in self.label_shapes or ()]
        self.batch_size = self._batch_size()
        self.slices = split_input_slice(self.batch_size, self.workload)
        self.grad_req = self._grad_reqs(self.data_names)
        self.execs = [self._bind_ith(i, shared_group) for i in range(len(self.contexts))]
        self._collect_arrays()

    def _batch_size(self) -> int:
        sizes = {d.shape[axis] for d, axis in zip(self.data_shapes, self.data_layouts)
                 if axis >= 0}
        if len(sizes) != 1:
            described = ", ".join(f"{d.name}{tuple(d.shape)}" for d in self.data_shapes)
            raise MXNetValueError(f"bind: the data inputs must share one batch size; got "
                                  f"{described}")
        return sizes.pop()

    def _input_descs(self) -> List[Tuple[Any, int]]:
        descs = list(zip(self.data_shapes, self.data_layouts))
        descs += [(d, axis) for d, axis in zip(self.label_shapes or (), self.label_layouts)
                  if d.name in self.arg_names]
        return descs

    def _bind_ith(self, i: int, shared_group: Optional["DataParallelExecutorGroup"]) -> Any:
        ctx = self.contexts[i]
        group2ctx = self.group2ctxs[i]
        homes = variable_contexts(self.symbol, ctx, group2ctx)
        size = self.slices[i].stop - self.slices[i].start
        shapes = {d.name: _shape_with_batch(d.shape, axis, size)
                  for d, axis in self._input_descs()}
        dtypes = {d.name: np.dtype(getattr(d, "dtype", np.float32) or np.float32)
                  for d, _ in self._input_descs()}
        arg_shapes, _, aux_shapes = self.symbol.infer_shape(**shapes)
        if arg_shapes is None or any(s is None for s in arg_shapes) \
                or any(s is None for s in aux_shapes or ()):
            unknown = [n for n, s in zip(self.arg_names, arg_shapes or [None] * len(
                self.arg_names)) if s is None]
            raise MXNetValueError(f"bind: cannot infer the shapes of {unknown} from the input "
                                  f"shapes {shapes}")
        arg_types, aux_types = self._infer_types(dtypes)
        shared = shared_group.execs[i] if shared_group is not None else None

        def borrow(table: str, name: str, shape: tuple) -> Optional[NDArray]:
            if shared is None or name not in self.param_names + self.aux_names:
                return None
            arr = getattr(shared, table).get(name)
            if arr is None or tuple(arr.shape) != tuple(shape) \
                    or arr.context is not homes[name]:
                return None
            return arr

        # storage types: sparse data inputs as declared (stype=); parameters stay dense
        # with a row_sparse gradient where MXNet infers one
        stypes = arg_stypes(self.symbol)
        gstypes = grad_stypes(self.symbol, stypes)
        args, grads = [], {}
        for name, shape, dtype in zip(self.arg_names, arg_shapes, arg_types):
            arr = borrow("arg_dict", name, shape)
            home = homes[name]
            stype = "default" if name in self.param_names else stypes[name]
            args.append(arr if arr is not None else zeros_of(stype, shape, home, dtype))
            if self.grad_req[name] != "null" and stype != "csr":
                grad = borrow("grad_dict", name, shape)
                grads[name] = grad if grad is not None else zeros_of(gstypes[name], shape,
                                                                     home, dtype)
        auxs = []
        for name, shape, dtype in zip(self.aux_names, aux_shapes, aux_types):
            arr = borrow("aux_dict", name, shape)
            auxs.append(arr if arr is not None else nd.zeros(shape, ctx=homes[name],
                                                             dtype=dtype))
        return self.symbol.bind(ctx, args, args_grad=grads, grad_req=dict(self.grad_req),
                                aux_states=auxs, group2ctx=group2ctx)

    def _infer_types(self, dtypes: Dict[str, np.dtype]) -> Tuple[list, list]:
        arg_types = aux_types = None
        if any(dt != np.float32 for dt in dtypes.values()):
            arg_types, _, aux_types = self.symbol.infer_type(**dtypes)
        if arg_types is None:
            arg_types = [np.float32] * len(self.arg_names)
        if aux_types is None:
            aux_types = [np.float32] * len(self.aux_names)
        arg_types = [dtypes.get(n, t if t is not None else np.float32)
                     for n, t in zip(self.arg_names, arg_types)]
        aux_types = [t if t is not None else np.float32 for t in aux_types]
        return arg_types, aux_types

    def _collect_arrays(self) -> None:
        execs = self.execs
        self.data_arrays = [[(self.slices[i], e.arg_dict[name]) for i, e in enumerate(execs)]
                            for name in self.data_names]
        self.label_arrays = [[(self.slices[i], e.arg_dict[name]) for i, e in enumerate(execs)]
                             for name in self.label_names if name in self.arg_names]
        self.param_arrays = [[e.arg_dict[name] for e in execs] for name in self.param_names]
        if self.for_training:
            self.grad_arrays = [[e.grad_dict.get(name) for e in execs]
                                for name in self.param_names]
        else:
            self.grad_arrays = None
        self.aux_arrays = [[e.aux_dict[name] for e in execs] for name in self.aux_names]
        if self.inputs_need_grad:
            self.input_grad_arrays = [[e.grad_dict.get(name) for e in execs]
                                      for name in self.data_names]
        else:
            self.input_grad_arrays = None

    def reshape(self, data_shapes: Sequence[Any], label_shapes: Optional[Sequence[Any]]) -> None:
        """Rebind for new input shapes, keeping the parameter arrays."""
        same_data = [tuple(d.shape) for d in data_shapes] == \
            [tuple(d.shape) for d in self.data_shapes]
        same_label = [tuple(d.shape) for d in label_shapes or ()] == \
            [tuple(d.shape) for d in self.label_shapes or ()]
        if same_data and same_label:
            return
        old = _Snapshot(self.execs)
        self.bind_exec(data_shapes, label_shapes, shared_group=old)  # type: ignore[arg-type]

    # -- parameters ----------------------------------------------------------------------------
    def set_params(self, arg_params: Dict[str, NDArray], aux_params: Dict[str, NDArray],
                   allow_extra: bool = False) -> None:
        """Copy the given values into every executor."""
        for exe in self.execs:
            _copy_into(exe.arg_dict, arg_params, "arguments", allow_extra)
            _copy_into(exe.aux_dict, aux_params or {}, "auxiliary states", allow_extra)

    def get_params(self, arg_params: Dict[str, NDArray], aux_params: Dict[str, NDArray]) -> None:
        """Average the executors' copies into ``arg_params``/``aux_params`` (in place)."""
        for names, blocks, target in ((self.param_names, self.param_arrays, arg_params),
                                      (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, blocks):
                dst = target[name]
                if len(block) == 1:
                    block[0].copyto(dst)
                    continue
                total = block[0].as_in_context(dst.context).astype(np.float32)
                for arr in block[1:]:
                    total = total + arr.as_in_context(dst.context).astype(np.float32)
                (total / len(block)).copyto(dst)

    # -- computation ---------------------------------------------------------------------------
    def forward(self, data_batch: Any, is_train: Optional[bool] = None) -> None:
        """Load the batch's slices into the executors and run them forward."""
        if is_train is None:
            is_train = self.for_training
        _load(self.data_arrays, data_batch.data, self.data_layouts, "data")
        label = getattr(data_batch, "label", None)
        if label and self.label_arrays:
            bound = [(lab, axis) for lab, axis, name in zip(label, self.label_layouts,
                                                            self.label_names)
                     if name in self.arg_names]
            _load(self.label_arrays, [b[0] for b in bound], [b[1] for b in bound], "label")
        for exe in self.execs:
            exe.forward(is_train=is_train)

    def backward(self, out_grads: Optional[Sequence[NDArray]] = None) -> None:
        """Backward through every executor; ``out_grads`` (for non-loss outputs) are sliced
        like the batch."""
        if not self.for_training:
            raise MXNetError("backward: the module was bound with for_training=False")
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        for i, exe in enumerate(self.execs):
            if out_grads is None:
                exe.backward()
                continue
            ctx = self.contexts[i]
            grads = [_slice_along(g, 0, self.slices[i]).as_in_context(ctx) for g in out_grads]
            exe.backward(out_grads=grads)

    def get_output_shapes(self) -> List[Tuple[str, tuple]]:
        """(name, shape) per output, the batch axis covering the whole batch."""
        shapes = []
        for k, name in enumerate(self.output_names):
            shape = tuple(self.execs[0].outputs[k].shape)
            if len(self.execs) > 1 and shape:
                total = sum(e.outputs[k].shape[0] for e in self.execs)
                shape = (total,) + shape[1:]
            shapes.append((name, shape))
        return shapes

    def get_outputs(self, merge_multi_context: bool = True, begin: int = 0,
                    end: Optional[int] = None) -> list:
        """Outputs ``begin:end``: merged across devices, or a list per output of per-device
        arrays."""
        end = len(self.output_names) if end is None else end
        outputs = [[e.outputs[k] for e in self.execs] for k in range(begin, end)]
        if merge_multi_context:
            return [_merge(arrays, 0) for arrays in outputs]
        return outputs

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        """Gradients of the data inputs (needs ``inputs_need_grad``)."""
        if self.input_grad_arrays is None:
            raise MXNetError("get_input_grads: bind with inputs_need_grad=True first")
        if merge_multi_context:
            return [_merge(arrays, axis)
                    for arrays, axis in zip(self.input_grad_arrays, self.data_layouts)]
        return self.input_grad_arrays

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Update ``eval_metric`` with each device's outputs and its slice of ``labels``."""
        labels = list(labels or [])
        for i, exe in enumerate(self.execs):
            if pre_sliced:
                labels_slice = labels[i]
            else:
                axes = self.label_layouts or [0] * len(labels)
                labels_slice = [_slice_along(label, axis, self.slices[i])
                                for label, axis in zip(labels, axes)]
            label_names = self.label_names or [f"label{j}" for j in range(len(labels_slice))]
            eval_metric.update_dict(OrderedDict(zip(label_names, labels_slice)),
                                    OrderedDict(zip(self.output_names, exe.outputs)))

    def install_monitor(self, mon: Any) -> None:
        for exe in self.execs:
            mon.install(exe)


class _Snapshot:
    """The old executors, lent to a rebind as a shared group."""

    def __init__(self, execs: List[Any]) -> None:
        self.execs = execs


def _copy_into(targets: Dict[str, NDArray], values: Dict[str, NDArray], what: str,
               allow_extra: bool) -> None:
    for name, value in values.items():
        dst = targets.get(name)
        if dst is None:
            if allow_extra:
                continue
            raise MXNetValueError(f'set_params: found name "{name}" that is not in the '
                                  f"{what} ({sorted(targets)}); pass allow_extra=True to "
                                  "ignore it")
        if tuple(value.shape) != tuple(dst.shape):
            raise MXNetValueError(f"set_params: {name} has shape {tuple(value.shape)} but the "
                                  f"module expects {tuple(dst.shape)}")
        if not isinstance(value, NDArray):
            value = nd.array(np.asarray(value))
        value.copyto(dst)


def _load(targets: List[List[Tuple[slice, NDArray]]], sources: Sequence[Any],
          axes: Sequence[int], what: str) -> None:
    if len(sources) != len(targets):
        raise MXNetValueError(f"forward: the batch has {len(sources)} {what} arrays but the "
                              f"module was bound with {len(targets)}")
    for src, parts, axis in zip(sources, targets, axes):
        for part, dst in parts:
            piece = _slice_along(src, axis, part)
            if tuple(piece.shape) != tuple(dst.shape):
                raise MXNetValueError(f"forward: {what} slice has shape {tuple(piece.shape)} "
                                      f"but the executor expects {tuple(dst.shape)}")
            piece.copyto(dst)


def prepare_group2ctxs(group2ctxs: Any, n: int) -> List[Optional[Dict[str, Any]]]:
    """``group2ctxs`` as one group2ctx per context (MXNet's forms).

    ``None``; a list of ``n`` dicts (one per context); or one dict whose values are a
    Context (every data-parallel copy uses it) or a list of ``n`` Contexts (one per copy).
    """
    from ..context import Context

    if group2ctxs is None:
        return [None] * n
    if isinstance(group2ctxs, (list, tuple)):
        if len(group2ctxs) != n:
            raise MXNetValueError(f"group2ctxs has {len(group2ctxs)} entries for {n} "
                                  "contexts")
        return [dict(g) if g is not None else None for g in group2ctxs]
    if not isinstance(group2ctxs, dict):
        raise MXNetTypeError(f"group2ctxs must be a dict or a list of dicts, got "
                             f"{type(group2ctxs).__name__}")
    out: List[Dict[str, Any]] = [{} for _ in range(n)]
    for group, ctxs in group2ctxs.items():
        if isinstance(ctxs, Context):
            ctxs = [ctxs] * n
        if not isinstance(ctxs, (list, tuple)) or len(ctxs) != n:
            raise MXNetValueError(f"group2ctxs[{group!r}] must be a Context or a list of {n} "
                                  f"Contexts, got {ctxs!r}")
        for i, ctx in enumerate(ctxs):
            out[i][group] = ctx
    return list(out)
