"""Block and HybridBlock: containers of layers and parameters (MXNet 1.x ``gluon.block``).

Naming follows MXNet 1.x: a Block created outside any name scope gets a global automatic
prefix (``dense0_``, ``dense1_`` ...); inside ``with parent.name_scope():`` the counter is
the parent's and the prefix is the parent's prefix plus ``dense0_``. Parameter names are the
block prefix plus the name given to ``self.params.get``.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import name as _name
from .. import ndarray as nd
from .. import symbol as _sym
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import Context, current_context
from ..ndarray import NDArray
from . import cached_graph as _cg
from .parameter import (
    CtxArg,
    DeferredInitializationError,
    Parameter,
    ParameterDict,
    shape_is_known,
)

__all__ = ["Block", "HybridBlock", "HookHandle", "SymbolBlock"]


# -- naming ------------------------------------------------------------------------------------
class _NameCounter(threading.local):
    """Per-thread counters for automatic prefixes of blocks created outside a name scope."""

    def __init__(self) -> None:
        self.counts: Dict[str, int] = {}
        self.scope: Optional["_BlockScope"] = None

    def next_name(self, hint: str) -> str:
        count = self.counts.get(hint, 0)
        self.counts[hint] = count + 1
        return f"{hint}{count}"


_NAMES = _NameCounter()


class _BlockScope:
    """The name scope of one Block: counts the children created inside it."""

    def __init__(self, block: "Block") -> None:
        self._block = block
        self._counter: Dict[str, int] = {}
        self._old_scope: Optional[_BlockScope] = None

    @staticmethod
    def create(prefix: Optional[str], params: Optional[ParameterDict],
               hint: str) -> Tuple[str, ParameterDict]:
        """The full prefix and the ParameterDict for a new block."""
        current = _NAMES.scope
        if current is None:
            if prefix is None:
                prefix = _NAMES.next_name(hint) + "_"
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            current._counter[hint] = count + 1
            prefix = f"{hint}{count}_"
        parent = current._block.params
        if params is None:
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self) -> "_BlockScope":
        if self._block._empty_prefix:
            return self
        self._old_scope = _NAMES.scope
        _NAMES.scope = self
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._block._empty_prefix:
            return
        _NAMES.scope = self._old_scope
        self._old_scope = None


class HookHandle:
    """Returned by ``register_forward_hook``; ``detach()`` removes the hook."""

    _next_id = 0

    def __init__(self) -> None:
        self._hooks: Optional[Dict[int, Callable]] = None
        self._id: Optional[int] = None

    def attach(self, hooks: Dict[int, Callable], hook: Callable) -> None:
        if self._hooks is not None:
            raise MXNetError("HookHandle: the handle is already attached")
        HookHandle._next_id += 1
        self._id = HookHandle._next_id
        hooks[self._id] = hook
        self._hooks = hooks

    def detach(self) -> None:
        if self._hooks is not None and self._id in self._hooks:
            del self._hooks[self._id]
        self._hooks = None

    def __enter__(self) -> "HookHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.detach()


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


def _flatten_shapes(value: Any) -> Any:
    if isinstance(value, NDArray):
        return value.shape
    if isinstance(value, (list, tuple)):
        return [_flatten_shapes(v) for v in value]
    return value


def _first_context(args: Tuple[Any, ...]) -> Context:
    for arg in args:
        if isinstance(arg, NDArray):
            return arg.context
        if isinstance(arg, (list, tuple)):
            for item in arg:
                if isinstance(item, NDArray):
                    return item.context
    return current_context()


# -- Block ---------------------------------------------------------------------------------------
class Block:
    """Base class of all layers and models; subclasses implement ``forward``.

    Child Blocks and Parameters assigned as attributes are registered automatically.

    Example::

        >>> import mxcore as mx
        >>> class Scale(mx.gluon.Block):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         with self.name_scope():
        ...             self.alpha = self.params.get("alpha", shape=(1,), init=mx.init.One())
        ...     def forward(self, x):
        ...         return x * self.alpha.data(x.context)
        >>> net = Scale(prefix="scale_")
        >>> net.initialize()
        >>> net(mx.nd.array([1, 2])).asnumpy()
        array([1., 2.], dtype=float32)
    """

    def __init__(self, prefix: Optional[str] = None,
                 params: Optional[ParameterDict] = None) -> None:
        setter = super().__setattr__
        setter("_empty_prefix", prefix == "")
        full_prefix, param_dict = _BlockScope.create(prefix, params, self._alias())
        setter("_prefix", full_prefix)
        setter("_params", param_dict)
        setter("_name", full_prefix[:-1] if full_prefix.endswith("_") else full_prefix)
        setter("_scope", _BlockScope(self))
        setter("_children", OrderedDict())
        setter("_reg_params", OrderedDict())
        setter("_forward_hooks", OrderedDict())
        setter("_forward_pre_hooks", OrderedDict())

    def _alias(self) -> str:
        return type(self).__name__.lower()

    def __repr__(self) -> str:
        lines = [f"  ({key}): {_indent(repr(block), 2)}"
                 for key, block in self.__dict__.items() if isinstance(block, Block)]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def __setattr__(self, name: str, value: Any) -> None:
        if "_children" not in self.__dict__ and isinstance(value, (Block, Parameter)):
            raise MXNetError(f"{type(self).__name__}: assign child Blocks and Parameters only "
                             "after calling super().__init__()")
        existing = self.__dict__.get(name)
        if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
            raise MXNetTypeError(f"Changing attribute type for {name} from {type(existing)} to "
                                 f"{type(value)} is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params and self._reg_params[name] is not value:
                raise MXNetValueError(
                    f"Overriding Parameter attribute {name} is not allowed. To share "
                    "parameters between blocks, pass 'params' when constructing the Block.")
            self._reg_params[name] = value
        super().__setattr__(name, value)

    # -- names and parameters ---------------------------------------------------------------------
    @property
    def prefix(self) -> str:
        """The prefix of this block's parameter names (``dense0_``)."""
        return self._prefix

    @property
    def name(self) -> str:
        """The prefix without its trailing underscore (``dense0``)."""
        return self._name

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's)."""
        return self._params

    def name_scope(self) -> _BlockScope:
        """A context manager; children created inside it are named under this block."""
        return self._scope

    def collect_params(self, select: Optional[str] = None) -> ParameterDict:
        """This block's and all descendants' parameters, optionally those whose name matches
        the regular expression ``select`` (``re.match``, e.g. ``'.*weight|.*bias'``)."""
        out = ParameterDict(self._params.prefix)
        if not select:
            out.update(self.params)
        else:
            pattern = re.compile(select)
            out.update({k: v for k, v in self.params.items() if pattern.match(k)})
        for child in self._children.values():
            out.update(child.collect_params(select=select))
        return out

    def _own_params(self) -> "OrderedDict[str, Parameter]":
        """Own parameters by attribute name, plus any from ``self.params`` not assigned to an
        attribute (keyed by their name without the block prefix)."""
        out: "OrderedDict[str, Parameter]" = OrderedDict(self._reg_params)
        registered = {id(p) for p in out.values()}
        prefix = self._params.prefix
        for full, param in self._params.items():
            if id(param) not in registered:
                key = full[len(prefix):] if full.startswith(prefix) else full
                out.setdefault(key, param)
        return out

    def _collect_params_with_prefix(self, prefix: str = "") -> Dict[str, Parameter]:
        """Parameters by structural name (``0.weight``, ``encoder.1.bias``)."""
        if prefix:
            prefix += "."
        out = {prefix + key: p for key, p in self._own_params().items()}
        for name, child in self._children.items():
            out.update(child._collect_params_with_prefix(prefix + name))
        return out

    def register_child(self, block: "Block", name: Optional[str] = None) -> None:
        """Register ``block`` as a child (named by its position unless ``name`` is given)."""
        if not isinstance(block, Block):
            raise MXNetTypeError(f"register_child expects a Block, got {type(block).__name__}")
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook: Callable) -> HookHandle:
        """Call ``hook(block, inputs)`` before each forward; returns a removable handle."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook: Callable) -> HookHandle:
        """Call ``hook(block, inputs, outputs)`` after each forward; returns a handle."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn: Callable[["Block"], Any]) -> "Block":
        """Call ``fn`` on every descendant (children first) and on this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    # -- whole-model operations -------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: CtxArg = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialise all parameters (``init`` defaults to ``mx.init.Uniform()``)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Accepted for compatibility; execution stays imperative until Symbol support."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        """Cast all parameters to ``dtype`` (e.g. ``'float64'``, ``'float16'``)."""
        for child in self._children.values():
            child.cast(dtype)
        for param in self.params.values():
            param.cast(dtype)

    def zero_grad(self) -> None:
        """Set all parameters' gradients to 0."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx: CtxArg) -> None:
        """Move all parameters to ``ctx``."""
        self.collect_params().reset_ctx(ctx)

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Save parameters by structural name (``0.weight``) in MXNet's ``.params`` format.

        With ``deduplicate=True`` a parameter shared by several blocks is stored once.
        """
        params = self._collect_params_with_prefix()
        if deduplicate:
            first: Dict[int, str] = {}
            for key, param in params.items():
                first.setdefault(id(param), key)
            params = {key: params[key] for key in first.values()}
        nd.save(filename, {key: param._reduce() for key, param in params.items()})

    def load_parameters(self, filename: str, ctx: CtxArg = None, allow_missing: bool = False,
                        ignore_extra: bool = False, cast_dtype: bool = False,
                        dtype_source: str = "current") -> None:
        """Load parameters written by :meth:`save_parameters` (or by MXNet).

        Files with full parameter names (from ``collect_params().save``) load too.
        """
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise MXNetValueError(f"load_parameters: '{filename}' holds a list of arrays, not "
                                  "named parameters")
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any("." in key for key in loaded):
            # a file of full names (ParameterDict.save / older MXNet save_params)
            self.collect_params().load_dict(loaded, ctx, allow_missing, ignore_extra,
                                            self.prefix, filename, cast_dtype, dtype_source)
            return
        if not allow_missing:
            names_of: Dict[int, List[str]] = defaultdict(list)
            for key, param in params.items():
                names_of[id(param)].append(key)
            missing = [key for key, param in params.items()
                       if not any(alias in loaded for alias in names_of[id(param)])]
            if missing:
                raise MXNetValueError(
                    f"Parameters {missing} are missing in file '{filename}', which contains "
                    f"parameters: {sorted(loaded)}. Set allow_missing=True to ignore missing "
                    "parameters.")
        extra = [key for key in loaded if key not in params]
        if extra and not ignore_extra:
            raise MXNetValueError(
                f"Parameters {extra} loaded from file '{filename}' are not present in this "
                f"Block, which contains parameters {sorted(params)}. Set ignore_extra=True to "
                "ignore.")
        for key, value in loaded.items():
            if key in params:
                params[key]._load_init(value, ctx, cast_dtype=cast_dtype,
                                       dtype_source=dtype_source)

    def save_params(self, filename: str) -> None:
        """Deprecated MXNet name: saves full parameter names (use save_parameters)."""
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_params(self, filename: str, ctx: CtxArg = None, allow_missing: bool = False,
                    ignore_extra: bool = False) -> None:
        """Deprecated MXNet name for :meth:`load_parameters`."""
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    # -- running -------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        """The computation; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def summary(self, *inputs: Any) -> None:
        """Print each layer's output shape and parameter count for one run on ``inputs``."""
        _print_summary(self, inputs)


