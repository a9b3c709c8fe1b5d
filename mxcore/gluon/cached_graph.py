"""Hybridized execution: a block's ``hybrid_forward`` traced once with ``F = mx.sym``.

The traced Symbol is compiled per (context, input shapes, input dtypes) into the executor's
flat step list (``mxcore.executor.program``) and run on the real input and parameter
NDArrays. Under ``autograd.record()`` every step is recorded on the ordinary autograd tape,
so gradients reach parameters and inputs exactly as in the imperative run; outside
recording the steps run straight on backend arrays and intermediates are freed early.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .. import autograd as _ag
from .. import engine as _engine
from .. import symbol as sym
from ..base import MXNetError, MXNetValueError
from ..context import Context, current_context
from ..executor import planner
from ..executor.backward import BackwardPlan, Capture
from ..executor.executor import _same_grads
from ..executor.program import Program, compile_symbol
from ..ndarray import NDArray
from ..ndarray.invoke import CAPTURE, invoke
from ..ndarray.ndarray import _wrap
from .parameter import Parameter

__all__ = ["CachedGraph", "flatten", "regroup", "trace", "param_var", "imperative_scope",
           "imperative_forced", "input_names", "substitute"]

_AG = _ag.STATE
_ENGINE = _engine._Current

#: format tags of :func:`flatten` (an int n >= 0 is one array / a symbol of n > 1 outputs)
_NONE = "none"

#: record a hybridized training call as one autograd node with a compiled backward where
#: possible (False: every step on the tape, as before)
ONE_NODE = True


class _State(threading.local):
    def __init__(self) -> None:
        #: id(Parameter) -> its variable, while a trace runs (one variable per parameter)
        self.vars: Optional[Dict[int, Tuple[Parameter, Any]]] = None
        #: > 0 while a call must run imperatively (a deferred-shape first call)
        self.imperative = 0


_STATE = _State()


# -- nested inputs and outputs ------------------------------------------------------------------
def flatten(value: Any, leaf: type) -> Tuple[Optional[List[Any]], Any]:
    """Leaves of nested lists/tuples (instances of ``leaf`` or None) and their format.

    Returns ``(None, None)`` when a leaf of another type is found.
    """
    if isinstance(value, leaf):
        if isinstance(value, sym.Symbol) and len(value) > 1:
            return [value], len(value)
        return [value], 0
    if value is None:
        return [], _NONE
    if isinstance(value, (list, tuple)):
        flat: List[Any] = []
        fmts = []
        for item in value:
            items, fmt = flatten(item, leaf)
            if items is None:
                return None, None
            flat.extend(items)
            fmts.append(fmt)
        return flat, (type(value).__name__, tuple(fmts))
    return None, None


def regroup(flat: Sequence[Any], fmt: Any) -> Tuple[Any, Sequence[Any]]:
    """Rebuild the nested value of format ``fmt`` from ``flat``; returns (value, rest)."""
    if fmt == _NONE:
        return None, flat
    if isinstance(fmt, int):
        if fmt == 0:
            return flat[0], flat[1:]
        return list(flat[:fmt]), flat[fmt:]
    kind, fmts = fmt
    items = []
    for sub in fmts:
        item, flat = regroup(flat, sub)
        items.append(item)
    return (tuple(items) if kind == "tuple" else items), flat


def input_names(count: int) -> List[str]:
    """MXNet's names of a traced block's inputs: ``data``, or ``data0``, ``data1`` ..."""
    return ["data"] if count == 1 else [f"data{i}" for i in range(count)]


# -- tracing --------------------------------------------------------------------------------------
class _TraceScope:
    def __enter__(self) -> "_TraceScope":
        self._old = _STATE.vars
        _STATE.vars = {}
        return self

    def __exit__(self, *exc: Any) -> None:
        _STATE.vars = self._old


def param_var(param: Parameter) -> Any:
    """The variable of ``param``; one shared variable per parameter within a trace."""
    table = _STATE.vars
    if table is None:
        return param.var()
    hit = table.get(id(param))
    if hit is None:
        hit = table[id(param)] = (param, param.var())
    return hit[1]


class _ImperativeScope:
    def __enter__(self) -> None:
        _STATE.imperative += 1

    def __exit__(self, *exc: Any) -> None:
        _STATE.imperative -= 1


def imperative_scope() -> _ImperativeScope:
    """Inside it, hybridized blocks run imperatively (used for deferred-shape first calls)."""
    return _ImperativeScope()


def imperative_forced() -> bool:
    return _STATE.imperative > 0


def trace(block: Any, flat: Sequence[Any], in_fmt: Any) -> "CachedGraph":
    """Trace ``block.hybrid_forward`` with variables for the inputs; returns its graph."""
    names = input_names(len(flat))
    with _TraceScope():
        inputs = [sym.var(name) for name in names]
        args, _ = regroup(inputs, in_fmt)
        out = block._symbolic_forward(*args)
        traced = dict(_STATE.vars or {})
    outs, out_fmt = flatten(out, sym.Symbol)
    if not outs:
        raise MXNetValueError(f"{type(block).__name__} '{block.name}': hybrid_forward "
                              f"returned no Symbol outputs (got {type(out).__name__})")
    params = {p.name: p for p in block.collect_params().values()}
    params.update({p.name: p for p, _ in traced.values()})
    return CachedGraph(sym.Group(outs), names, out_fmt, params, str(block.name))


def substitute(symbol: Any, replace: Dict[str, Any]) -> Any:
    """A copy of ``symbol`` whose variables named in ``replace`` are those symbols."""
    from ..symbol.symbol import _Node

    entries = {}
    for name, value in replace.items():
        if len(value) != 1:
            raise MXNetValueError(f"substitute: the symbol for {name!r} must have one "
                                  f"output, got {len(value)}")
        entries[name] = value._outputs[0]
    new: Dict[int, Any] = {}
    for node in symbol._topo():
        if node.op is None:
            new[id(node)] = entries.get(node.name, (node, 0))
            continue
        inputs = []
        for src, index in node.inputs:
            mapped = new[id(src)]
            inputs.append(mapped if src.op is None else (mapped[0], index))
        clone = _Node(node.op, node.name, node.attrs, inputs, node.user_attrs, node.str_attrs)
        new[id(node)] = (clone, 0)
    return sym.Symbol([(new[id(n)][0], i) if n.op is not None else new[id(n)]
                       for n, i in symbol._outputs])


# -- running ---------------------------------------------------------------------------------------
class CachedGraph:
    """A traced Symbol with its inputs' names and parameters, compiled per input signature.

    ``run`` takes the flat input NDArrays and returns the flat output NDArrays.
    """

    def __init__(self, symbol: Any, inputs: Sequence[str], out_fmt: Any,
                 params: Dict[str, Parameter], owner: str = "") -> None:
        self.symbol = symbol
        self.input_names = list(inputs)
        self.out_fmt = out_fmt
        self.owner = owner
        self.arg_names: List[str] = symbol.list_arguments()
        self.aux_names: List[str] = symbol.list_auxiliary_states()
        position = {name: i for i, name in enumerate(self.input_names)}
        #: per variable (arguments then aux states): input index, or the Parameter
        self.sources: List[Any] = []
        unknown = []
        for name in self.arg_names + self.aux_names:
            if name in position:
                self.sources.append(position[name])
            elif name in params:
                self.sources.append(params[name])
            else:
                unknown.append(name)
        if unknown:
            raise MXNetValueError(
                f"hybridize '{owner}': the graph reads variables {unknown} that are neither "
                f"inputs {self.input_names} nor parameters of the block")
        self.params = [s for s in self.sources if isinstance(s, Parameter)]
        self.programs: Dict[tuple, Program] = {}
        self.compiled: Dict[int, _Compiled] = {}

    @property
    def num_outputs(self) -> int:
        return len(self.symbol._outputs)

    def pending_params(self) -> List[Parameter]:
        """Parameters whose initialisation still waits for their shapes."""
        return [p for p in self.params if p._data is None and p._deferred_init]

    def program(self, inputs: Sequence[NDArray], ctx: Context) -> Program:
        """The compiled steps for these inputs' shapes and dtypes on ``ctx`` (built once)."""
        key = (ctx,) + tuple((x.shape, x.dtype) for x in inputs)
        program = self.programs.get(key)
        if program is None:
            program = compile_symbol(self.symbol, ctx, self.arg_names, self.aux_names)
            self.programs[key] = program
        return program

    def run(self, inputs: Sequence[NDArray], ctx: Optional[Context] = None) -> List[NDArray]:
        """Run the graph on the flat ``inputs``; returns the flat outputs."""
        if ctx is None:
            ctx = inputs[0].context if inputs else current_context()
        arrays = [inputs[s] if isinstance(s, int) else s.data(ctx) for s in self.sources]
        program = self.program(inputs, ctx)
        slots = program.arg_slots + program.aux_slots
        plain = not _ENGINE.is_async and all(type(a) is NDArray for a in arrays)
        if plain and not _AG.recording and not _AG.training:
            vals: List[Any] = [None] * program.n_slots
            for slot, arr in zip(slots, arrays):
                vals[slot] = arr._data
            program.run_predict(vals, ctx)
            return [_wrap(vals[s], ctx) for s in program.out_slots]
        nds: List[Any] = [None] * program.n_slots
        for slot, arr in zip(slots, arrays):
            nds[slot] = arr
        if plain and _AG.recording and _AG.training:
            outs = self._run_one_node(program, arrays, nds, ctx) if ONE_NODE else None
            if outs is not None:
                return outs
            program.run_train(nds, ctx)
        else:
            _run_invoked(program, nds, ctx)
        return [nds[s] for s in program.out_slots]

    def _run_one_node(self, program: Program, arrays: Sequence[NDArray], nds: List[Any],
                      ctx: Context) -> Optional[List[NDArray]]:
        """Training forward recorded as one node; None where the per-step path must run."""
        if not any(a._ag is not None for a in arrays):
            return None
        comp = self.compiled.get(id(program))
        if comp is None or comp.program is not program:
            comp = self.compiled[id(program)] = _Compiled(program)
        if comp.state < 0:
            return None
        slots = program.arg_slots + program.aux_slots
        if comp.state == 2:
            vals: List[Any] = [None] * program.n_slots
            for slot, arr in zip(slots, arrays):
                vals[slot] = arr._data
            program.run_train_compiled(vals, ctx, comp.release)
            datas = [vals[s] for s in program.out_slots]
            saved = _Saved(None, vals)
        else:
            for slot, arr in zip(slots, arrays):
                handle = _wrap(arr._data, ctx)
                handle._ag = _ag.Entry(None, 0, "write", handle)
                nds[slot] = handle
            program.run_train(nds, ctx)
            datas = [nds[s]._data for s in program.out_slots]
            saved = _Saved(nds, None)
        outputs = [_wrap(d, ctx) for d in datas]
        _ag.record_op(_GraphOp(comp, ctx, len(arrays)), {"saved": saved}, list(arrays),
                      outputs)
        return outputs


