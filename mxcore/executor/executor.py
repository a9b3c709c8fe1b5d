"""Executor: a Symbol bound to argument, gradient and auxiliary arrays (MXNet 1.x).

The graph is compiled once, at bind time, into a flat list of steps (``program.py``).
Inference (``forward(is_train=False)``) runs the steps' kernels directly on backend arrays and
drops every intermediate at its last use. Training (``forward(is_train=True)``) runs the same
kernels recording autograd nodes with the arguments marked as variables, so ``backward``
uses the ops' gradient declarations and writes (or adds) into the gradient arrays.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .. import autograd as _ag
from .. import engine as _engine
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..ndarray.ndarray import NDArray, _wrap
from .program import Program, compile_symbol

__all__ = ["Executor"]

_REQS = ("write", "add", "null")
_ENGINE = _engine._Current


class Executor:
    """A bound symbol: run ``forward`` then ``backward``; read ``outputs`` and gradients.

    Usually made by ``Symbol.bind`` or ``Symbol.simple_bind``.

    Example::

        >>> x = mx.sym.Variable("x")
        >>> exe = (x * 2).bind(mx.cpu(), {"x": mx.nd.array([1, 2])},
        ...                    args_grad={"x": mx.nd.zeros((2,))})
        >>> exe.forward(is_train=True)[0].asnumpy()
        array([2., 4.], dtype=float32)
        >>> exe.backward(mx.nd.ones((2,)))
        >>> exe.grad_dict["x"].asnumpy()
        array([2., 2.], dtype=float32)
    """

    def __init__(self, symbol: Any, ctx: Any, arg_arrays: Any, grad_arrays: Any = None,
                 grad_req: Any = "write", aux_arrays: Any = None, group2ctx: Any = None):
        from .placement import normalize_group2ctx

        self._symbol = symbol
        self._ctx = ctx
        #: context group -> Context (model parallelism); empty: everything on ``ctx``
        self._group2ctx: Dict[str, Any] = normalize_group2ctx(group2ctx)
        placed = bool(self._group2ctx)
        self._arg_names: List[str] = list(symbol.list_arguments())
        self._aux_names: List[str] = list(symbol.list_auxiliary_states())
        self._output_names: List[str] = list(symbol.list_outputs())
        home = None if placed else ctx  # with group2ctx arrays may live on any context
        self.arg_arrays: List[NDArray] = _as_list(arg_arrays, self._arg_names, "args", home)
        self.aux_arrays: List[NDArray] = _as_list(aux_arrays, self._aux_names, "aux_states",
                                                  home)
        self.grad_arrays: List[Optional[NDArray]] = _as_list(
            grad_arrays, self._arg_names, "args_grad", home, optional=True)
        if placed:
            _check_grad_contexts(self._arg_names, self.arg_arrays, self.grad_arrays)
        self._grad_req: List[str] = _as_reqs(grad_req, self._arg_names, self.grad_arrays)
        var_ctx = None
        if placed:
            var_ctx = {n: a.context for n, a in zip(self._arg_names + self._aux_names,
                                                    self.arg_arrays + self.aux_arrays)}
        self._program: Program = compile_symbol(symbol, ctx, self._arg_names, self._aux_names,
                                                self._group2ctx, var_ctx)
        for slot, arr in zip(self._program.arg_slots + self._program.aux_slots,
                             self.arg_arrays + self.aux_arrays):
            data = arr._sync()
            self._program.slot_info[slot] = (tuple(data.shape), data.dtype)
        self.outputs: List[NDArray] = []
        self._recorded = False
        self._handles: List[NDArray] = []
        self._arg_dict: Optional[Dict[str, NDArray]] = None
        self._grad_dict: Optional[Dict[str, NDArray]] = None
        self._aux_dict: Optional[Dict[str, NDArray]] = None
        self._monitor: Any = None

    # -- dictionaries ---------------------------------------------------------------------------
    @property
    def arg_dict(self) -> Dict[str, NDArray]:
        """Argument name -> array."""
        if self._arg_dict is None:
            self._arg_dict = dict(zip(self._arg_names, self.arg_arrays))
        return self._arg_dict

    @property
    def grad_dict(self) -> Dict[str, NDArray]:
        """Argument name -> gradient array (arguments with a gradient only)."""
        if self._grad_dict is None:
            self._grad_dict = {n: g for n, g in zip(self._arg_names, self.grad_arrays)
                               if g is not None}
        return self._grad_dict

    @property
    def aux_dict(self) -> Dict[str, NDArray]:
        """Auxiliary state name -> array."""
        if self._aux_dict is None:
            self._aux_dict = dict(zip(self._aux_names, self.aux_arrays))
        return self._aux_dict

    @property
    def output_dict(self) -> Dict[str, NDArray]:
        """Output name -> array (after ``forward``)."""
        return dict(zip(self._output_names, self.outputs))

    @property
    def grad_req(self) -> Dict[str, str]:
        """Argument name -> gradient request ('write', 'add' or 'null')."""
        return dict(zip(self._arg_names, self._grad_req))

    # -- running ----------------------------------------------------------------------------------
    def forward(self, is_train: bool = False, **kwargs: Any) -> List[NDArray]:
        """Run the graph; keyword arguments are copied into the argument arrays first.

        With ``is_train=True`` ops run in training mode (batch statistics, dropout), the
        auxiliary states are updated and the pass is recorded for :meth:`backward`.
        """
        for name, value in kwargs.items():
            self._copy_in(name, value)
        if _ENGINE.is_async:  # writes may be pending on views of the bound arrays
            _ENGINE.engine.wait_all()
        program = self._program
        ctx = self._ctx
        if is_train:
            nds = self._train_inputs()
            program.run_train(nds, ctx)
            values = [nds[s] for s in program.out_slots]
            self._recorded = any(v._ag is not None for v in values)
            self._set_outputs([v._data for v in values], [v._ag for v in values])
        else:
            vals = self._predict_inputs()
            program.run_predict(vals, ctx)
            self._recorded = False
            self._set_outputs([vals[s] for s in program.out_slots], None)
        if self._monitor is not None:
            self._monitor(self)
        return self.outputs

    def _predict_inputs(self) -> List[Any]:
        """Slots filled with the argument/aux backend arrays."""
        program = self._program
        vals: List[Any] = [None] * program.n_slots
        for slot, arr in zip(program.arg_slots, self.arg_arrays):
            vals[slot] = arr._sync()
        for slot, arr in zip(program.aux_slots, self.aux_arrays):
            vals[slot] = arr._sync()
        return vals

    def _copy_in(self, name: str, value: Any) -> None:
        if not isinstance(value, (NDArray, np.ndarray)):
            raise MXNetTypeError(
                f"Executor.forward: keyword argument {name!r} must be an NDArray or "
                f"numpy.ndarray, got {type(value).__name__}")
        target = self.arg_dict.get(name)
        if target is None:
            raise MXNetTypeError(f"Executor.forward: unknown argument {name!r}; arguments "
                                 f"are {self._arg_names}")
        if tuple(target.shape) != tuple(value.shape):
            raise MXNetValueError(
                f"Executor.forward: shape mismatch for argument {name!r}: need "
                f"{tuple(target.shape)}, received {tuple(value.shape)}")
        target[:] = value

    def _train_inputs(self) -> List[Any]:
        """Slots filled with fresh handles on the argument/aux data, marked as variables.

        Fresh handles leave the caller's arrays' own autograd state untouched; gradients go
        into this executor's gradient arrays.
        """
        program = self._program
        slot_ctx = program.slot_ctx
        nds: List[Any] = [None] * program.n_slots
        handles: List[NDArray] = []
        self._handles = handles
        for slot, arr, grad, req in zip(program.arg_slots, self.arg_arrays, self.grad_arrays,
                                        self._grad_req):
            handle = _wrap(arr._sync(), slot_ctx[slot])
            if req != "null":
                handle._grad = grad
                handle._ag = _ag.Entry(None, 0, req, handle)
                handles.append(handle)
            nds[slot] = handle
        for slot, arr in zip(program.aux_slots, self.aux_arrays):
            nds[slot] = _wrap(arr._sync(), slot_ctx[slot])
        return nds

    def _set_outputs(self, datas: Sequence[Any], entries: Optional[Sequence[Any]]) -> None:
        """Point the (persistent) output arrays at this run's results, as MXNet reuses them."""
        if len(self.outputs) != len(datas):
            slot_ctx = self._program.slot_ctx
            self.outputs = [_wrap(d, slot_ctx[s]) for d, s in zip(datas,
                                                                  self._program.out_slots)]
        else:
            for out, d in zip(self.outputs, datas):
                out._data = d
        for i, out in enumerate(self.outputs):
            out._ag = entries[i] if entries is not None else None

    def backward(self, out_grads: Union[None, NDArray, Sequence[NDArray],
                                        Dict[str, NDArray]] = None,
                 is_train: bool = True) -> None:
        """Gradients of the outputs of the last ``forward(is_train=True)``.

        ``out_grads`` are the head gradients (one per output; default ones). Output heads
        such as SoftmaxOutput ignore them, as in MXNet. Gradients are written into (or, for
        ``grad_req='add'``, added to) :attr:`grad_arrays`.
        """
        heads = self.outputs
        if not self._recorded:
            if all(req == "null" for req in self._grad_req):
                return
            raise MXNetError("Executor.backward: call forward(is_train=True) first")
        grads = _as_head_grads(out_grads, self._output_names, len(heads))
        if self._group2ctx:  # head gradients on their output's context
            grads = [g if g is None or g.context is h.context else g.as_in_context(h.context)
                     for h, g in zip(heads, grads)]
        pairs = [(h, g) for h, g in zip(heads, grads) if h._ag is not None]
        for handle in self._handles:
            handle._ag.fresh = False
        _ag.backward([h for h, _ in pairs], [g for _, g in pairs], retain_graph=True,
                     train_mode=is_train)
        for handle in self._handles:
            entry = handle._ag
            if entry.grad_req == "write" and not entry.fresh:
                handle._grad[:] = 0  # an argument the outputs do not depend on

    # -- reshaping and parameters ----------------------------------------------------------------
    def reshape(self, partial_shaping: bool = False, allow_up_sizing: bool = False,
                **kwargs: Any) -> "Executor":
        """A new executor for new input shapes, sharing this one's arrays.

        Arrays whose shape is unchanged are shared; smaller ones are views of the existing
        memory; larger ones need ``allow_up_sizing=True`` and are newly allocated. Arrays
        whose shape changes but were not named in ``kwargs`` need ``partial_shaping=True``.
        """
        from .reshape import reshape_arrays

        args, grads, aux = reshape_arrays(self, partial_shaping, allow_up_sizing, kwargs)
        return Executor(self._symbol, self._ctx, args, grads, list(self._grad_req), aux,
                        self._group2ctx)

    def copy_params_from(self, arg_params: Dict[str, NDArray],
                         aux_params: Optional[Dict[str, NDArray]] = None,
                         allow_extra_params: bool = False) -> None:
        """Copy parameter values into the argument (and auxiliary) arrays by name."""
        _copy_params(arg_params, self.arg_dict, "arguments", allow_extra_params)
        if aux_params is not None:
            _copy_params(aux_params, self.aux_dict, "auxiliary states", allow_extra_params)

    def set_monitor_callback(self, callback: Any, monitor_all: bool = False) -> None:
        """Call ``callback(name, array)`` for every output after each forward."""
        if callback is None:
            self._monitor = None
            return

        def monitor(exe: "Executor") -> None:
            for name, arr in exe.output_dict.items():
                callback(name, arr)

        self._monitor = monitor

    # -- introspection ----------------------------------------------------------------------------
    def memory_stats(self) -> Dict[str, Any]:
        """Planned versus naive bytes for inference and training, and the bound arrays.

        Sizes come from the shapes seen by the first forward; before one, an inference
        forward is run to learn them.
        """
        program = self._program
        if not program.checked:  # learn the sizes from a forward pass (outputs untouched)
            _ENGINE.engine.wait_all()
            program.run_predict(self._predict_inputs(), self._ctx)
        grad_slots = {s for s, req in zip(program.arg_slots, self._grad_req) if req != "null"}
        infer, train = program.plans(grad_slots)
        return {
            "inference": infer.as_dict(),
            "training": train.as_dict(),
            "arg_bytes": _nbytes(self.arg_arrays),
            "grad_bytes": _nbytes([g for g in self.grad_arrays if g is not None]),
            "aux_bytes": _nbytes(self.aux_arrays),
        }

    def debug_str(self) -> str:
        """The compiled steps (as MXNet's ``debug_str``) followed by the memory plan."""
        from .debug import describe

        return describe(self)

    def __repr__(self) -> str:
        return (f"<Executor {len(self._program.steps)} steps, outputs "
                f"{self._output_names} @{self._ctx}>")


