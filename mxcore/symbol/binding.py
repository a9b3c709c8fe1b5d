"""``Symbol.bind`` / ``simple_bind`` / ``eval``: executors over a symbol's arguments."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..dtypes import DEFAULT_DTYPE, normalize_dtype

__all__ = ["bind", "simple_bind", "eval_symbol"]


def _context(ctx: Any) -> Any:
    from ..context import Context, current_context

    if ctx is None:
        return current_context()
    if not isinstance(ctx, Context):
        raise MXNetTypeError(f"bind: ctx must be a Context, got {ctx!r}")
    return ctx


def bind(symbol: Any, ctx: Any, args: Any, args_grad: Any = None, grad_req: Any = "write",
         aux_states: Any = None, group2ctx: Any = None, shared_exec: Any = None) -> Any:
    """An Executor over the given arrays.

    ``group2ctx`` (context group -> Context) runs the nodes made under
    ``mx.AttrScope(ctx_group=...)`` on their group's context; arrays may then live on any
    context and copies are made where a value crosses contexts.
    """
    from ..executor import Executor

    return Executor(symbol, _context(ctx), args, args_grad, grad_req, aux_states, group2ctx)


def _reqs(symbol: Any, grad_req: Any) -> Dict[str, str]:
    names = symbol.list_arguments()
    if isinstance(grad_req, str):
        return {n: grad_req for n in names}
    if isinstance(grad_req, dict):
        return {n: grad_req.get(n, "null") for n in names}
    if isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise MXNetValueError(f"simple_bind: grad_req has {len(grad_req)} entries, the "
                                  f"symbol has {len(names)} arguments")
        return dict(zip(names, grad_req))
    raise MXNetTypeError(f"simple_bind: grad_req must be a str, list or dict, got {grad_req!r}")


def simple_bind(symbol: Any, ctx: Any, grad_req: Any, type_dict: Optional[Dict[str, Any]],
                group2ctx: Any, shared_exec: Any, shapes: Dict[str, Any],
                stype_dict: Optional[Dict[str, str]] = None) -> Any:
    """Infer shapes/dtypes from ``shapes``/``type_dict``; allocate zeros; bind.

    With ``group2ctx``, a variable's arrays are allocated on its own group's context (else
    on ``ctx``), as MXNet does. Storage types come from ``stype_dict`` or the variables'
    ``stype``; sparse arguments get no gradient array, and a gradient is row_sparse where
    MXNet infers one (:func:`.storage.grad_stypes`).
    """
    from .. import ndarray as nd
    from ..executor.placement import variable_contexts
    from .storage import arg_stypes, grad_stypes, zeros_of

    ctx = _context(ctx)
    homes = variable_contexts(symbol, ctx, group2ctx)
    arg_shapes, _, aux_shapes = symbol.infer_shape_partial(**shapes)
    missing = [n for n, s in zip(symbol.list_arguments(), arg_shapes) if s is None]
    missing += [n for n, s in zip(symbol.list_auxiliary_states(), aux_shapes) if s is None]
    if missing:
        raise MXNetValueError(f"simple_bind: cannot infer the shapes of {missing} from "
                              f"{shapes}; give them as keyword arguments")
    types = {k: normalize_dtype(v, "simple_bind") for k, v in (type_dict or {}).items()}
    arg_types, _, aux_types = symbol.infer_type_partial(**types)

    def dtype(t: Any) -> np.dtype:
        return np.dtype(t) if t is not None else DEFAULT_DTYPE

    stypes = arg_stypes(symbol, stype_dict)
    gstypes = grad_stypes(symbol, stypes)
    args = [zeros_of(stypes[n], s, homes[n], dtype(t))
            for n, s, t in zip(symbol.list_arguments(), arg_shapes, arg_types)]
    aux = [nd.zeros(s, ctx=homes[n], dtype=dtype(t))
           for n, s, t in zip(symbol.list_auxiliary_states(), aux_shapes, aux_types)]
    reqs = _reqs(symbol, grad_req)
    shared = shared_exec.arg_dict if shared_exec is not None else {}
    grads: List[Any] = []
    for name, arr in zip(symbol.list_arguments(), args):
        if reqs[name] == "null" or stypes[name] == "csr":
            grads.append(None)
        else:
            grads.append(zeros_of(gstypes[name], arr.shape, arr.context, arr.dtype))
    for i, name in enumerate(symbol.list_arguments()):
        same = shared.get(name)
        if (same is not None and same.shape == args[i].shape and name not in shapes
                and same.context is args[i].context):
            args[i] = same  # share parameters with the other executor
    return bind(symbol, ctx, args, grads, [reqs[n] for n in symbol.list_arguments()], aux,
                group2ctx)


def eval_symbol(symbol: Any, ctx: Any, kwargs: Dict[str, Any]) -> List[Any]:
    """Bind ``kwargs`` (every argument by name) without gradients and run forward."""
    ctx = _context(ctx)
    exe = bind(symbol, ctx, kwargs, None, "null", None)
    return exe.forward(is_train=False)