def _run_invoked(program: Program, nds: List[Any], ctx: Context) -> None:
    """The general path (any autograd mode, asynchronous engine, sparse inputs): each step
    through imperative dispatch."""
    for step in program.steps:
        try:
            out = invoke(step.op, [nds[i] for i in step.ins], step.attrs, ctx=ctx)
        except MXNetError as exc:
            msg = str(exc)
            if f"node {step.name!r}" in msg:
                raise
            raise type(exc)(f"{msg} (node {step.name!r})") from exc
        outs = out if isinstance(out, list) else [out]
        for slot, value in zip(step.outs, outs):
            nds[slot] = value


# -- one autograd node per call (compiled backward) -------------------------------------------
class _Compiled:
    """Per program: the captured backward and where capture stands.

    ``state``: 0 capture on the next backward, 1 check the replay on the next backward,
    2 forward without a tape and backward by replay, -1 capture impossible (per-step path).
    """

    def __init__(self, program: Program) -> None:
        self.program = program
        self.state = -1 if any(s.op.uses_rng for s in program.steps) else 0
        self.plan: Optional[BackwardPlan] = None
        #: per argument/aux variable, whether the captured plan computes its gradient
        self.needed: Optional[Tuple[bool, ...]] = None
        self.release: Optional[List[Tuple[int, ...]]] = None


