"""Generate ``mx.sym.<op>`` functions from the operator declarations (closures, no exec)."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List

from ..ops.registry import OPS, REQUIRED, OpDef, bind_arguments
from .symbol import Symbol, create

__all__ = ["make_function", "generate"]

_P = inspect.Parameter




def make_function(op: OpDef, public_name: str) -> Callable:
    """The ``mx.sym`` function for ``op``: inputs (symbols) then params, plus name/attr."""
    hint = public_name.lower()

    def function(*args: Any, name: Any = None, attr: Any = None, **kwargs: Any) -> Symbol:
        kwargs.pop("out", None)
        inputs, params = bind_arguments(op, args, kwargs)
        return create(op, inputs, params, name=name, attr=attr, hint=hint)

    function.__name__ = public_name
    function.__qualname__ = public_name
    function.__doc__ = _docstring(op)
    function.__signature__ = _signature(op)
    function.op = op
    return function


def _signature(op: OpDef) -> inspect.Signature:
    params: List[inspect.Parameter] = []
    if op.variadic:
        params.append(_P(op.inputs[0] if op.inputs else "data", _P.VAR_POSITIONAL))
    else:
        params.extend(_P(n, _P.POSITIONAL_OR_KEYWORD, default=None) for n in op.inputs)
    for pname in op.param_order:
        default = op.params[pname].default
        params.append(_P(pname, _P.KEYWORD_ONLY,
                         default=_P.empty if default is REQUIRED else default))
    params.append(_P("name", _P.KEYWORD_ONLY, default=None))
    params.append(_P("attr", _P.KEYWORD_ONLY, default=None))
    return inspect.Signature(params)


def _docstring(op: OpDef) -> str:
    lines = [op.doc or op.name, ""]
    if op.inputs:
        lines.append("Inputs (Symbols; missing ones become variables <name>_<input>): "
                     + ", ".join(op.inputs) + (" (any number)" if op.variadic else ""))
    if op.params:
        lines.append("Parameters:")
        for p in op.params.values():
            default = "required" if p.default is REQUIRED else f"default {p.default!r}"
            lines.append(f"    {p.name} ({default}){': ' + p.doc if p.doc else ''}")
    lines.append("name, attr: the node's name (automatic if None) and string attributes.")
    return "\n".join(lines)


def generate() -> Dict[str, Callable]:
    """One function per registered op name (aliases included)."""
    return {name: make_function(op, name) for name, op in OPS.items()}
