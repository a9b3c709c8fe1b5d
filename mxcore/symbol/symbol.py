"""Symbol: a graph of op nodes (MXNet 1.x ``mx.sym``).

>>> data = mx.sym.Variable("data")
>>> net = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
>>> net.list_arguments()
['data', 'fc_weight', 'fc_bias']
>>> net.infer_shape(data=(2, 3))[0]
[(2, 3), (4, 3), (4,)]
"""

from __future__ import annotations

from numbers import Number
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..attribute import AttrScope, attr_key
from ..base import MXNetError, MXNetIndexError, MXNetTypeError, MXNetValueError
from ..dtypes import dtype_flag, normalize_dtype
from ..name import NameManager
from ..ops.registry import OpDef, get_op
from .node import Entry, _aux_ids, _Node, _topo_nodes

__all__ = ["Symbol", "Variable", "var", "Group", "load", "load_json", "zeros", "ones"]

class Symbol:
    """A list of output entries of a graph; build with ``mx.sym.Variable`` and ``mx.sym.<op>``.

    >>> a = mx.sym.Variable("a")
    >>> (a * 2 + 1).list_arguments()
    ['a']
    """

    __slots__ = ("_outputs", "__weakref__")

    def __init__(self, outputs: Sequence[Entry]):
        self._outputs: List[Entry] = list(outputs)

    # -- graph structure ----------------------------------------------------------------
    def _topo(self) -> List[_Node]:
        """Every node the outputs depend on, in topological order."""
        return _topo_nodes(self._outputs)

    @property
    def name(self) -> Optional[str]:
        """The node's name for a single-output symbol, else None."""
        if len(self._outputs) != 1:
            return None
        return self._outputs[0][0].name

    def list_arguments(self) -> List[str]:
        """Names of the variables that are not auxiliary states, in topological order."""
        nodes = self._topo()
        aux = _aux_ids(nodes)
        return [n.name for n in nodes if n.op is None and id(n) not in aux]

    def list_auxiliary_states(self) -> List[str]:
        """Names of the variables ops update in place (``batchnorm0_moving_mean`` ...)."""
        nodes = self._topo()
        aux = _aux_ids(nodes)
        return [n.name for n in nodes if n.op is None and id(n) in aux]

    def list_inputs(self) -> List[str]:
        """Every variable name (arguments and auxiliary states) in topological order."""
        return [n.name for n in self._topo() if n.op is None]

    def list_outputs(self) -> List[str]:
        """Output names: ``<name>_output`` for ops, the name itself for variables."""
        return [node.output_name(i) for node, i in self._outputs]

    def _arg_nodes(self) -> List[_Node]:
        nodes = self._topo()
        aux = _aux_ids(nodes)
        return [n for n in nodes if n.op is None and id(n) not in aux]

    def _aux_nodes(self) -> List[_Node]:
        nodes = self._topo()
        aux = _aux_ids(nodes)
        return [n for n in nodes if n.op is None and id(n) in aux]

    def get_internals(self) -> "Symbol":
        """A group of every node's outputs (variables included), in topological order."""
        entries: List[Entry] = []
        for node in self._topo():
            entries.extend((node, i) for i in range(node.num_visible_outputs()))
        return Symbol(entries)

    def get_children(self) -> Optional["Symbol"]:
        """The inputs of the output node(s) as a group; None for a variable."""
        entries: List[Entry] = []
        for node, _ in self._outputs:
            entries.extend(node.inputs)
        return Symbol(entries) if entries else None

    def __len__(self) -> int:
        return len(self._outputs)

    def __iter__(self) -> Iterator["Symbol"]:
        return (Symbol([entry]) for entry in self._outputs)

    def __getitem__(self, index: Union[int, str, slice]) -> "Symbol":
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise MXNetValueError(
                    f"Symbol: no output named {index!r}; outputs are {names}")
            if len(matches) > 1:
                raise MXNetValueError(f"Symbol: several outputs are named {index!r}")
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise MXNetTypeError(f"Symbol: index must be an int or a name, got {index!r}")
        n = len(self._outputs)
        if not -n <= index < n:
            raise MXNetIndexError(f"Symbol: output index {index} out of range for {n} outputs")
        return Symbol([self._outputs[index]])

    # -- attributes ----------------------------------------------------------------------
    def _head(self, what: str) -> _Node:
        if len(self._outputs) != 1:
            nodes = {id(n) for n, _ in self._outputs}
            if len(nodes) != 1:
                raise MXNetValueError(f"Symbol.{what}: needs a single-node symbol, got a group "
                                      f"of {len(self._outputs)} outputs")
        return self._outputs[0][0]

    def attr(self, key: str) -> Optional[str]:
        """The string attribute ``key`` of this symbol's node (user attrs, then params)."""
        node = self._head("attr")
        stored = attr_key(key)
        if stored in node.user_attrs:
            return node.user_attrs[stored]
        if key in node.user_attrs:
            return node.user_attrs[key]
        return node.str_attrs.get(key)

    def list_attr(self, recursive: bool = False) -> Dict[str, str]:
        """This node's attributes (params and user attrs) as strings."""
        if recursive:
            raise MXNetValueError("Symbol.list_attr: recursive=True was removed; "
                                  "use attr_dict()")
        node = self._head("list_attr")
        return {**node.str_attrs, **node.user_attrs}

    def attr_dict(self) -> Dict[str, Dict[str, str]]:
        """``{node name: {key: value}}`` for every node that has attributes."""
        result: Dict[str, Dict[str, str]] = {}
        for node in self._topo():
            attrs = {**node.str_attrs, **node.user_attrs}
            if attrs:
                result.setdefault(node.name, {}).update(attrs)
        return result

    def _set_attr(self, **kwargs: str) -> None:
        """Set string attributes on this symbol's node."""
        node = self._head("_set_attr")
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise MXNetTypeError(f"Symbol._set_attr: value of {key!r} must be a string, "
                                     f"got {value!r}")
            node.user_attrs[attr_key(key)] = value

    def __call__(self, *args: "Symbol", **kwargs: "Symbol") -> "Symbol":
        """A copy with arguments replaced by symbols (positional in ``list_arguments``
        order, or by name): MXNet's composition, ``net(data=other_net)``."""
        kwargs.pop("name", None)
        names = self.list_arguments()
        if len(args) > len(names):
            raise MXNetValueError(f"Symbol.__call__: {len(args)} positional symbols for "
                                  f"{len(names)} arguments {names}")
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key in given:
                raise MXNetTypeError(f"Symbol.__call__: got two values for {key!r}")
            given[key] = value
        unknown = [k for k in given if k not in self.list_inputs()]
        if unknown:
            raise MXNetValueError(f"Symbol.__call__: {unknown} are not inputs of the symbol; "
                                  f"inputs are {self.list_inputs()}")
        entries = {k: _entry_of_symbol(v, k) for k, v in given.items()}
        clones: Dict[int, Entry] = {}
        for node in self._topo():
            if node.op is None and node.name in entries:
                clones[id(node)] = entries[node.name]
                continue
            clone = _Node(node.op, node.name, node.attrs,
                          [(clones[id(n)][0], clones[id(n)][1] if n.op is None else i)
                           for n, i in node.inputs], node.user_attrs, node.str_attrs)
            clones[id(node)] = (clone, 0)
        return Symbol([(clones[id(n)][0], i if n.op is not None else clones[id(n)][1])
                       for n, i in self._outputs])

    # -- copies, printing ----------------------------------------------------------------
    def __copy__(self) -> "Symbol":
        return self.__deepcopy__(None)

    def __deepcopy__(self, memo: Any) -> "Symbol":
        clones: Dict[int, _Node] = {}
        for node in self._topo():
            clones[id(node)] = _Node(node.op, node.name, node.attrs,
                                     [(clones[id(n)], i) for n, i in node.inputs],
                                     node.user_attrs, node.str_attrs)
        return Symbol([(clones[id(n)], i) for n, i in self._outputs])

    def __repr__(self) -> str:
        name = self.name
        if name is not None:
            return f"<Symbol {name}>"
        return "<Symbol group [" + ", ".join(self.list_outputs()) + "]>"

    def __bool__(self) -> bool:
        raise MXNetValueError("Symbol: the truth value of a symbol is undefined")

    __hash__ = object.__hash__

    def debug_str(self) -> str:
        """A readable listing of the graph."""
        lines = []
        for node in self._topo():
            if node.op is None:
                lines.append(f"Variable:{node.name}")
                continue
            lines.append("-" * 40)
            lines.append(f"Op:{node.op.name}, Name={node.name}")
            lines.append("Inputs:")
            for i, (child, idx) in enumerate(node.inputs):
                lines.append(f"\targ[{i}]={child.output_name(idx)}")
            if node.str_attrs:
                lines.append("Attrs:")
                lines.extend(f"\t{k}={v}" for k, v in node.str_attrs.items())
        return "\n".join(lines)

    # -- inference -----------------------------------------------------------------------
    def infer_shape(self, *args: Any, **kwargs: Any) -> Tuple[Optional[list], Optional[list],
                                                              Optional[list]]:
        """``(arg_shapes, out_shapes, aux_shapes)``; ``(None, None, None)`` if incomplete."""
        from .shape_inference import infer_shape

        return infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args: Any, **kwargs: Any) -> Tuple[list, list, list]:
        """Like :meth:`infer_shape`, with None for the shapes that cannot be inferred."""
        from .shape_inference import infer_shape

        return infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args: Any, **kwargs: Any) -> Tuple[Optional[list], Optional[list],
                                                             Optional[list]]:
        """``(arg_types, out_types, aux_types)`` as NumPy types; None triple if incomplete."""
        from .shape_inference import infer_type

        return infer_type(self, args, kwargs, partial=False)

    def infer_type_partial(self, *args: Any, **kwargs: Any) -> Tuple[list, list, list]:
        from .shape_inference import infer_type

        return infer_type(self, args, kwargs, partial=True)

    # -- serialisation -------------------------------------------------------------------
    def tojson(self) -> str:
        """The graph in MXNet 1.x's JSON format."""
        from .json_io import to_json

        return to_json(self)

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Write :meth:`tojson` to ``fname``."""
        with open(fname, "w", encoding="utf-8") as f:
            f.write(self.tojson())

    # -- execution -----------------------------------------------------------------------
    def bind(self, ctx: Any, args: Any, args_grad: Any = None, grad_req: Any = "write",
             aux_states: Any = None, group2ctx: Any = None, shared_exec: Any = None) -> Any:
        """An :class:`~mxcore.executor.Executor` over the given arrays."""
        from .binding import bind

        return bind(self, ctx, args, args_grad, grad_req, aux_states, group2ctx, shared_exec)

    def simple_bind(self, ctx: Any, grad_req: Any = "write", type_dict: Any = None,
                    stype_dict: Any = None, group2ctx: Any = None,
                    shared_arg_names: Any = None, shared_exec: Any = None,
                    shared_buffer: Any = None, **kwargs: Any) -> Any:
        """Infer shapes from ``kwargs`` and bind freshly allocated arrays on ``ctx``."""
        from .binding import simple_bind

        return simple_bind(self, ctx, grad_req, type_dict, group2ctx, shared_exec, kwargs,
                           stype_dict)

    def tostype(self, stype: str) -> "Symbol":
        """This value in storage type ``stype`` (``cast_storage``)."""
        return create(get_op("cast_storage"), [self], {"stype": stype}, hint="cast_storage")

    def eval(self, ctx: Any = None, **kwargs: Any) -> List[Any]:
        """Bind ``kwargs`` (name -> NDArray) and run forward; returns the outputs."""
        from .binding import eval_symbol

        return eval_symbol(self, ctx, kwargs)

    def gradient(self, wrt: Sequence[str]) -> "Symbol":
        """Not supported: use ``bind(...).backward()`` or autograd."""
        raise MXNetError("Symbol.gradient is not supported; bind the symbol and call "
                         "Executor.backward, or use mx.autograd")

    # -- arithmetic ----------------------------------------------------------------------
    def __neg__(self) -> "Symbol":
        return _apply("negative", [self], {}, hint="negative")

    def __pos__(self) -> "Symbol":
        return self

    def __abs__(self) -> "Symbol":
        return _apply("abs", [self], {}, hint="abs")


def _binary(name: str, sym_op: str, scalar_op: str, rscalar_op: str, hint: str) -> None:
    def forward(self: Symbol, other: Any) -> Symbol:
        if isinstance(other, Symbol):
            return _apply(sym_op, [self, other], {}, hint=hint)
        if isinstance(other, (Number, np.generic)):
            return _apply(scalar_op, [self], {"scalar": other}, hint=hint + "scalar")
        return NotImplemented

    def reverse(self: Symbol, other: Any) -> Symbol:
        if isinstance(other, (Number, np.generic)):
            return _apply(rscalar_op, [self], {"scalar": other},
                          hint="_r" + hint.lstrip("_") + "scalar")
        return NotImplemented

    forward.__name__ = f"__{name}__"
    reverse.__name__ = f"__r{name}__"
    setattr(Symbol, f"__{name}__", forward)
    setattr(Symbol, f"__r{name}__", reverse)


for _name, _ops in {
    "add": ("broadcast_add", "_plus_scalar", "_plus_scalar", "_plus"),
    "sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar", "_minus"),
    "mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar", "_mul"),
    "truediv": ("broadcast_div", "_div_scalar", "_rdiv_scalar", "_div"),
    "mod": ("broadcast_mod", "_mod_scalar", "_rmod_scalar", "_mod"),
    "pow": ("broadcast_power", "_power_scalar", "_rpower_scalar", "_power"),
}.items():
    _binary(_name, *_ops)
Symbol.__div__ = Symbol.__truediv__
Symbol.__rdiv__ = Symbol.__rtruediv__


def _compare(name: str, sym_op: str, scalar_op: str) -> None:
    def method(self: Symbol, other: Any) -> Symbol:
        if isinstance(other, Symbol):
            return _apply(sym_op, [self, other], {}, hint=sym_op)
        if isinstance(other, (Number, np.generic)):
            return _apply(scalar_op, [self], {"scalar": other}, hint=scalar_op)
        return NotImplemented

    method.__name__ = f"__{name}__"
    setattr(Symbol, f"__{name}__", method)


for _name, _ops in {
    "eq": ("broadcast_equal", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "_not_equal_scalar"),
    "gt": ("broadcast_greater", "_greater_scalar"),
    "ge": ("broadcast_greater_equal", "_greater_equal_scalar"),
    "lt": ("broadcast_lesser", "_lesser_scalar"),
    "le": ("broadcast_lesser_equal", "_lesser_equal_scalar"),
}.items():
    _compare(_name, *_ops)


# -- node creation ------------------------------------------------------------------------
def attr_str(key: str, value: Any) -> str:
    """MXNet's string form of a parameter value (what JSON stores)."""
    if isinstance(value, str):
        return value
    if key == "dtype" and value is not None:
        return normalize_dtype(value).name
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (list, tuple)):
        return str(tuple(_plain(v) for v in value))
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value,
                                                                               np.generic)):
        return np.dtype(value).name
    return str(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _apply(op_name: str, inputs: List[Symbol], params: Dict[str, Any], hint: str,
           name: Optional[str] = None) -> Symbol:
    """Create a node of ``op_name`` on single-output symbols ``inputs``."""
    op = get_op(op_name)
    return create(op, inputs, params, name=name, hint=hint)


def _entry_of_symbol(value: Any, what: str) -> Entry:
    if not isinstance(value, Symbol) or len(value._outputs) != 1:
        raise MXNetTypeError(f"Symbol.__call__: {what} must be a single-output Symbol, got "
                             f"{value!r}")
    return value._outputs[0]


def _entry_of(op: OpDef, value: Any, what: str) -> Entry:
    if not isinstance(value, Symbol):
        raise MXNetTypeError(f"{op.name}: input {what} must be a Symbol, got "
                             f"{type(value).__name__}")
    if len(value._outputs) != 1:
        raise MXNetValueError(f"{op.name}: input {what} must have one output, got a group "
                              f"of {len(value._outputs)}: {value.list_outputs()}")
    return value._outputs[0]


def create(op: OpDef, inputs: Union[Sequence[Any], Dict[str, Any]], params: Dict[str, Any],
           name: Optional[str] = None, attr: Optional[Dict[str, str]] = None,
           hint: Optional[str] = None) -> Symbol:
    """A symbol applying ``op``: ``inputs`` a list (variadic / positional) or a dict by input
    name (missing inputs become variables ``<name>_<input>``); ``params`` user values."""
    params = dict(params)
    if op.variadic and "num_args" in op.params:
        params["num_args"] = len(inputs)
    attrs = op.parse_attrs(params) if params or op.required else op.defaults
    str_attrs = {k: attr_str(k, v) for k, v in params.items() if v is not None}
    name = NameManager.current.get(name, hint or op.name.lower())
    user_attrs = _user_attrs(AttrScope.current.get(attr), op.name)
    entries: List[Entry] = []
    if isinstance(inputs, dict):
        given = dict(inputs)
        for input_name in op.input_names(attrs):
            value = given.pop(input_name, None)
            if value is None:
                node = _Node(None, f"{name}_{input_name}", user_attrs=user_attrs)
                entries.append((node, 0))
            else:
                entries.append(_entry_of(op, value, repr(input_name)))
        extra = [k for k, v in given.items() if v is not None]
        if extra:
            raise MXNetTypeError(f"{op.name}: unexpected inputs {extra} (inputs used with "
                                 f"these params: {list(op.input_names(attrs))})")
    else:
        entries = [_entry_of(op, v, str(i)) for i, v in enumerate(inputs)]
    node = _Node(op, name, attrs, entries, user_attrs, str_attrs)
    return Symbol([(node, i) for i in range(node.num_visible_outputs())])


def _user_attrs(attr: Optional[Dict[str, Any]], who: str) -> Dict[str, str]:
    result: Dict[str, str] = {}
    for key, value in (attr or {}).items():
        if not isinstance(value, str):
            raise MXNetTypeError(f"{who}: attribute {key!r} must be a string, got {value!r}")
        result[attr_key(key)] = value
    return result


# -- public constructors ------------------------------------------------------------------
def Variable(name: str, attr: Optional[Dict[str, str]] = None,
             shape: Optional[Sequence[int]] = None, lr_mult: Optional[float] = None,
             wd_mult: Optional[float] = None, dtype: Any = None, init: Any = None,
             stype: Optional[str] = None, **kwargs: Any) -> Symbol:
    """A named input of the graph (an argument to bind, or an auxiliary state).

    >>> mx.sym.Variable("w", shape=(2, 3), lr_mult=0.5).attr("__shape__")
    '(2, 3)'
    """
    if not isinstance(name, str):
        raise MXNetTypeError(f"Variable: name must be a string, got {name!r}")
    attrs = _user_attrs(AttrScope.current.get(attr), f"Variable {name!r}")
    if shape is not None:
        attrs["__shape__"] = str(tuple(int(d) for d in shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(dtype_flag(normalize_dtype(dtype, f"Variable {name!r}")))
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        codes = {"default": 0, "row_sparse": 1, "csr": 2}
        if stype not in codes:
            raise MXNetValueError(f"Variable {name!r}: unknown stype {stype!r}")
        attrs["__storage_type__"] = str(codes[stype])
    for key, value in kwargs.items():
        if not (key.startswith("__") and key.endswith("__")):
            raise MXNetValueError(
                f"Variable {name!r}: attribute name={key} is not supported; additional "
                "attributes must start and end with double underscores, e.g. __yourattr__")
        attrs[key] = str(value)
    return Symbol([(_Node(None, name, user_attrs=attrs), 0)])


var = Variable


def Group(symbols: Sequence[Symbol]) -> Symbol:
    """One symbol whose outputs are all outputs of ``symbols``, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise MXNetTypeError("Group: expects a non-empty list of Symbols")
    return Symbol([entry for s in symbols for entry in s._outputs])


def load_json(json_str: str) -> Symbol:
    """A symbol from MXNet's JSON (also the pre-1.0 ``attr``/``param`` forms)."""
    from .json_io import from_json

    return from_json(json_str)


def load(fname: str) -> Symbol:
    """A symbol from a JSON file written by :meth:`Symbol.save` or MXNet."""
    try:
        with open(fname, "rb") as f:
            text = f.read()
    except OSError as exc:
        raise MXNetError(f"mx.sym.load: cannot read {fname!r}: {exc}") from None
    return load_json(text)


def zeros(shape: Sequence[int], dtype: Any = None, **kwargs: Any) -> Symbol:
    """A symbol of zeros (MXNet's ``mx.sym.zeros``)."""
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    params = {"shape": tuple(shape), **kwargs}
    if dtype is not None:
        params["dtype"] = dtype
    return create(get_op("_zeros"), [], params, name=name, attr=attr, hint="_zeros")


def ones(shape: Sequence[int], dtype: Any = None, **kwargs: Any) -> Symbol:
    """A symbol of ones (MXNet's ``mx.sym.ones``)."""
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    params = {"shape": tuple(shape), **kwargs}
    if dtype is not None:
        params["dtype"] = dtype
    return create(get_op("_ones"), [], params, name=name, attr=attr, hint="_ones")

