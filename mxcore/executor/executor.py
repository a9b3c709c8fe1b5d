"""Executor: a Symbol bound to argument, gradient and auxiliary arrays (MXNet 1.x).

The graph is compiled once, at bind time, into a flat list of steps (``program.py``).
Inference (``forward(is_train=False)``) runs the steps' kernels directly on backend arrays and
drops every intermediate at its last use. Training (``forward(is_train=True)``) runs the same
kernels recording autograd nodes with the arguments marked as variables, so ``backward``
uses the ops' gradient declarations and writes (or adds) into the gradient arrays.

The first backward also captures the ops the gradients invoke (``backward.py``); the second
checks a replay of them against the tape; from then on training runs without the tape: the
forward keeps only the values backward reads and backward replays the captured kernels.

Arguments may be CSR or row_sparse arrays: the steps reading them run through ``mx.nd``'s
storage-type dispatch (sparse kernels, or the dense fallback with its warning) and training
stays on the tape, so gradients come out in the storage type the gradient rules give
(row_sparse for ``dot(csr, w)``'s ``w``) and are stored into the gradient arrays in theirs.
CSR arguments get no gradient (as in MXNet); a row_sparse argument with a gradient is read
as dense in training.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .. import autograd as _ag
from .. import engine as _engine
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..ndarray.invoke import CAPTURE
from ..ndarray.ndarray import NDArray, _wrap
from .backward import BackwardPlan, Capture
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
        sparse_args = [n for n, a in zip(self._arg_names, self.arg_arrays) if a.stype != "default"]
        _check_sparse_args(sparse_args, [n for n, a in zip(self._arg_names, self.arg_arrays)
                                         if a.stype == "csr"],
                           self._arg_names, self._grad_req, placed)
        var_ctx = None
        if placed:
            var_ctx = {n: a.context for n, a in zip(self._arg_names + self._aux_names,
                                                    self.arg_arrays + self.aux_arrays)}
        self._program: Program = compile_symbol(symbol, ctx, self._arg_names, self._aux_names,
                                                self._group2ctx, var_ctx, sparse_args)
        for slot, arr in zip(self._program.arg_slots + self._program.aux_slots,
                             self.arg_arrays + self.aux_arrays):
            data = arr._sync() if arr.stype == "default" else arr
            self._program.slot_info[slot] = (tuple(data.shape), data.dtype)
        self.outputs: List[NDArray] = []
        self._recorded = False
        self._handles: List[NDArray] = []
        #: argument position of each handle
        self._handle_args: List[int] = []
        self._arg_dict: Optional[Dict[str, NDArray]] = None
        self._grad_dict: Optional[Dict[str, NDArray]] = None
        self._aux_dict: Optional[Dict[str, NDArray]] = None
        self._monitor: Any = None
        #: compiled backward: 0 capture at the next backward, 1 captured (the next backward
        #: checks the replay against the tape), 2 replaying, -1 tape only
        self._bwd_state = 0 if not placed and any(r != "null" for r in self._grad_req) \
            and not self._program.has_storage else -1
        self._bwd_plan: Optional[BackwardPlan] = None
        self._fwd_release: Any = None
        #: forward values kept for the compiled backward (state 2)
        self._fwd_vals: Optional[List[Any]] = None
        #: forward slot values of the last tape forward (states 0 and 1)
        self._slot_data: Optional[List[Any]] = None
        self._bwd_heads: List[int] = []

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
        self._fwd_vals = None
        self._slot_data = None
        if is_train and self._bwd_state == 2 and not _ENGINE.is_async:
            vals = self._predict_inputs()
            program.run_train_compiled(vals, ctx, self._fwd_release)
            self._fwd_vals = vals
            self._recorded = True
            self._set_outputs([vals[s] for s in program.out_slots], None)
        elif is_train:
            nds = self._train_inputs()
            program.run_train(nds, ctx)
            if self._bwd_state in (0, 1):
                self._slot_data = [None if v is None else v._data for v in nds]
            values = [nds[s] for s in program.out_slots]
            self._recorded = any(v._ag is not None for v in values)
            self._set_outputs([v._data if v.stype == "default" else v for v in values],
                              [v._ag for v in values])
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
            vals[slot] = arr._sync() if arr.stype == "default" else arr
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
        self._handle_args = []
        for i, (slot, arr, grad, req) in enumerate(zip(program.arg_slots, self.arg_arrays,
                                                       self.grad_arrays, self._grad_req)):
            if arr.stype != "default":
                if req == "null":  # sparse data: read as is
                    nds[slot] = arr
                    continue
                data = arr.tostype("default")._data  # a row_sparse variable: read dense
            else:
                data = arr._sync()
            handle = _wrap(data, slot_ctx[slot])
            if req != "null":
                handle._grad = grad
                handle._ag = _ag.Entry(None, 0, req, handle)
                handles.append(handle)
                self._handle_args.append(i)
            nds[slot] = handle
        for slot, arr in zip(program.aux_slots, self.aux_arrays):
            nds[slot] = _wrap(arr._sync(), slot_ctx[slot])
        return nds

    def _set_outputs(self, datas: Sequence[Any], entries: Optional[Sequence[Any]]) -> None:
        """Point the (persistent) output arrays at this run's results, as MXNet reuses them.

        A sparse result (an NDArray in ``datas``) replaces its output array.
        """
        slot_ctx = self._program.slot_ctx
        if len(self.outputs) != len(datas):
            self.outputs = [d if isinstance(d, NDArray) else _wrap(d, slot_ctx[s])
                            for d, s in zip(datas, self._program.out_slots)]
        else:
            for i, (out, d) in enumerate(zip(self.outputs, datas)):
                if isinstance(d, NDArray):
                    self.outputs[i] = d
                elif out.stype != "default":
                    self.outputs[i] = _wrap(d, slot_ctx[self._program.out_slots[i]])
                else:
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
        if self._fwd_vals is not None:
            self._replay(grads)
            return
        pairs = [(h, g) for h, g in zip(heads, grads) if h._ag is not None]
        for handle in self._handles:
            handle._ag.fresh = False
        if self._bwd_state in (0, 1) and not _ENGINE.is_async:
            self._tape_backward_compiling(pairs, is_train)
            return
        _ag.backward([h for h, _ in pairs], [g for _, g in pairs], retain_graph=True,
                     train_mode=is_train)
        self._zero_untouched()

    def _zero_untouched(self) -> None:
        for handle in self._handles:
            entry = handle._ag
            if entry.grad_req == "write" and not entry.fresh:
                handle._grad[:] = 0  # an argument the outputs do not depend on

    def _tape_backward_compiling(self, pairs: List[Any], is_train: bool) -> None:
        """Tape backward that captures its ops (state 0) or checks the replay (state 1)."""
        heads = [h for h, _ in pairs]
        head_grads = [_ag._ones_like(h) if g is None else g for h, g in pairs]
        if any(g.shape != h.shape or g.dtype != h.dtype or type(g) is not NDArray
               for h, g in pairs if g is not None):
            self._bwd_state = -1
        head_data = [g._data for g in head_grads]
        pos_of = {id(h): i for i, h in enumerate(self._handles)}
        capture = None
        replayed = None
        if self._bwd_state == 0:
            capture = Capture(self._slot_data, head_data)
            self._bwd_heads = [i for i, h in enumerate(self.outputs) if h._ag is not None]
            CAPTURE.rec = capture
        elif self._bwd_state == 1:
            replayed = []
            try:
                self._bwd_plan.run(list(self._slot_data), head_data,
                                   lambda pos, data: replayed.append((pos, data)))
            except Exception:  # the replay is only an optimisation: stay on the tape
                self._bwd_state = -1
                replayed = None
        try:
            grads, leaves = _ag._run_backward(heads, head_grads, retain_graph=True,
                                              train_mode=is_train)
        finally:
            CAPTURE.rec = None
        leaf_grads = []
        for key, g in grads.items():
            entry = leaves[key]
            var = entry.variable
            if var is None or var._grad is None or entry.grad_req == "null":
                continue
            leaf_grads.append((pos_of[id(var)], g))
        if capture is not None:
            plan = capture.finish(leaf_grads)
            self._bwd_plan = plan
            self._bwd_state = 1 if plan is not None else -1
        elif replayed is not None:
            self._bwd_state = 2 if _same_grads(replayed, leaf_grads) else -1
            if self._bwd_state == 2:
                self._prepare_compiled_forward()
        if self._bwd_state not in (0, 1):
            self._slot_data = None
        for pos, g in leaf_grads:
            handle = self._handles[pos]
            _ag._store_grad(handle, g, handle._ag.grad_req)
            handle._ag.fresh = True
        self._zero_untouched()

    def _prepare_compiled_forward(self) -> None:
        from . import planner

        program = self._program
        keep = list(program.out_slots) + list(self._bwd_plan.needed_slots)
        self._fwd_release = planner.release_lists(
            [s.ins for s in program.steps], [s.outs for s in program.steps],
            program.n_slots, keep, program.external)

    def _replay(self, grads: Sequence[Optional[NDArray]]) -> None:
        """The compiled backward on the values the last forward kept."""
        plan = self._bwd_plan
        head_data = []
        for i in self._bwd_heads:
            h, g = self.outputs[i], grads[i]
            data = h._data
            if g is None:
                head_data.append(h._ctx.backend.kernels["full"](data.shape, 1, data.dtype))
                continue
            if g.stype != "default":
                g = g.tostype("default")
            if g.shape != h.shape:
                g = g.broadcast_to(h.shape) if g.size == 1 else g.reshape(h.shape)
            if g.dtype != h.dtype:
                g = g.astype(h.dtype)
            head_data.append(g._sync())
        written = set()
        handles = self._handles

        def store(pos: int, data: Any) -> None:
            handle = handles[pos]
            handle._grad = self.grad_arrays[self._handle_args[pos]]
            _ag._store_grad(handle, _wrap(data, handle._ctx), handle._ag.grad_req)
            written.add(pos)

        plan.run(list(self._fwd_vals), head_data, store)
        for pos, handle in enumerate(self._handles):
            if pos not in written and handle._ag.grad_req == "write":
                handle._grad[:] = 0

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
        forward is run to learn them. Once a backward has been captured (after the second
        training step) the training plan covers the forward and backward graphs together;
        before, it is a static estimate (``training_basis`` says which).
        """
        program = self._program
        if not program.checked:  # learn the sizes from a forward pass (outputs untouched)
            _ENGINE.engine.wait_all()
            program.run_predict(self._predict_inputs(), self._ctx)
        grad_slots = {s for s, req in zip(program.arg_slots, self._grad_req) if req != "null"}
        backward = self._bwd_plan if self._bwd_state == 2 else None
        infer, train = program.plans(grad_slots, backward)
        return {
            "inference": infer.as_dict(),
            "training": train.as_dict(),
            "training_basis": ("forward and backward graphs" if backward is not None else
                               "static estimate: every activation kept for backward"),
            "training_compiled": self._compiled_training_stats(),
            "arg_bytes": _nbytes(self.arg_arrays),
            "grad_bytes": _nbytes([g for g in self.grad_arrays if g is not None]),
            "aux_bytes": _nbytes(self.aux_arrays),
        }

    def _compiled_training_stats(self) -> Optional[Dict[str, int]]:
        """Live bytes of a training step with the compiled backward (None before it exists).

        Forward values that backward does not read die at their last forward use; the kept
        ones (``activation_bytes``) live through backward, whose results die at their last
        use. Bound arrays (arguments, auxiliary states, gradients) are not counted; the
        peak is a lower bound for what an allocator sees (kernel temporaries excluded).
        """
        if self._bwd_state != 2 or self._fwd_release is None:
            return None
        program = self._program
        sizes = program.slot_bytes()
        external = program.external
        live = peak = 0
        for step, drop in zip(program.steps, self._fwd_release):
            live += sum(sizes[s] for s in step.outs)
            peak = max(peak, live)
            live -= sum(sizes[s] for s in drop if s not in external)
        back = self._bwd_plan.live_peak_bytes(live)
        return {"activation_bytes": live, "forward_peak_bytes": peak,
                "peak_live_bytes": max(peak, back)}

    def debug_str(self) -> str:
        """The compiled steps (as MXNet's ``debug_str``) followed by the memory plan."""
        from .debug import describe

        return describe(self)

    def __repr__(self) -> str:
        return (f"<Executor {len(self._program.steps)} steps, outputs "
                f"{self._output_names} @{self._ctx}>")