class _GraphOp:
    """The autograd op of one hybridized call: the whole cached graph as one node."""

    __slots__ = ("compiled", "ctx", "n_inputs")
    name = "_CachedGraph"
    differentiable = True
    partial_gradient = False

    def __init__(self, compiled: _Compiled, ctx: Context, n_inputs: int) -> None:
        self.compiled = compiled
        self.ctx = ctx
        self.n_inputs = n_inputs

    def gradient(self, F: Any, inputs: Sequence[Any], outputs: Sequence[Any],
                 out_grads: Sequence[Any], saved: Any = None) -> List[Any]:
        comp = self.compiled
        program = comp.program
        needed = tuple(_ag._needs_grad(x) for x in inputs)
        if _AG.recording or _ENGINE.is_async:  # create_graph: a recorded recomputation
            nds = _recompute(program, inputs, self.ctx)
            return _sweep(program, nds, list(out_grads), needed, record=True)
        if saved.vals is not None:
            if needed == comp.needed and _plain_heads(out_grads, outputs):
                return _replay(comp, saved.vals, out_grads, self.ctx)
            nds = _recompute(program, inputs, self.ctx)
            return _sweep(program, nds, list(out_grads), needed, record=False)
        nds = saved.nds
        if comp.state not in (0, 1) or not _plain_heads(out_grads, outputs):
            return _sweep(program, nds, list(out_grads), needed, record=False)
        slot_data = [None if v is None else v._data for v in nds]
        head_data = [g._data for g in out_grads]
        slots = program.arg_slots + program.aux_slots
        if comp.state == 0:
            capture = Capture(slot_data, head_data)
            CAPTURE.rec = capture
            try:
                grads = _sweep(program, nds, list(out_grads), needed, record=False)
            finally:
                CAPTURE.rec = None
            plan = capture.finish([(i, g) for i, g in enumerate(grads) if g is not None])
            comp.plan, comp.needed = plan, needed
            comp.state = 1 if plan is not None else -1
            return grads
        grads = _sweep(program, nds, list(out_grads), needed, record=False)
        ok = needed == comp.needed
        if ok:
            replayed: List[Tuple[int, Any]] = []
            try:
                comp.plan.run(list(slot_data), head_data,
                              lambda pos, data: replayed.append((pos, data)))
                ok = _same_grads(replayed, [(i, g) for i, g in enumerate(grads)
                                            if g is not None])
            except Exception:  # the replay is only an optimisation
                ok = False
        if ok:
            keep = list(program.out_slots) + list(comp.plan.needed_slots)
            comp.release = planner.release_lists(
                [s.ins for s in program.steps], [s.outs for s in program.steps],
                program.n_slots, keep, set(slots))
            comp.state = 2
        else:
            comp.state = -1
        return grads