# -- helpers ------------------------------------------------------------------------------------
def _as_list(arrays: Any, names: Sequence[str], what: str, ctx: Any,
             optional: bool = False) -> List[Any]:
    """Arrays given as a list (in ``names`` order) or a dict, checked, as a list."""
    if arrays is None:
        if optional or not names:
            return [None] * len(names)
        raise MXNetValueError(f"bind: {what} is missing; expected arrays for {list(names)}")
    if isinstance(arrays, dict):
        out = []
        for name in names:
            arr = arrays.get(name)
            if arr is None and not optional:
                raise MXNetValueError(f"bind: {what} has no array for {name!r}")
            out.append(arr)
    elif isinstance(arrays, (list, tuple)):
        if len(arrays) != len(names):
            raise MXNetValueError(f"bind: {what} has {len(arrays)} arrays, the symbol needs "
                                  f"{len(names)} ({list(names)})")
        out = list(arrays)
    else:
        raise MXNetTypeError(f"bind: {what} must be a list or a dict of NDArrays, got "
                             f"{type(arrays).__name__}")
    for name, arr in zip(names, out):
        if arr is None:
            if optional:
                continue
            raise MXNetValueError(f"bind: {what} has no array for {name!r}")
        if not isinstance(arr, NDArray):
            raise MXNetTypeError(f"bind: {what}[{name!r}] must be an NDArray, got "
                                 f"{type(arr).__name__}")
        if arr.stype != "default":
            raise MXNetTypeError(f"bind: {what}[{name!r}] has storage type {arr.stype!r}; "
                                 "only dense arrays can be bound")
        if ctx is not None and arr.context != ctx:
            raise MXNetValueError(f"bind: {what}[{name!r}] is on {arr.context}, the executor "
                                  f"on {ctx}")
    return out


