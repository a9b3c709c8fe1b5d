"""Generate ``mx.sym.<op>`` functions from the operator declarations (closures, no exec)."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict

from ..ops.registry import OPS, OpDef, bind_arguments, op_docstring, op_signature
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
    function.__doc__ = op_docstring(
        op, "Inputs (Symbols; missing ones become variables <name>_<input>)",
        "name, attr: the node's name (automatic if None) and string attributes.")
    function.__signature__ = op_signature(op, ("name", "attr"))
    function.op = op
    return function


def generate() -> Dict[str, Callable]:
    """One function per registered op name (aliases included)."""
    return {name: make_function(op, name) for name, op in OPS.items()}
