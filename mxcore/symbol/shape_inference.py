"""Shape and dtype inference for Symbol graphs, including parameter shapes.

Inference runs forward in topological order. Before an op node is evaluated, its parameter
inputs with unknown shapes (weights, biases, norm scales, labels) are filled from the data
shape by :data:`PARAM_SHAPES`. Output shapes then come from ``OpDef.infer_shape`` where an op
declares one, else from *abstract evaluation*: the op runs on the CPU backend on zero arrays
of the known shapes and dtypes (results cached by op, attrs, shapes and dtypes).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetError, MXNetValueError, describe_shapes
from ..dtypes import DEFAULT_DTYPE, dtype_from_flag, normalize_dtype

__all__ = ["PARAM_SHAPES", "param_shapes", "infer_graph", "infer_shape", "infer_type",
           "GraphInfo"]

Shape = Tuple[int, ...]
ShapeRule = Callable[[Dict[str, Any], Shape], Dict[str, Shape]]


# -- parameter shapes from the data shape ---------------------------------------------------
def _prod(dims: Sequence[int]) -> int:
    n = 1
    for d in dims:
        n *= int(d)
    return n


def _fully_connected(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    n_in = _prod(data[1:]) if attrs.get("flatten", True) else data[-1]
    hidden = attrs["num_hidden"]
    return {"weight": (hidden, n_in), "bias": (hidden,)}


def _channels_last(attrs: Dict[str, Any]) -> bool:
    layout = attrs.get("layout")
    return bool(layout) and layout.endswith("C")


def _convolution(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    kernel = tuple(attrs["kernel"])
    groups = attrs.get("num_group", 1) or 1
    filters = attrs["num_filter"]
    if _channels_last(attrs):
        weight = (filters,) + kernel + (data[-1] // groups,)
    else:
        weight = (filters, data[1] // groups) + kernel
    return {"weight": weight, "bias": (filters,)}


def _deconvolution(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    kernel = tuple(attrs["kernel"])
    groups = attrs.get("num_group", 1) or 1
    filters = attrs["num_filter"]
    channels = data[-1] if _channels_last(attrs) else data[1]
    if _channels_last(attrs):
        weight = (channels,) + kernel + (filters // groups,)
    else:
        weight = (channels, filters // groups) + kernel
    return {"weight": weight, "bias": (filters,)}


def _per_axis(names: Sequence[str], default_axis: int) -> ShapeRule:
    def rule(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
        axis = attrs.get("axis", default_axis)
        size = data[axis % len(data)]
        return {name: (size,) for name in names}
    return rule


def _group_norm(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    groups = attrs.get("num_groups", 1)
    return {"gamma": (groups,), "beta": (groups,)}


def _embedding(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    return {"weight": (attrs["input_dim"], attrs["output_dim"])}


def _leaky_relu(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    if attrs.get("act_type") != "prelu":
        return {}
    return {"gamma": (data[1],) if len(data) > 1 else (1,)}


def _softmax_label(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    if attrs.get("multi_output"):
        return {"label": (data[0],) + tuple(data[2:])}
    if attrs.get("preserve_shape"):
        return {"label": tuple(data[:-1])}
    return {"label": (data[0],)}


def _same_label(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    return {"label": tuple(data)}


def _rnn(attrs: Dict[str, Any], data: Shape) -> Dict[str, Shape]:
    from ..ops.rnn import rnn_shapes

    return rnn_shapes(attrs, data) if len(data) == 3 else {}


#: op name -> rule(attrs, data shape) -> {input name: shape}
PARAM_SHAPES: Dict[str, ShapeRule] = {
    "FullyConnected": _fully_connected,
    "Convolution": _convolution,
    "Deconvolution": _deconvolution,
    "BatchNorm": _per_axis(("gamma", "beta", "moving_mean", "moving_var"), 1),
    "LayerNorm": _per_axis(("gamma", "beta"), -1),
    "InstanceNorm": _per_axis(("gamma", "beta"), 1),
    "GroupNorm": _group_norm,
    "Embedding": _embedding,
    "LeakyReLU": _leaky_relu,
    "SoftmaxOutput": _softmax_label,
    "LinearRegressionOutput": _same_label,
    "LogisticRegressionOutput": _same_label,
    "MAERegressionOutput": _same_label,
    "RNN": _rnn,
}


def param_shapes(op: Any, attrs: Dict[str, Any], data_shape: Shape) -> Dict[str, Shape]:
    """Shapes of ``op``'s parameter inputs implied by its data shape ({} if none)."""
    rule = PARAM_SHAPES.get(op.name)
    if rule is None:
        return {}
    return rule(attrs, tuple(data_shape))