def _shape_text(value: Any) -> str:
    shapes = _flatten_shapes(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(s) for s in shapes)
    return str(shapes)


def _print_summary(block: Block, inputs: Tuple[Any, ...]) -> None:
    """Run ``block`` once on ``inputs`` with hooks that record each layer's output."""
    from .nn.sequential import HybridSequential, Sequential

    rows: List[Tuple[str, str, int, int, int]] = [("Input", _shape_text(list(inputs)), 0, 0, 0)]
    seen: set = set()
    handles: List[HookHandle] = []

    def record(layer: Block, _args: Any, out: Any) -> None:
        total = trainable = shared = 0
        for param in layer.params.values():
            size = 1
            for dim in param.shape or ():
                size *= int(dim)
            total += size
            trainable += 0 if param.grad_req == "null" else size
            if id(param) in seen:
                shared += size
            seen.add(id(param))
        key = f"{type(layer).__name__}-{len(rows)}"
        rows.append((key, _shape_text(out), total, trainable, shared))

    def attach(layer: Block) -> None:
        if getattr(layer, "_active", False):
            raise MXNetError(f'"{layer.name}" must not be hybridized to print summary.')
        if not isinstance(layer, (Sequential, HybridSequential)):
            handles.append(layer.register_forward_hook(record))

    try:
        block.apply(attach)
        block(*inputs)
    finally:
        for handle in handles:
            handle.detach()
    line = "{:>20}  {:>42} {:>15}"
    total = sum(r[2] for r in rows)
    trainable = sum(r[3] for r in rows)
    shared = sum(r[4] for r in rows)
    print("-" * 80)
    print(line.format("Layer (type)", "Output Shape", "Param #"))
    print("=" * 80)
    for name, shape, count, _, _ in rows:
        print(line.format(name, shape, count))
    print("=" * 80)
    print("Parameters in forward computation graph, duplicate included")
    print(f"   Total params: {total}")
    print(f"   Trainable params: {trainable}")
    print(f"   Non-trainable params: {total - trainable}")
    print(f"Shared params in forward computation graph: {shared}")
    print(f"Unique parameters in model: {total - shared}")
    print("-" * 80)