def _check_grad_contexts(names: Sequence[str], args: Sequence[NDArray],
                         grads: Sequence[Optional[NDArray]]) -> None:
    for name, arr, grad in zip(names, args, grads):
        if grad is not None and grad.context is not arr.context:
            raise MXNetValueError(f"bind: args_grad[{name!r}] is on {grad.context}, its "
                                  f"argument on {arr.context}; they must share a context")


def _as_reqs(grad_req: Any, names: Sequence[str], grads: Sequence[Any]) -> List[str]:
    """Per-argument requests from a str, list or dict; 'null' where there is no array."""
    if isinstance(grad_req, str):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, dict):
        reqs = [grad_req.get(n, "null") for n in names]
    elif isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise MXNetValueError(f"bind: grad_req has {len(grad_req)} entries, the symbol "
                                  f"has {len(names)} arguments")
        reqs = list(grad_req)
    else:
        raise MXNetTypeError(f"bind: grad_req must be a str, list or dict, got "
                             f"{type(grad_req).__name__}")
    for name, req in zip(names, reqs):
        if req not in _REQS:
            raise MXNetValueError(f"bind: grad_req for {name!r} must be one of {list(_REQS)}, "
                                  f"got {req!r}")
    return [req if g is not None else "null" for req, g in zip(reqs, grads)]


