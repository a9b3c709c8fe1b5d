"""Generate ``mx.nd.<op>`` functions from the operator declarations (closures, no exec)."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List

from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import _maybe_ctx
from ..ops.registry import OPS, REQUIRED, OpDef, bind_arguments
from .invoke import invoke

__all__ = ["make_function", "generate"]

_P = inspect.Parameter




def _arrays_and_attrs(op: OpDef, args: tuple, kwargs: Dict[str, Any], array_type: type
                      ) -> tuple:
    """Bind user arguments: the list of input arrays and the normalised attrs."""
    bound, params = bind_arguments(op, args, kwargs)
    attrs = op.parse_attrs(params) if params or op.required else op.defaults
    if op.variadic:
        arrays = bound
    else:
        arrays = []
        for input_name in op.input_names(attrs):
            value = bound.pop(input_name, None)
            if value is None:
                raise MXNetValueError(f"{op.name}: input {input_name!r} is required")
            arrays.append(value)
        for input_name, value in bound.items():
            if value is not None and input_name not in op.inputs:
                raise MXNetTypeError(f"{op.name}: unexpected input {input_name!r}")
    for i, value in enumerate(arrays):
        if not isinstance(value, array_type):
            raise MXNetTypeError(
                f"{op.name}: input {i} must be an NDArray, got {type(value).__name__}")
    return arrays, attrs


def _tag_backend(exc: MXNetError, args: tuple, kwargs: Dict[str, Any], ctx: Any
                 ) -> MXNetError:
    """Add ``[backend X]`` (of the inputs' or the target context) to an argument error."""
    msg = str(exc)
    if "[backend " in msg:
        return exc
    context = ctx
    for value in list(args) + list(kwargs.values()):
        if hasattr(value, "_ctx"):
            context = value._ctx
            break
    try:
        name = _maybe_ctx(context).backend.name
    except MXNetError:
        return exc
    return type(exc)(f"{msg} [backend {name}]")


def make_function(op: OpDef, public_name: str) -> Callable:
    """The ``mx.nd`` function for ``op``."""
    from .ndarray import NDArray

    n_inputs = len(op.inputs)
    input_names = frozenset(op.inputs)
    # the common call: every input positional, only parameters as keywords
    simple = not op.variadic and op.optional_inputs is None

    defaults = op.defaults
    parse = op.parse_attrs if op.required else None

    def function(*args: Any, out: Any = None, name: Any = None, ctx: Any = None,
                 **kwargs: Any) -> Any:
        try:
            arrays = None
            if simple and len(args) == n_inputs and (not kwargs
                                                     or input_names.isdisjoint(kwargs)):
                for a in args:
                    if type(a) is not NDArray:
                        break
                else:
                    arrays = args
                    attrs = op.parse_attrs(kwargs) if kwargs or parse else defaults
            if arrays is None:
                arrays, attrs = _arrays_and_attrs(op, args, kwargs, NDArray)
        except MXNetError as exc:
            raise _tag_backend(exc, args, kwargs, ctx) from None
        return invoke(op, arrays, attrs, out, None if ctx is None else _maybe_ctx(ctx))

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
        params.append(_P(pname, _P.KEYWORD_ONLY if op.variadic else _P.POSITIONAL_OR_KEYWORD,
                         default=_P.empty if default is REQUIRED else default))
    if not op.variadic and any(p.default is _P.empty for p in params[len(op.inputs):]):
        # a required parameter after defaulted inputs must be keyword-only
        params = params[:len(op.inputs)] + [p.replace(kind=_P.KEYWORD_ONLY)
                                            for p in params[len(op.inputs):]]
    params.append(_P("out", _P.KEYWORD_ONLY, default=None))
    params.append(_P("name", _P.KEYWORD_ONLY, default=None))
    return inspect.Signature(params)


def _docstring(op: OpDef) -> str:
    lines = [op.doc or op.name, ""]
    if op.inputs:
        lines.append("Inputs: " + ", ".join(op.inputs) + (" (any number)" if op.variadic
                                                          else ""))
    if op.params:
        lines.append("Parameters:")
        for p in op.params.values():
            default = "required" if p.default is REQUIRED else f"default {p.default!r}"
            lines.append(f"    {p.name} ({default}){': ' + p.doc if p.doc else ''}")
    return "\n".join(lines)


def generate() -> Dict[str, Callable]:
    """One function per registered op name (aliases included)."""
    return {name: make_function(op, name) for name, op in OPS.items()}