# -- helpers ------------------------------------------------------------------------------------
def _same_grads(replayed: Sequence[Any], taped: Sequence[Any]) -> bool:
    """Whether the replayed gradients equal the tape's (the first-replay check)."""
    if sorted(p for p, _ in replayed) != sorted(p for p, _ in taped):
        return False
    tape = dict(taped)
    for pos, data in replayed:
        g = tape[pos]
        if tuple(data.shape) != tuple(g.shape) or data.dtype != g.dtype:
            return False
        a = g._ctx.backend.to_host(data)
        b = g.asnumpy()
        if not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"):
            return False
    return True


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
        if arr.stype != "default" and what != "args" \
                and not (what == "args_grad" and arr.stype == "row_sparse"):
            raise MXNetTypeError(f"bind: {what}[{name!r}] has storage type {arr.stype!r}; "
                                 "auxiliary states must be dense and gradients dense or "
                                 "row_sparse")
        if ctx is not None and arr.context != ctx:
            raise MXNetValueError(f"bind: {what}[{name!r}] is on {arr.context}, the executor "
                                  f"on {ctx}")
    return out


def _check_sparse_args(sparse: Sequence[str], csr: Sequence[str], names: Sequence[str],
                       reqs: Sequence[str], placed: bool) -> None:
    """Sparse arguments: no model parallelism; CSR ones get no gradient (as in MXNet)."""
    if not sparse:
        return
    if placed:
        raise MXNetValueError(f"bind: sparse arguments {list(sparse)} cannot be bound with "
                              "group2ctx; bind them to a single context")
    req = dict(zip(names, reqs))
    with_grad = [n for n in sparse if req[n] != "null" and n in csr]
    if with_grad:
        raise MXNetValueError(f"bind: arguments {with_grad} are CSR arrays; gradients with "
                              "respect to CSR arrays are not computed (as in MXNet): give them "
                              "no args_grad entry or grad_req 'null'")


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