def _as_head_grads(out_grads: Any, names: Sequence[str], n: int) -> List[Any]:
    if out_grads is None:
        return [None] * n
    if isinstance(out_grads, NDArray):
        out_grads = [out_grads]
    elif isinstance(out_grads, dict):
        out_grads = [out_grads.get(name) for name in names]
    if not isinstance(out_grads, (list, tuple)) or len(out_grads) != n:
        raise MXNetValueError(f"Executor.backward: out_grads must give one array per output "
                              f"({n}), got {out_grads!r}")
    for g in out_grads:
        if g is not None and not isinstance(g, NDArray):
            raise MXNetTypeError(f"Executor.backward: out_grads must be NDArrays, got "
                                 f"{type(g).__name__}")
    return list(out_grads)


def _copy_params(params: Dict[str, NDArray], targets: Dict[str, NDArray], what: str,
                 allow_extra: bool) -> None:
    for name, value in params.items():
        target = targets.get(name)
        if target is None:
            if allow_extra:
                continue
            raise MXNetValueError(f"copy_params_from: found name {name!r} that is not in the "
                                  f"{what}")
        if tuple(value.shape) != tuple(target.shape):
            raise MXNetValueError(f"copy_params_from: {name!r} has shape {tuple(value.shape)}, "
                                  f"the executor's array {tuple(target.shape)}")
        if value.dtype != target.dtype:
            value = value.astype(target.dtype)
        target[:] = value


def _nbytes(arrays: Sequence[NDArray]) -> int:
    return int(sum(a.size * np.dtype(a.dtype).itemsize for a in arrays))
