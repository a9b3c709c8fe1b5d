"""SymbolBlock: a Symbol graph used as a HybridBlock (MXNet 1.x ``gluon.SymbolBlock``)."""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .. import symbol as sym
from ..base import MXNetTypeError, MXNetValueError
from ..ndarray import NDArray
from . import cached_graph as _cg
from .block import HybridBlock, _first_context, _is_symbol
from .parameter import CtxArg, ParameterDict

__all__ = ["SymbolBlock"]


class SymbolBlock(HybridBlock):
    """Runs the graph ``outputs`` of the variables ``inputs``; every other variable of the
    graph becomes a Parameter named like it (auxiliary states get ``grad_req='null'``).

    Parameter shapes and dtypes are inferred from the first input when not loaded.

    Example::

        >>> import mxcore as mx
        >>> data = mx.sym.var("data")
        >>> fc = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
        >>> net = mx.gluon.SymbolBlock(fc, data)
        >>> sorted(net.collect_params())
        ['fc_bias', 'fc_weight']
        >>> net.initialize()
        >>> net(mx.nd.ones((3, 4))).shape
        (3, 2)
    """

    def __init__(self, outputs: Any, inputs: Any,
                 params: Optional[ParameterDict] = None) -> None:
        super().__init__(prefix="", params=None)
        object.__setattr__(self, "_prefix", "")
        object.__setattr__(self, "_name", "")
        object.__setattr__(self, "_params", ParameterDict("", params))
        if isinstance(inputs, sym.Symbol) and len(inputs) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        in_syms, in_fmt = _cg.flatten(inputs, sym.Symbol)
        outs, out_fmt = _cg.flatten(outputs, sym.Symbol)
        if in_syms is None or not outs:
            raise MXNetTypeError("SymbolBlock: outputs and inputs must be Symbols or (nested) "
                                 "lists of Symbols")
        names = [_variable_name(s) for s in in_syms]
        graph = sym.Group(outs)
        for name in graph.list_arguments():
            if name not in names:
                self.params.get(name, allow_deferred_init=True)
        for name in graph.list_auxiliary_states():
            if name not in names:
                self.params.get(name, grad_req="null", allow_deferred_init=True)
        by_name = {p.name: p for p in self.params.values()}
        cached = _cg.CachedGraph(graph, names, out_fmt, by_name, "SymbolBlock")
        object.__setattr__(self, "_cached_graph", cached)
        object.__setattr__(self, "_in_fmt", in_fmt)
        object.__setattr__(self, "_active", True)
        cut = len(os.path.commonprefix(list(self.params.keys()))) if len(self.params) > 1 \
            else 0
        object.__setattr__(self, "_reg_params",
                           OrderedDict((k[cut:], v) for k, v in self.params.items()))

    @staticmethod
    def imports(symbol_file: str, input_names: Union[str, Sequence[str]],
                param_file: Optional[str] = None, ctx: CtxArg = None,
                allow_missing: bool = False, ignore_extra: bool = False) -> "SymbolBlock":
        """A SymbolBlock from files written by ``HybridBlock.export`` (or MXNet).

        ``input_names`` names the graph's input variables (``'data'`` for one input).
        """
        graph = sym.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        inputs = [sym.var(name) for name in input_names]
        block = SymbolBlock(graph, inputs)
        if param_file is not None:
            block.collect_params().load(param_file, ctx=ctx, allow_missing=allow_missing,
                                        ignore_extra=ignore_extra, cast_dtype=True,
                                        dtype_source="saved")
        return block

    def _clear_cached_op(self) -> None:
        graph = self.__dict__.get("_cached_graph")
        if graph is not None:
            graph.programs.clear()

    def hybridize(self, active: bool = True, static_alloc: bool = False,
                  static_shape: bool = False, **kwargs: Any) -> None:
        """Accepted as in MXNet: a SymbolBlock always runs its graph."""
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          **kwargs)
        object.__setattr__(self, "_active", True)

    def forward(self, x: Any, *args: Any) -> Any:
        if _is_symbol(x) or any(_is_symbol(a) for a in args):
            return self._symbolic_forward(x, *args)
        graph = self._cached_graph
        flat, fmt = _cg.flatten([x] + list(args), NDArray)
        if flat is None or fmt != self._in_fmt:
            raise MXNetValueError(
                f"SymbolBlock: the inputs do not match the graph's inputs "
                f"{graph.input_names}; got {[type(a).__name__ for a in (x,) + args]}")
        if graph.pending_params():
            self._deferred_infer_shape(*flat)
        outputs = graph.run(flat, _first_context(tuple(flat)))
        return _cg.regroup(outputs, graph.out_fmt)[0]

    def _symbolic_forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """The graph with its input variables replaced by the given symbols."""
        graph = self._cached_graph
        flat, fmt = _cg.flatten([x] + list(args), sym.Symbol)
        if flat is None or len(flat) != len(graph.input_names):
            raise MXNetValueError(f"SymbolBlock: expected {len(graph.input_names)} input "
                                  "symbols")
        composed = _cg.substitute(graph.symbol, dict(zip(graph.input_names, flat)))
        return _cg.regroup(list(composed), graph.out_fmt)[0]

    def infer_shape(self, *args: Any) -> None:
        """Set unknown parameter shapes and dtypes from input arrays by graph inference."""
        graph = self._cached_graph
        shapes = {n: tuple(a.shape) for n, a in zip(graph.input_names, args)}
        dtypes = {n: a.dtype for n, a in zip(graph.input_names, args)}
        arg_shapes, _, aux_shapes = graph.symbol.infer_shape_partial(**shapes)
        arg_types, _, aux_types = graph.symbol.infer_type_partial(**dtypes)
        names = graph.arg_names + graph.aux_names
        found: Dict[str, Any] = {}
        for name, shape, dtype in zip(names, arg_shapes + aux_shapes, arg_types + aux_types):
            found.setdefault(name, (shape, dtype))
        for param in self.params.values():
            shape, dtype = found.get(param.name, (None, None))
            if param._data is not None:
                continue
            if shape is not None:
                param.shape = shape
            if dtype is not None and np.dtype(dtype) != np.dtype(param.dtype):
                param.cast(dtype)


def _variable_name(value: Any) -> str:
    nodes: List[Any] = value._topo()
    if len(value) != 1 or len(nodes) != 1 or nodes[0].op is not None:
        raise MXNetValueError(f"SymbolBlock: input symbols must be variables, but {value!r} "
                              "is an output of operators")
    return nodes[0].name