# -- abstract evaluation ---------------------------------------------------------------------
_EVAL_CACHE: Dict[tuple, List[Tuple[Shape, np.dtype]]] = {}
_RNG: Dict[Any, Any] = {}


def _attrs_key(attrs: Dict[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in attrs.items()))


def _abstract_eval(op: Any, attrs: Dict[str, Any], shapes: List[Shape],
                   dtypes: List[np.dtype]) -> List[Tuple[Shape, np.dtype]]:
    """Output (shape, dtype) pairs of ``op`` on zero arrays (errors propagate)."""
    key = (op.name, _attrs_key(attrs), tuple(shapes), tuple(dtypes))
    cached = _EVAL_CACHE.get(key)
    if cached is not None:
        return cached
    from ..context import cpu
    from ..ndarray.invoke import resolve_kernel

    ctx = cpu()
    if op.infer_shape is not None:
        out_shapes = op.infer_shape(shapes, **attrs)
        result = [(tuple(s), dtypes[0] if dtypes else DEFAULT_DTYPE) for s in out_shapes]
    else:
        kernel = op.kernel_cache.get(ctx) or resolve_kernel(op, ctx)
        full = ctx.backend.kernels["full"]
        arrays = [full(tuple(s), 0, d) for s, d in zip(shapes, dtypes)]
        kwargs = dict(attrs)
        if op.uses_rng:
            # a copy of the generator: inference must not move the user's random stream
            kwargs["rng"] = copy.deepcopy(ctx.backend.rng(ctx.device_id))
        if op.uses_train_flag:
            kwargs["is_train"] = False
        if op.check is not None:
            op.check(list(shapes), list(dtypes), **attrs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                out = kernel(*arrays, **kwargs)
        n_out = op.output_count(attrs)
        outs = [out] if n_out == 1 and not op.mutates else list(out)[:n_out]
        result = [(tuple(int(d) for d in o.shape), np.dtype(o.dtype)) for o in outs]
    if len(_EVAL_CACHE) > 4096:
        _EVAL_CACHE.clear()
    _EVAL_CACHE[key] = result
    return result


# -- graph inference ---------------------------------------------------------------------------
class GraphInfo:
    """Inference results: shape and dtype per output entry ``(id(node), index)`` (None when
    unknown), and per variable node id."""

    def __init__(self) -> None:
        self.shapes: Dict[Tuple[int, int], Optional[Shape]] = {}
        self.dtypes: Dict[Tuple[int, int], Optional[np.dtype]] = {}

    def shape(self, node: Any, index: int = 0) -> Optional[Shape]:
        return self.shapes.get((id(node), index))

    def dtype(self, node: Any, index: int = 0) -> Optional[np.dtype]:
        return self.dtypes.get((id(node), index))


def _known(shape: Optional[Shape]) -> bool:
    """A shape is known when every dim is (MXNet 1.x writes 0 for an unknown dim)."""
    if shape is None:
        return False
    return all(d > 0 for d in shape)


def _var_shape(node: Any) -> Optional[Shape]:
    text = node.user_attrs.get("__shape__")
    if text is None:
        return None
    from ..ops.registry import to_shape

    try:
        shape = to_shape(text)
    except (TypeError, ValueError):
        raise MXNetValueError(f"infer_shape: variable {node.name!r} has an invalid __shape__ "
                              f"attribute {text!r}") from None
    return shape if _known(shape) else None


def _var_dtype(node: Any) -> Optional[np.dtype]:
    text = node.user_attrs.get("__dtype__")
    if text is None:
        return None
    try:
        return normalize_dtype(dtype_from_flag(int(text)))
    except (ValueError, KeyError, MXNetError):
        try:
            return normalize_dtype(text)
        except MXNetError:
            raise MXNetValueError(f"infer_type: variable {node.name!r} has an invalid "
                                  f"__dtype__ attribute {text!r}") from None


def _rule_dtype(op: Any, attrs: Dict[str, Any], in_dtypes: List[Optional[np.dtype]]
                ) -> Optional[np.dtype]:
    """Output dtype without evaluating: the ``dtype`` param, else the first input's."""
    if "dtype" in op.params and attrs.get("dtype") is not None and op.name != "Embedding":
        return np.dtype(attrs["dtype"])
    if op.name == "Embedding" and len(in_dtypes) > 1:
        return in_dtypes[1]
    if op.name in ("shape_array", "size_array"):
        return np.dtype("int64")
    known = [d for d in in_dtypes if d is not None]
    if not op.inputs and not known:
        return DEFAULT_DTYPE
    return known[0] if known else None


def _node_error(node: Any, shapes: List[Optional[Shape]], problem: str) -> MXNetValueError:
    shown = ", ".join("?" if s is None else describe_shapes([s]) for s in shapes)
    return MXNetValueError(f"infer_shape: node {node.name!r} (op {node.op.name}): {problem}; "
                           f"input shapes [{shown}]")


def infer_graph(symbol: Any, shapes: Dict[int, Shape], dtypes: Dict[int, np.dtype]
                ) -> GraphInfo:
    """Infer every entry of ``symbol``'s graph from variable shapes/dtypes (by node id)."""
    nodes = symbol._topo()
    info = GraphInfo()
    var_shape: Dict[int, Optional[Shape]] = {}
    var_dtype: Dict[int, Optional[np.dtype]] = {}
    for node in nodes:
        if node.op is None:
            var_shape[id(node)] = shapes.get(id(node)) or _var_shape(node)
            var_dtype[id(node)] = dtypes.get(id(node)) or _var_dtype(node)
    done: set = set()
    for _ in range(4):  # a few passes: a shared variable may be filled by a later consumer
        progress = False
        for node in nodes:
            if id(node) in done:
                continue
            if node.op is None:
                info.shapes[(id(node), 0)] = var_shape[id(node)]
                info.dtypes[(id(node), 0)] = var_dtype[id(node)]
                continue
            if _infer_node(node, info, var_shape, var_dtype):
                done.add(id(node))
                progress = True
        if not progress or len(done) == sum(1 for n in nodes if n.op is not None):
            break
    return info


def _infer_node(node: Any, info: GraphInfo, var_shape: Dict[int, Optional[Shape]],
                var_dtype: Dict[int, Optional[np.dtype]]) -> bool:
    """Fill ``info`` for ``node``'s outputs; True when its output shapes are known."""
    op, attrs = node.op, node.attrs
    in_shapes = [info.shape(n, i) for n, i in node.inputs]
    in_dtypes = [info.dtype(n, i) for n, i in node.inputs]
    names = node.input_names()
    # parameter inputs from the data shape
    if in_shapes and _known(in_shapes[0]) and op.name in PARAM_SHAPES:
        try:
            implied = param_shapes(op, attrs, in_shapes[0])
        except (KeyError, IndexError, TypeError, ZeroDivisionError) as exc:
            raise _node_error(node, in_shapes, f"cannot infer parameter shapes ({exc})") \
                from None
        for k, (child, _idx) in enumerate(node.inputs):
            want = implied.get(names[k]) if k < len(names) else None
            if want is None:
                continue
            have = in_shapes[k]
            if have is None and child.op is None:
                var_shape[id(child)] = want
                info.shapes[(id(child), 0)] = want
                in_shapes[k] = want
            elif have is not None and tuple(have) != tuple(want):
                raise _node_error(node, in_shapes, f"input {names[k]!r} should have shape "
                                  f"{want}, got {tuple(have)}")
    # parameter dtypes follow the data dtype
    known_dtype = next((d for d in in_dtypes if d is not None), None)
    for k, (child, _idx) in enumerate(node.inputs):
        if in_dtypes[k] is None and child.op is None:
            fill = known_dtype
            if op.name == "Embedding" and k == 1:
                fill = np.dtype(attrs.get("dtype") or DEFAULT_DTYPE)
            if fill is not None:
                var_dtype[id(child)] = fill
                info.dtypes[(id(child), 0)] = fill
                in_dtypes[k] = fill
    n_out = node.num_outputs()
    if all(_known(s) for s in in_shapes):
        eval_dtypes = [d if d is not None else DEFAULT_DTYPE for d in in_dtypes]
        try:
            results = _abstract_eval(op, attrs, [tuple(s) for s in in_shapes], eval_dtypes)
        except MXNetError as exc:
            raise _node_error(node, in_shapes, str(exc)) from None
        except Exception as exc:  # the op's own validation: bad shapes for this op
            raise _node_error(node, in_shapes, str(exc) or type(exc).__name__) from None
        exact = all(d is not None for d in in_dtypes)
        for i in range(n_out):
            shape, dtype = results[i] if i < len(results) else (None, None)
            info.shapes[(id(node), i)] = shape
            info.dtypes[(id(node), i)] = dtype if exact else _rule_dtype(op, attrs, in_dtypes)
        return True
    out_dtype = _rule_dtype(op, attrs, in_dtypes)
    for i in range(n_out):
        info.shapes.setdefault((id(node), i), None)
        info.dtypes[(id(node), i)] = out_dtype
    return False


# -- the Symbol methods ------------------------------------------------------------------------
def _named_values(symbol: Any, args: tuple, kwargs: Dict[str, Any], what: str
                  ) -> Dict[int, Any]:
    """Map positional (argument order) and keyword (any input name) values to node ids."""
    arg_nodes = symbol._arg_nodes()
    if args and kwargs:
        raise MXNetValueError(f"{what}: give either positional or keyword arguments, not both")
    if len(args) > len(arg_nodes):
        raise MXNetValueError(f"{what}: {len(args)} positional values for "
                              f"{len(arg_nodes)} arguments {[n.name for n in arg_nodes]}")
    values: Dict[int, Any] = {}
    for node, value in zip(arg_nodes, args):
        if value is not None:
            values[id(node)] = value
    if kwargs:
        by_name: Dict[str, List[Any]] = {}
        for node in symbol._topo():
            if node.op is None:
                by_name.setdefault(node.name, []).append(node)
        for name, value in kwargs.items():
            if name not in by_name:
                raise MXNetValueError(
                    f"{what}: keyword argument name {name!r} not found; candidate arguments: "
                    f"{list(by_name)}")
            if value is not None:
                for node in by_name[name]:
                    values[id(node)] = value
    return values


def _as_shape(value: Any, what: str) -> Optional[Shape]:
    try:
        shape = tuple(int(d) for d in value)
    except (TypeError, ValueError):
        raise MXNetValueError(f"{what}: a shape must be a tuple of ints, got {value!r}") \
            from None
    return shape if _known(shape) else None


def infer_shape(symbol: Any, args: tuple, kwargs: Dict[str, Any], partial: bool) -> tuple:
    """``Symbol.infer_shape`` / ``infer_shape_partial``."""
    given = _named_values(symbol, args, kwargs, "infer_shape")
    shapes = {k: s for k, v in given.items() if (s := _as_shape(v, "infer_shape")) is not None}
    info = infer_graph(symbol, shapes, {})
    arg_shapes = [info.shape(n) for n in symbol._arg_nodes()]
    aux_shapes = [info.shape(n) for n in symbol._aux_nodes()]
    out_shapes = [info.shape(n, i) for n, i in symbol._outputs]
    if not partial and any(s is None for s in arg_shapes + out_shapes + aux_shapes):
        return None, None, None
    return arg_shapes, out_shapes, aux_shapes


def infer_type(symbol: Any, args: tuple, kwargs: Dict[str, Any], partial: bool) -> tuple:
    """``Symbol.infer_type``: NumPy types (``np.float32`` ...) per argument/output/aux."""
    given = _named_values(symbol, args, kwargs, "infer_type")
    dtypes = {k: normalize_dtype(v, "infer_type") for k, v in given.items()}
    info = infer_graph(symbol, {}, dtypes)

    def as_type(d: Optional[np.dtype]) -> Any:
        return None if d is None else np.dtype(d).type

    arg_types = [as_type(info.dtype(n)) for n in symbol._arg_nodes()]
    aux_types = [as_type(info.dtype(n)) for n in symbol._aux_nodes()]
    out_types = [as_type(info.dtype(n, i)) for n, i in symbol._outputs]
    if not partial and any(t is None for t in arg_types + out_types + aux_types):
        return None, None, None
    return arg_types, out_types, aux_types
