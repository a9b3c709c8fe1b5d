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
from ..executor.program import Program, compile_symbol
from ..ndarray import NDArray
from ..ndarray.invoke import invoke
from ..ndarray.ndarray import _wrap
from .parameter import Parameter

__all__ = ["CachedGraph", "flatten", "regroup", "trace", "param_var", "imperative_scope",
           "imperative_forced", "input_names", "substitute"]

_AG = _ag.STATE
_ENGINE = _engine._Current

#: format tags of :func:`flatten` (an int n >= 0 is one array / a symbol of n > 1 outputs)
_NONE = "none"


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
            program.run_train(nds, ctx)
        else:
            _run_invoked(program, nds, ctx)
        return [nds[s] for s in program.out_slots]


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