# -- HybridBlock ---------------------------------------------------------------------------------
class HybridBlock(Block):
    """A Block written as ``hybrid_forward(F, x, *args, **params)``.

    ``F`` is ``mx.nd`` when run imperatively; ``params`` holds this block's own parameters'
    data on the input's context, keyed by attribute name. Parameters with unknown dims get
    their shapes from :meth:`infer_shape` on the first call.

    Example::

        >>> import mxcore as mx
        >>> class Affine(mx.gluon.HybridBlock):
        ...     def __init__(self, units, in_units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         with self.name_scope():
        ...             self.weight = self.params.get("weight", shape=(units, in_units))
        ...             self.bias = self.params.get("bias", shape=(units,), init="zeros")
        ...     def hybrid_forward(self, F, x, weight, bias):
        ...         return F.FullyConnected(x, weight, bias, num_hidden=weight.shape[0])
        >>> net = Affine(2, 3)
        >>> net.initialize()
        >>> net(mx.nd.ones((4, 3))).shape
        (4, 2)
    """

    def __init__(self, prefix: Optional[str] = None,
                 params: Optional[ParameterDict] = None) -> None:
        super().__init__(prefix=prefix, params=params)
        object.__setattr__(self, "_active", False)
        object.__setattr__(self, "_flags", {})
        #: traced graphs by input format; the last one traced (what export writes)
        object.__setattr__(self, "_cached_graphs", {})
        object.__setattr__(self, "_cached_graph", None)
        #: why the last trace failed (the block then runs imperatively), or None
        object.__setattr__(self, "_trace_error", None)
        object.__setattr__(self, "_failed_formats", set())

    def register_child(self, block: Block, name: Optional[str] = None) -> None:
        if not isinstance(block, HybridBlock):
            raise MXNetTypeError(
                f"Children of HybridBlock must also be HybridBlock, but {block!r} has type "
                f"{type(block).__name__}. If you are using Sequential, please try "
                "HybridSequential instead.")
        super().register_child(block, name)
        self._clear_cached_op()

    def hybridize(self, active: bool = True, static_alloc: bool = False,
                  static_shape: bool = False, **kwargs: Any) -> None:
        """Run this block (and its children, traced into the same graph) as a Symbol graph.

        The next call traces ``hybrid_forward`` with ``F = mx.sym``; the graph is compiled
        per input shapes, dtypes and context and run on the parameters' arrays, recording
        autograd as the imperative run does. ``static_alloc``/``static_shape`` are accepted
        as in MXNet 1.x. A block whose ``hybrid_forward`` cannot be traced (it reads array
        values or shapes) keeps running imperatively; ``_trace_error`` says why.
        """
        flags = dict(kwargs, static_alloc=bool(static_alloc), static_shape=bool(static_shape))
        object.__setattr__(self, "_active", bool(active))
        object.__setattr__(self, "_flags", flags)
        self._clear_cached_op()
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          **kwargs)

    def _clear_cached_op(self) -> None:
        self._cached_graphs.clear()
        self._failed_formats.clear()
        object.__setattr__(self, "_cached_graph", None)
        object.__setattr__(self, "_trace_error", None)

    def cast(self, dtype: Any) -> None:
        self._clear_cached_op()
        super().cast(dtype)

    def infer_shape(self, *args: Any) -> None:
        """Set the unknown dims of this block's parameters from the inputs ``args``.

        Layers with deferred shapes override this; the default cannot infer anything.
        """
        unknown = [p.name for p in self._own_params().values() if not shape_is_known(p.shape)]
        raise DeferredInitializationError(
            f"{type(self).__name__} '{self.name}': cannot infer the shapes of parameters "
            f"{unknown} from inputs of shapes {_flatten_shapes(list(args))}. Give the full "
            "shapes when creating the parameters, or override infer_shape(*args) to set "
            "param.shape from the inputs.")

    def infer_type(self, *args: Any) -> None:
        """Kept for MXNet compatibility: parameters keep their declared dtype."""

    def _deferred_infer_shape(self, *args: Any) -> None:
        self.infer_shape(*args)
        for param in self.params.values():
            param._finish_deferred_init()
        for param in self._reg_params.values():
            param._finish_deferred_init()

    def _param_data(self, ctx: Context) -> Dict[str, NDArray]:
        return {key: p.data(ctx) for key, p in self._own_params().items()}

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``hybrid_forward`` with ``F = mx.nd`` and this block's parameter data.

        Keyword arguments (an extension over MXNet 1.x) go to ``hybrid_forward`` as well.
        """
        if _is_symbol(x) or any(_is_symbol(a) for a in args):
            return self._symbolic_forward(x, *args, **kwargs)
        if self._active and not kwargs and not _cg.imperative_forced():
            out = self._call_cached_op(x, *args)
            if out is not _IMPERATIVE:
                return out
        ctx = _first_context((x,) + args)
        try:
            params = self._param_data(ctx)
        except DeferredInitializationError:
            self._deferred_infer_shape(x, *args)
            params = self._param_data(ctx)
        if kwargs:
            params.update(kwargs)
        return self.hybrid_forward(nd, x, *args, **params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation, written with ``F`` (``mx.nd`` or, later, ``mx.sym``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward()")

    def _symbolic_forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """``hybrid_forward`` with ``F = mx.sym`` and the parameters' variables."""
        params = {key: _cg.param_var(p) for key, p in self._own_params().items()}
        if kwargs:
            params.update(kwargs)
        with _name.Prefix(self.prefix):
            return self.hybrid_forward(_sym, x, *args, **params)

    def _call_cached_op(self, *args: Any) -> Any:
        """Run the traced graph on NDArray ``args``; ``_IMPERATIVE`` when it cannot."""
        flat, fmt = _cg.flatten(list(args), NDArray)
        if flat is None or fmt in self._failed_formats:
            return _IMPERATIVE
        graph = self._cached_graphs.get(fmt)
        if graph is None:
            if self._has_pending_params():
                # deferred shapes: one imperative call lets the layers infer them; the
                # graph is traced right after (so export works after one call)
                with _cg.imperative_scope():
                    out = self.forward(*args)
                self._trace(flat, fmt)
                return out
            graph = self._trace(flat, fmt)
            if graph is None:
                return _IMPERATIVE
        outputs = graph.run(flat, _first_context(args))
        return _cg.regroup(outputs, graph.out_fmt)[0]

    def _trace(self, flat: List[NDArray], fmt: Any) -> Optional["_cg.CachedGraph"]:
        """Trace and cache the graph for input format ``fmt``; None if it cannot be traced
        (``hybrid_forward`` reads array values or shapes), remembering why."""
        try:
            graph = _cg.trace(self, flat, fmt)
        except Exception as exc:  # noqa: BLE001 - any failure means: stay imperative
            object.__setattr__(self, "_trace_error", exc)
            self._failed_formats.add(fmt)
            return None
        self._cached_graphs[fmt] = graph
        object.__setattr__(self, "_cached_graph", graph)
        return graph

    def _has_pending_params(self) -> bool:
        return any(p._data is None and p._deferred_init
                   for p in self.collect_params().values())

    def export(self, path: str, epoch: int = 0,
               remove_amp_cast: bool = True) -> Tuple[str, str]:
        """Write ``path-symbol.json`` and ``path-%04d.params`` (``arg:``/``aux:`` names).

        Needs a hybridized block that has run forward at least once. Returns both file names.
        """
        graph = self._cached_graph
        if graph is None:
            raise MXNetError(f"{type(self).__name__} '{self.name}'.export: please first call "
                             "block.hybridize() and then run forward with this block at least "
                             "once before calling export.")
        symbol = graph.symbol
        sym_file = f"{path}-symbol.json"
        symbol.save(sym_file, remove_amp_cast=remove_amp_cast)
        args = set(symbol.list_arguments())
        auxs = set(symbol.list_auxiliary_states())
        arrays: Dict[str, NDArray] = {}
        for name, param in self.collect_params().items():
            if name in args:
                arrays["arg:" + name] = param._reduce()
            elif name in auxs:
                arrays["aux:" + name] = param._reduce()
        params_file = f"{path}-{int(epoch):04d}.params"
        nd.save(params_file, arrays)
        return sym_file, params_file


#: returned by ``_call_cached_op`` when the call must run imperatively
_IMPERATIVE = object()


def _is_symbol(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_is_symbol(v) for v in value)
    return isinstance(value, _sym.Symbol)


from .symbol_block import SymbolBlock  # noqa: E402  (it subclasses HybridBlock)
