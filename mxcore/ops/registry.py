"""Operator declarations: one :class:`OpDef` per MXNet operator, registered in :data:`OPS`.

An op declares its inputs, typed parameters (with defaults and validation), how many outputs
it has, how to compute it from backend primitives (``compute(K, *arrays, **attrs)`` where
``K`` is the backend's kernel namespace) or which single primitive it *is* (``primitive``),
and its gradient in terms of other ops (``gradient(F, inputs, outputs, out_grads, **attrs)``
where ``F`` is ``mx.nd`` now and ``mx.sym`` later). ``mx.nd.*`` is generated from these.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..dtypes import normalize_dtype

__all__ = ["Param", "OpDef", "register_op", "OPS", "get_op", "REQUIRED", "bind_arguments",
           "op_signature", "op_docstring",
           "to_int", "to_float", "to_bool", "to_str", "to_shape", "to_axis", "to_dtype",
           "to_int_or_none", "to_float_or_none", "to_shape_or_none", "one_of", "to_any"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


# -- parameter converters: accept Python values and MXNet's string forms ------------------
def _literal(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text in ("None", ""):
            return None
        if text in ("True", "true"):
            return True
        if text in ("False", "false"):
            return False
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return value
    return value


def to_int(value: Any) -> int:
    value = _literal(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float)):
        raise TypeError(f"expected an int, got {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an int, got {value!r}")
    return int(value)


def to_float(value: Any) -> float:
    value = _literal(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def to_bool(value: Any) -> bool:
    value = _literal(value)
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return bool(value)
    raise TypeError(f"expected a bool, got {value!r}")


def to_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def to_shape(value: Any) -> Tuple[int, ...]:
    value = _literal(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    if isinstance(value, (tuple, list)):
        return tuple(to_int(v) for v in value)
    raise TypeError(f"expected a shape (tuple of ints), got {value!r}")


def to_axis(value: Any) -> Union[None, int, Tuple[int, ...]]:
    """None, an int, or a tuple of ints (MXNet writes ``()`` for "all axes")."""
    value = _literal(value)
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(to_int(v) for v in value) if len(value) else None
    return to_int(value)


def to_dtype(value: Any) -> Optional[np.dtype]:
    value = _literal(value) if value in ("None", "") else value
    if value is None:
        return None
    return normalize_dtype(value)


def to_int_or_none(value: Any) -> Optional[int]:
    value = _literal(value)
    return None if value is None else to_int(value)


def to_float_or_none(value: Any) -> Optional[float]:
    value = _literal(value)
    return None if value is None else to_float(value)


def to_shape_or_none(value: Any) -> Optional[Tuple[int, ...]]:
    value = _literal(value)
    return None if value is None else to_shape(value)


def to_any(value: Any) -> Any:
    return _literal(value)


def one_of(*choices: str) -> Callable[[Any], str]:
    """A converter accepting one of the given strings."""

    def convert(value: Any) -> str:
        value = _literal(value) if not isinstance(value, str) else value
        if value not in choices:
            raise ValueError(f"expected one of {list(choices)}, got {value!r}")
        return value

    convert.__name__ = "one_of" + repr(choices)
    return convert


class Param:
    """One typed operator parameter."""

    __slots__ = ("name", "convert", "default", "doc")

    def __init__(self, name: str, convert: Callable[[Any], Any], default: Any = REQUIRED,
                 doc: str = ""):
        self.name = name
        self.convert = convert
        self.default = default
        self.doc = doc


class OpDef:
    """The single declaration of one operator."""

    def __init__(
        self,
        name: str,
        inputs: Sequence[str] = ("data",),
        params: Sequence[Param] = (),
        *,
        compute: Optional[Callable] = None,
        primitive: Optional[str] = None,
        gradient: Optional[Callable] = None,
        num_outputs: Union[int, Callable[[dict], int]] = 1,
        num_visible_outputs: Union[None, int, Callable[[dict], int]] = None,
        variadic: bool = False,
        optional_inputs: Callable[[dict], Sequence[str]] = None,
        mutates: Sequence[int] = (),
        may_alias: bool = False,
        uses_rng: bool = False,
        uses_train_flag: bool = False,
        infer_shape: Optional[Callable] = None,
        check: Optional[Callable] = None,
        aliases: Sequence[str] = (),
        doc: str = "",
        area: str = "",
        differentiable: Optional[bool] = None,
        partial_gradient: bool = False,
    ):
        if compute is None and primitive is None:
            raise ValueError(f"op {name}: needs compute or primitive")
        self.name = name
        self.inputs = tuple(inputs)
        self.params: Dict[str, Param] = {p.name: p for p in params}
        self.param_order = tuple(p.name for p in params)
        self.defaults = {p.name: p.default for p in params if p.default is not REQUIRED}
        self.required = tuple(p.name for p in params if p.default is REQUIRED)
        self.compute = compute
        self.primitive = primitive
        self.gradient = gradient
        self.num_outputs = num_outputs
        #: outputs the caller sees (None = all); the rest are hidden outputs kept for the
        #: gradient, as MXNet's FNumVisibleOutputs (Dropout's mask, BatchNorm's batch stats)
        self.num_visible_outputs = num_visible_outputs
        self.variadic = variadic
        #: attrs -> names of the inputs actually used (e.g. no bias when no_bias=True)
        self.optional_inputs = optional_inputs
        self.mutates = tuple(mutates)
        self.may_alias = may_alias
        self.uses_rng = uses_rng
        #: compute gets ``is_train=``; the recorded node keeps it, so the gradient gets it too
        self.uses_train_flag = uses_train_flag
        self.infer_shape = infer_shape
        #: optional ``check(shapes, dtypes, **attrs)`` run before compute; raises ValueError
        self.check = check
        self.aliases = tuple(aliases)
        self.doc = doc
        self.area = area
        self.differentiable = gradient is not None if differentiable is None else differentiable
        #: the gradient takes ``needed=`` (a bool per input) and skips inputs not needing one,
        #: as MXNet's backward kernels skip inputs whose request is kNullOp
        self.partial_gradient = partial_gradient
        #: backend -> resolved kernel callable (filled by dispatch)
        self.kernel_cache: Dict[Any, Callable] = {}
        #: user arguments -> normalised attrs (see parse_attrs)
        self._attr_cache: Dict[tuple, Dict[str, Any]] = {}

    def parse_attrs(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        """Validate and normalise user parameters; fill defaults. Raises MXNetError.

        Results for hashable arguments are cached: the returned dict is shared and must not
        be modified.
        """
        try:
            key = tuple(kwargs.items())
            cached = self._attr_cache.get(key)
        except TypeError:  # unhashable values (lists, arrays): no caching
            return self._parse_attrs(kwargs)
        if cached is None:
            cached = self._parse_attrs(kwargs)
            if len(self._attr_cache) < 256:
                self._attr_cache[key] = cached
        return cached

    def _parse_attrs(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        attrs = dict(self.defaults)
        for key, value in kwargs.items():
            param = self.params.get(key)
            if param is None:
                raise MXNetValueError(
                    f"{self.name}: unknown parameter {key!r}; parameters are "
                    f"{list(self.param_order)}")
            if value is None and param.default is None:
                attrs[key] = None
                continue
            try:
                attrs[key] = param.convert(value)
            except (TypeError, ValueError) as exc:
                cls = MXNetTypeError if isinstance(exc, TypeError) else MXNetValueError
                raise cls(f"{self.name}: invalid value for parameter {key!r}: {exc}") from None
        for key in self.required:
            if key not in attrs:
                raise MXNetValueError(f"{self.name}: required parameter {key!r} is missing")
        return attrs

    def output_count(self, attrs: Dict[str, Any]) -> int:
        n = self.num_outputs
        return n(attrs) if callable(n) else n

    def visible_count(self, attrs: Dict[str, Any]) -> int:
        n = self.num_visible_outputs
        if n is None:
            return self.output_count(attrs)
        return n(attrs) if callable(n) else n

    def input_names(self, attrs: Dict[str, Any]) -> Sequence[str]:
        if self.optional_inputs is not None:
            return self.optional_inputs(attrs)
        return self.inputs

    def __repr__(self) -> str:
        return f"<OpDef {self.name}>"


#: every registered operator by MXNet name (aliases included)
OPS: Dict[str, OpDef] = {}


def register_op(op: OpDef) -> OpDef:
    """Register ``op`` (and its aliases). Returns it."""
    for name in (op.name,) + op.aliases:
        if name in OPS:
            raise ValueError(f"operator {name!r} registered twice")
        OPS[name] = op
    return op


def get_op(name: str) -> OpDef:
    try:
        return OPS[name]
    except KeyError:
        raise MXNetValueError(f"unknown operator {name!r}") from None


def bind_arguments(op: OpDef, args: tuple, kwargs: Dict[str, Any]) -> tuple:
    """Split a frontend call's arguments into inputs and parameters (``mx.nd`` and ``mx.sym``).

    Positional arguments fill the inputs, then the parameters in declaration order; inputs
    may also come by keyword. Returns (a list of inputs for variadic ops, else a dict by input
    name; the remaining keyword parameters). ``kwargs`` is consumed.
    """
    if op.variadic:
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            inputs: Any = list(args[0])
        else:
            inputs = list(args)
        for name in op.inputs:
            if name in kwargs:
                value = kwargs.pop(name)
                inputs.extend(value if isinstance(value, (list, tuple)) else [value])
        num_args = kwargs.pop("num_args", None)
        if num_args is not None and int(num_args) != len(inputs):
            raise MXNetValueError(f"{op.name}: num_args={num_args} but {len(inputs)} inputs "
                                  "were given")
        return inputs, kwargs
    n_in = len(op.inputs)
    given: Dict[str, Any] = dict(zip(op.inputs, args[:n_in]))
    extra = args[n_in:]
    if extra:
        if len(extra) > len(op.param_order):
            raise MXNetTypeError(f"{op.name}: too many positional arguments")
        for pname, value in zip(op.param_order, extra):
            if pname in kwargs:
                raise MXNetTypeError(f"{op.name}: got multiple values for {pname!r}")
            kwargs[pname] = value
    for name in op.inputs:
        if name in kwargs:
            if given.get(name) is not None:
                raise MXNetTypeError(f"{op.name}: got multiple values for input {name!r}")
            given[name] = kwargs.pop(name)
    return given, kwargs


def op_signature(op: OpDef, trailing: Sequence[str]) -> "inspect.Signature":
    """The signature of a generated frontend function: inputs, then params (positional or by
    keyword, as :func:`bind_arguments` accepts), then keyword-only ``trailing`` names."""
    P = inspect.Parameter
    params = []
    if op.variadic:
        params.append(P(op.inputs[0] if op.inputs else "data", P.VAR_POSITIONAL))
    else:
        params.extend(P(n, P.POSITIONAL_OR_KEYWORD, default=None) for n in op.inputs)
    for pname in op.param_order:
        default = op.params[pname].default
        params.append(P(pname, P.KEYWORD_ONLY if op.variadic else P.POSITIONAL_OR_KEYWORD,
                        default=P.empty if default is REQUIRED else default))
    if not op.variadic and any(p.default is P.empty for p in params[len(op.inputs):]):
        # a required parameter after defaulted inputs must be keyword-only
        params = params[:len(op.inputs)] + [p.replace(kind=P.KEYWORD_ONLY)
                                            for p in params[len(op.inputs):]]
    params.extend(P(n, P.KEYWORD_ONLY, default=None) for n in trailing)
    return inspect.Signature(params)


def op_docstring(op: OpDef, inputs_label: str = "Inputs", trailer: str = "") -> str:
    """The docstring of a generated frontend function, from the op's declaration."""
    lines = [op.doc or op.name, ""]
    if op.inputs:
        lines.append(f"{inputs_label}: " + ", ".join(op.inputs)
                     + (" (any number)" if op.variadic else ""))
    if op.params:
        lines.append("Parameters:")
        for p in op.params.values():
            default = "required" if p.default is REQUIRED else f"default {p.default!r}"
            lines.append(f"    {p.name} ({default}){': ' + p.doc if p.doc else ''}")
    if trailer:
        lines.append(trailer)
    return "\n".join(lines)
