"""Generate ``mx.nd.<op>`` functions from the operator declarations (closures, no exec)."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict

from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import _maybe_ctx
from ..ops.registry import OPS, OpDef, bind_arguments, op_docstring, op_signature
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
    function.__doc__ = op_docstring(op)
    function.__signature__ = op_signature(op, ("out", "name"))
    function.op = op
    return function


def generate() -> Dict[str, Callable]:
    """One function per registered op name (aliases included)."""
    return {name: make_function(op, name) for name, op in OPS.items()}
