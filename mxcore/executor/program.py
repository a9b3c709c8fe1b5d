"""A Symbol compiled once into a flat list of steps, and the loops that run it.

Each step holds its op's resolved kernel, its normalised attrs (with ``is_train`` filled in
per mode), and integer slots for its inputs and outputs, so the inference loop calls kernels
on backend arrays with no per-op dispatch; intermediate values are dropped right after their
last use (the memory plan's lifetimes). The training loop runs the same kernels but wraps
the results as NDArrays and records autograd nodes, so backward uses the ops' gradient
declarations exactly as imperative autograd does.

Steps that may read a sparse value (a CSR or row_sparse argument, or a sparse result of an
earlier step) are *storage steps*: they run through ``mx.nd``'s dispatch (``invoke``), which
picks the op's sparse kernel for the inputs' storage types or falls back to dense with the
one-time warning, and records on the tape in training; their sparse results stay NDArrays in
their slots. A step is made a storage step when a sparse value first reaches it.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .. import autograd as _ag
from ..base import MXNetError, MXNetValueError
from ..ndarray.invoke import diagnose, invoke, resolve_kernel
from ..ndarray.ndarray import NDArray, _wrap
from . import planner
from .placement import CrossDeviceCopy, place_nodes, transfer

__all__ = ["Program", "Step", "compile_symbol"]

#: ops that may write their first output over an input of the same size (memory planning)
_INPLACE_AREAS = ("elemwise", "activation")
_NOT_INPLACE = frozenset(("softmax", "log_softmax", "softmin", "Cast"))


class Step:
    """One op node: kernel, attrs, input and output slots."""

    __slots__ = ("op", "name", "attrs", "kernel", "kw_predict", "kw_train", "rec_attrs",
                 "ins", "outs", "n_out", "simple", "release", "inplace", "copy_outs",
                 "str_attrs", "ctx", "writeback", "storage")

    def __init__(self, op: Any, name: str, attrs: Dict[str, Any], kernel: Any,
                 ins: Tuple[int, ...], outs: Tuple[int, ...], str_attrs: Dict[str, str],
                 ctx: Any = None):
        self.op = op
        #: the context the step runs on
        self.ctx = ctx
        #: (input position, slot): a mutated input read through a cross-context copy whose
        #: new value is copied back into ``slot`` (an auxiliary state on another context)
        self.writeback: Tuple[Tuple[int, int], ...] = ()
        self.name = name
        self.attrs = attrs
        self.kernel = kernel
        #: the params as the user wrote them (MXNet's string form), for debug_str
        self.str_attrs = str_attrs
        if op.uses_train_flag:
            self.kw_predict = dict(attrs, is_train=False)
            self.kw_train = dict(attrs, is_train=True)
            self.rec_attrs = self.kw_train
        else:
            self.kw_predict = self.kw_train = self.rec_attrs = attrs
        self.ins = ins
        self.outs = outs
        self.n_out = len(outs)
        # one output, nothing written back, no rng: the tight path
        self.simple = self.n_out == 1 and not op.mutates and not op.uses_rng
        #: runs through mx.nd's storage-type dispatch (it may read sparse values)
        self.storage = False
        self.release: Tuple[int, ...] = ()
        self.inplace = op.area in _INPLACE_AREAS and op.name not in _NOT_INPLACE
        #: indexes of outputs that are graph outputs of an op that may return views
        self.copy_outs: Tuple[int, ...] = ()


class Program:
    """The compiled graph: steps, slot layout, and where arguments/aux/outputs live."""

    def __init__(self, steps: List[Step], n_slots: int, arg_slots: List[int],
                 aux_slots: List[int], out_slots: List[int], var_names: Dict[int, str],
                 device_id: int = 0, slot_ctx: Optional[List[Any]] = None,
                 sparse_slots: Iterable[int] = ()):
        self.steps = steps
        #: per slot, the context its value lives on
        self.slot_ctx: List[Any] = slot_ctx if slot_ctx is not None else [None] * n_slots
        self.device_id = device_id
        self.n_slots = n_slots
        self.arg_slots = arg_slots
        self.aux_slots = aux_slots
        self.out_slots = out_slots
        self.var_names = var_names
        self.external: Set[int] = set(arg_slots) | set(aux_slots)
        ins = [s.ins for s in steps]
        outs = [s.outs for s in steps]
        for step, release in zip(steps, planner.release_lists(
                ins, outs, n_slots, out_slots, self.external)):
            step.release = release
        out_set = set(out_slots)
        for step in steps:
            if step.op.may_alias:
                step.copy_outs = tuple(j for j, s in enumerate(step.outs) if s in out_set)
        #: per slot (shape, dtype) seen on the last run; filled by the first forward
        self.slot_info: List[Optional[Tuple[Tuple[int, ...], Any]]] = [None] * n_slots
        self.checked = False
        #: slots that have held a sparse value, and the steps reading each slot
        self.sparse_slots: Set[int] = set()
        self._readers: Dict[int, List[Step]] = {}
        for step in steps:
            for i in step.ins:
                self._readers.setdefault(i, []).append(step)
            if step.op.name == "cast_storage" and step.attrs.get("stype") != "default":
                _make_storage(step)
        for slot in sparse_slots:
            self.route_sparse(slot)

    @property
    def has_storage(self) -> bool:
        """Whether a step may see sparse values (the compiled backward then stays off)."""
        return any(step.storage for step in self.steps)

    def route_sparse(self, slot: int) -> None:
        """``slot`` holds sparse values: its readers become storage steps."""
        if slot in self.sparse_slots:
            return
        self.sparse_slots.add(slot)
        for step in self._readers.get(slot, ()):
            _make_storage(step)

    # -- running ------------------------------------------------------------------------------
    def run_predict(self, vals: List[Any], ctx: Any) -> None:
        """Inference: kernels on backend arrays; values die after their last use.

        ``vals`` holds the argument/aux data in their slots on entry and the outputs in
        their slots on return. The first run also validates each op's inputs (shapes are
        fixed for an executor) and keeps each slot's shape and dtype for the memory plan.
        """
        if not self.checked:
            return self._run_checked(vals, ctx)
        step = None
        try:
            for step in self.steps:
                if step.simple:
                    vals[step.outs[0]] = step.kernel(*[vals[i] for i in step.ins],
                                                     **step.kw_predict)
                else:
                    self._run_general(step, vals, step.kw_predict)
                _finish_step(step, vals, step.release)
        except Exception as exc:
            if step is None:
                raise
            raise _step_error(step, [vals[i] for i in step.ins], ctx, exc) from exc

    def _run_checked(self, vals: List[Any], ctx: Any) -> None:
        """The inference loop with validation and slot-size bookkeeping (first run)."""
        info = self.slot_info
        step = None
        try:
            for step in self.steps:
                if not step.storage:
                    _validate(step, [vals[i] for i in step.ins])
                self._run_general(step, vals, step.kw_predict)
                for slot in step.outs:
                    if vals[slot] is not None:  # a storage step fills visible outputs only
                        info[slot] = (tuple(vals[slot].shape), vals[slot].dtype)
                _finish_step(step, vals, step.release)
        except Exception as exc:
            if step is None:
                raise
            raise _step_error(step, [vals[i] for i in step.ins], ctx, exc) from exc
        self.checked = True

    def _run_general(self, step: Step, vals: List[Any], kwargs: dict) -> None:
        if step.storage:
            self._run_storage(step, vals, False)
            return
        results = self._call_kernel(step, [vals[i] for i in step.ins], kwargs, vals)
        for slot, r in zip(step.outs, results):
            vals[slot] = r

    def _call_kernel(self, step: Step, datas: List[Any], kwargs: dict,
                     slots: List[Any]) -> List[Any]:
        """Run ``step``'s kernel on backend arrays and return its visible results; the new
        values of the inputs the op mutates are written into them (and back to their source
        ``slots`` when they were copied across contexts)."""
        op = step.op
        backend = step.ctx.backend
        if op.uses_rng:
            kwargs = dict(kwargs, rng=backend.rng(step.ctx.device_id))
        result = step.kernel(*datas, **kwargs)
        if step.n_out == 1 and not op.mutates:
            return [result]
        results = list(result)
        if op.mutates and len(results) > step.n_out:
            setitem = backend.kernels["setitem"]
            for i, value in zip(op.mutates, results[step.n_out:]):
                setitem(datas[i], (), value)
            if step.writeback:
                self._write_back(step, datas, slots)
        return results[:step.n_out]

    def _run_storage(self, step: Step, vals: List[Any], train: bool) -> None:
        """A storage step: ``mx.nd`` dispatch on NDArrays (recording when ``train``).

        Dense results go back into ``vals`` as backend arrays (inference) or NDArrays
        (training); sparse results stay NDArrays, and their readers become storage steps.
        """
        ctx = step.ctx
        inputs = [v if isinstance(v, NDArray) else _wrap(v, ctx)
                  for v in [vals[i] for i in step.ins]]
        with _ag._Scope(train, train):
            if step.op.name == "cast_storage":
                results = [_cast_storage(step, inputs[0])]
            else:
                result = invoke(step.op, inputs, step.attrs)
                results = result if isinstance(result, list) else [result]
        for slot, r in zip(step.outs, results):
            if r.stype != "default":
                if slot not in self.sparse_slots:
                    self.route_sparse(slot)
                vals[slot] = r
            else:
                data = r._sync()
                vals[slot] = r if train else data

    def _write_back(self, step: Step, datas: Sequence[Any], vals: Sequence[Any]) -> None:
        """Copy mutated inputs read through cross-context copies back to their owners."""
        for pos, slot in step.writeback:
            dst = self.slot_ctx[slot]
            data = vals[slot]
            if isinstance(data, NDArray):
                data = data._data
            value = transfer(datas[pos], step.ctx, dst)
            dst.backend.kernels["setitem"](data, (), value)

    def run_train_compiled(self, vals: List[Any], ctx: Any,
                           release: Sequence[Tuple[int, ...]]) -> None:
        """Training mode on backend arrays with no tape (backward is a compiled replay).

        ``release`` (per step) drops the values neither a later step nor the backward reads.
        """
        step = None
        try:
            for step, drop in zip(self.steps, release):
                if step.simple:
                    vals[step.outs[0]] = step.kernel(*[vals[i] for i in step.ins],
                                                     **step.kw_train)
                else:
                    self._run_general(step, vals, step.kw_train)
                _finish_step(step, vals, drop)
        except Exception as exc:
            if step is None:
                raise
            raise _step_error(step, [vals[i] for i in step.ins], ctx, exc) from exc

    def run_train(self, nds: List[Any], ctx: Any) -> None:
        """Training: the same kernels in training mode, recording autograd nodes.

        ``nds`` holds NDArrays (argument arrays marked as variables) in the argument/aux
        slots; on return every slot holds its NDArray.
        """
        info = self.slot_info if not self.checked else None
        step = None
        try:
            for step in self.steps:
                if step.storage:
                    self._run_storage(step, nds, True)
                    if info is not None:
                        for slot in step.outs:
                            if nds[slot] is not None:
                                info[slot] = (tuple(nds[slot].shape), nds[slot].dtype)
                    continue
                op = step.op
                ctx = step.ctx
                backend = ctx.backend
                inputs = [nds[i] for i in step.ins]
                datas = [x._data for x in inputs]
                if not self.checked:
                    _validate(step, datas)
                results = self._call_kernel(step, datas, step.kw_train, nds)
                if step.copy_outs:
                    copy = backend.kernels["copy"]
                    for j in step.copy_outs:
                        results[j] = copy(results[j])
                outputs = [_wrap(r, ctx) for r in results]
                if op.differentiable:
                    for x in inputs:
                        if x._ag is not None:
                            _ag.record_op(op, step.rec_attrs, inputs, outputs)
                            break
                for slot, o in zip(step.outs, outputs):
                    nds[slot] = o
                if info is not None:
                    for slot, r in zip(step.outs, results):
                        info[slot] = (tuple(r.shape), r.dtype)
        except Exception as exc:
            if step is None:
                raise
            raise _step_error(step, [_data_of(nds[i]) for i in step.ins], ctx, exc) from exc
        self.checked = True

    # -- planning -------------------------------------------------------------------------------
    def slot_bytes(self) -> List[int]:
        out = []
        for entry in self.slot_info:
            if entry is None:
                out.append(0)
                continue
            shape, dtype = entry
            n = 1
            for d in shape:
                n *= int(d)
            out.append(n * _itemsize(dtype))
        return out

    def plans(self, grad_slots: Set[int], backward: Any = None
              ) -> Tuple[planner.MemoryPlan, planner.MemoryPlan]:
        """(inference plan, training plan) from the sizes seen on the last run.

        With ``backward`` (the captured :class:`~.backward.BackwardPlan`) the training plan
        covers the forward and backward graphs together, as the executor runs them: the
        activations backward reads live to the end of the step (backward may be repeated),
        the others die in the forward pass. Without it, it is the static estimate that keeps
        every activation for backward.
        """
        ins = [s.ins for s in self.steps]
        outs = [s.outs for s in self.steps]
        inplace = [s.inplace for s in self.steps]
        sizes = self.slot_bytes()
        infer = planner.plan_inference(ins, outs, sizes, self.out_slots, self.external,
                                       inplace)
        if backward is None:
            train = planner.plan_training(ins, outs, sizes, self.out_slots, self.external,
                                          grad_slots)
        else:
            bwd_ins, bwd_outs, heads, bwd_sizes = backward.graph()
            train = planner.plan_forward_backward(ins, outs, inplace, bwd_ins, bwd_outs, heads,
                                                  sizes + bwd_sizes,
                                                  list(self.out_slots) + backward.needed_slots,
                                                  self.external)
        return infer, train


def _itemsize(dtype: Any) -> int:
    size = getattr(dtype, "itemsize", None)
    if not isinstance(size, int):  # a scalar type (NDArray.dtype), not a numpy.dtype
        import numpy as np

        size = np.dtype(dtype).itemsize
    return int(size)


def _validate(step: Step, datas: Sequence[Any]) -> None:
    check = step.op.check
    if check is not None:
        check([d.shape for d in datas], [d.dtype for d in datas], **step.attrs)


def _step_error(step: Step, datas: Sequence[Any], ctx: Any, exc: BaseException) -> MXNetError:
    if step.ctx is not None:
        ctx = step.ctx
    err = diagnose(step.op.name, datas, ctx.backend.name, exc)
    msg = str(err)
    if step.name and f"node {step.name!r}" not in msg:
        msg = f"{msg} (node {step.name!r})"
    return type(err)(msg)


# -- compiling ----------------------------------------------------------------------------------
def compile_symbol(symbol: Any, ctx: Any, arg_names: Sequence[str],
                   aux_names: Sequence[str], group2ctx: Optional[Dict[str, Any]] = None,
                   var_ctx: Optional[Dict[str, Any]] = None,
                   sparse_vars: Iterable[str] = ()) -> Program:
    """Flatten ``symbol`` into steps with slots; resolve every kernel for its context.

    Without ``group2ctx`` every step runs on ``ctx``. With it, nodes are placed by
    ``placement.place_nodes`` (``var_ctx``: variable name -> its array's context) and a copy
    step is inserted wherever a value is read on another context than the one it lives on.
    ``sparse_vars``: the variables bound to sparse arrays (their readers are storage steps).
    """
    nodes = symbol._topo()
    placed = place_nodes(nodes, ctx, group2ctx, var_ctx or {}) if group2ctx else None
    slot_of: Dict[Tuple[int, int], int] = {}
    var_slot: Dict[str, int] = {}
    var_names: Dict[int, str] = {}
    for name in list(arg_names) + list(aux_names):
        if name not in var_slot:
            var_slot[name] = len(var_slot)
            var_names[var_slot[name]] = name
    n_slots = len(var_slot)
    slot_ctx: List[Any] = [ctx] * n_slots
    if placed is not None:
        for node in nodes:
            if node.op is None and node.name in var_slot:
                slot_ctx[var_slot[node.name]] = placed[id(node)]
    steps: List[Step] = []
    copies: Dict[Tuple[int, Any], int] = {}
    slot_name: Dict[int, str] = dict(var_names)

    def read_on(slot: int, where: Any) -> int:
        """``slot``'s value on context ``where`` (a copy step the first time it is needed)."""
        nonlocal n_slots
        src = slot_ctx[slot]
        if src is where:
            return slot
        key = (slot, where)
        if key not in copies:
            op = CrossDeviceCopy(src, where)
            name = f"{slot_name.get(slot, f'slot{slot}')}_to_{where}"
            copies[key] = n_slots
            steps.append(Step(op, name, {}, op.kernel, (slot,), (n_slots,), {}, where))
            slot_ctx.append(where)
            n_slots += 1
        return copies[key]

    for node in nodes:
        if node.op is None:
            slot = var_slot.get(node.name)
            if slot is None:
                raise MXNetValueError(
                    f"bind: variable {node.name!r} is neither an argument nor an auxiliary "
                    "state of the symbol")
            slot_of[(id(node), 0)] = slot
            continue
        op = node.op
        where = placed[id(node)] if placed is not None else ctx
        attrs = op.parse_attrs(dict(node.attrs))
        ins = []
        writeback = []
        for pos, (src, index) in enumerate(node.inputs):
            key = (id(src), int(index))
            if key not in slot_of:
                raise MXNetValueError(
                    f"bind: node {node.name!r} ({op.name}) reads output {index} of "
                    f"{getattr(src, 'name', src)!r}, which the graph does not produce")
            slot = slot_of[key]
            if placed is not None:
                local = read_on(slot, where)
                if local != slot and pos in op.mutates:
                    writeback.append((pos, slot))
                slot = local
            ins.append(slot)
        n_out = op.output_count(attrs)
        outs = tuple(range(n_slots, n_slots + n_out))
        n_slots += n_out
        slot_ctx.extend([where] * n_out)
        for j, slot in enumerate(outs):
            slot_of[(id(node), j)] = slot
            slot_name[slot] = node.name if n_out == 1 else f"{node.name}{j}"
        kernel = op.kernel_cache.get(where)
        if kernel is None:
            kernel = resolve_kernel(op, where)
        step = Step(op, node.name, attrs, kernel, tuple(ins), outs,
                    dict(getattr(node, "str_attrs", None) or {}), where)
        step.writeback = tuple(writeback)
        steps.append(step)
    out_slots = []
    for node, index in symbol._outputs:
        key = (id(node), int(index))
        if key not in slot_of:
            raise MXNetValueError(f"bind: output {index} of {node.name!r} is not produced")
        out_slots.append(slot_of[key])
    return Program(steps, n_slots, [var_slot[n] for n in arg_names],
                   [var_slot[n] for n in aux_names], out_slots, var_names,
                   getattr(ctx, "device_id", 0), slot_ctx,
                   [var_slot[n] for n in sparse_vars if n in var_slot])


def _make_storage(step: Step) -> None:
    step.storage = True
    step.simple = False
    step.copy_outs = ()  # dispatch copies outputs that may alias inputs


def _cast_storage(step: Step, x: NDArray) -> NDArray:
    """``cast_storage`` in a graph (dense to sparse needs the frontend conversion)."""
    from ..ndarray.sparse import cast_storage

    out = cast_storage(x, step.attrs["stype"])
    if _ag.STATE.recording and x._ag is not None:
        _ag.record_op(step.op, step.attrs, [x], [out])
    return out


def _data_of(x: Any) -> Any:
    return x._data if isinstance(x, NDArray) and x.stype == "default" else x


def _finish_step(step: Step, vals: List[Any], release: Sequence[int]) -> None:
    """After a step ran: copy the outputs that may alias inputs, drop values now dead."""
    if step.copy_outs:
        copy = step.ctx.backend.kernels["copy"]
        for j in step.copy_outs:
            vals[step.outs[j]] = copy(vals[step.outs[j]])
    for slot in release:
        vals[slot] = None