class _Saved:
    """What one recorded call keeps for its gradient: the inner tape or the kept values."""

    __slots__ = ("nds", "vals")

    def __init__(self, nds: Optional[List[Any]], vals: Optional[List[Any]]) -> None:
        self.nds = nds
        self.vals = vals


def _plain_heads(out_grads: Sequence[Any], outputs: Sequence[Any]) -> bool:
    return all(type(g) is NDArray and g.shape == o.shape and g.dtype == o.dtype
               for g, o in zip(out_grads, outputs))


def _recompute(program: Program, inputs: Sequence[Any], ctx: Context) -> List[Any]:
    """The forward again on ``inputs``, recorded per step (auxiliary states on copies, so
    they are not updated twice)."""
    nds: List[Any] = [None] * program.n_slots
    n_args = len(program.arg_slots)
    for k, (slot, x) in enumerate(zip(program.arg_slots + program.aux_slots, inputs)):
        if k >= n_args:
            x = _wrap(x._ctx.backend.kernels["copy"](x._sync()), x._ctx)
        nds[slot] = x
    with _ag.train_mode():
        program.run_train(nds, ctx)
    return nds


def _sweep(program: Program, nds: List[Any], out_grads: List[Any],
           needed: Sequence[bool], record: bool) -> List[Any]:
    """Reverse sweep over the steps recorded on ``nds``; one gradient per variable."""
    from .. import ndarray as F

    slots = program.arg_slots + program.aux_slots
    want: Dict[int, bool] = {}
    for slot, need in zip(slots, needed):
        want[slot] = want.get(slot, False) or need
    grads: Dict[int, Any] = {}

    def add(slot: int, g: Any) -> None:
        prev = grads.get(slot)
        grads[slot] = g if prev is None else prev + g

    for slot, g in zip(program.out_slots, out_grads):
        if g is not None:
            add(slot, g)
    with _ag._Scope(record, True):
        for step in reversed(program.steps):
            ograds = [grads.pop(s, None) for s in step.outs]
            if all(g is None for g in ograds):
                continue
            entry = nds[step.outs[0]]._ag
            if entry is None or entry.node is None:
                continue
            node = entry.node
            outs = node.outputs
            ograds = [F.zeros_like(o) if g is None else g for g, o in zip(ograds, outs)]
            if record:
                outs = _ag._recordable_outputs(node, outs)
            if getattr(node.op, "partial_gradient", False):
                need = [want.get(s, True) for s in step.ins]
                in_grads = node.op.gradient(F, node.inputs, outs, ograds, needed=need,
                                            **node.attrs)
            else:
                in_grads = node.op.gradient(F, node.inputs, outs, ograds, **node.attrs)
            for s, g in zip(step.ins, in_grads):
                if g is not None and want.get(s, True):
                    add(s, g)
    return [grads.get(slot) if need else None for slot, need in zip(slots, needed)]


def _replay(comp: _Compiled, vals: List[Any], out_grads: Sequence[Any],
            ctx: Context) -> List[Any]:
    result: List[Any] = [None] * len(comp.needed or ())
    head_data = [g._sync() for g in out_grads]

    def sink(pos: int, data: Any) -> None:
        result[pos] = _wrap(data, ctx)

    comp.plan.run(list(vals), head_data, sink)
    return result
