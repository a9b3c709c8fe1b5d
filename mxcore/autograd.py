"""Imperative automatic differentiation (``mx.autograd``), as in MXNet 1.x.

Under ``record()`` every op whose inputs need gradients appends a node to a tape (the node is
reachable from the op's outputs). ``backward`` walks the nodes in reverse topological order
(iteratively, so deep graphs are fine) and calls each op's declared gradient, which is written
in terms of ``mx.nd`` ops — so with ``create_graph=True`` the backward pass is itself recorded
and higher-order gradients work on every backend.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Sequence, Union

from .base import MXNetError, MXNetValueError

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "mark_variables", "backward", "grad", "Function",
           "get_symbol"]


class _State(threading.local):
    def __init__(self) -> None:
        self.recording = False
        self.training = False


STATE = _State()


class Node:
    """One recorded operation: the op (or Function), its attrs, inputs and outputs."""

    __slots__ = ("op", "attrs", "inputs", "outputs", "freed", "__weakref__")

    def __init__(self, op: Any, attrs: dict, inputs: Sequence[Any], outputs: Sequence[Any]):
        self.op = op
        self.attrs = attrs
        self.inputs = inputs
        self.outputs = outputs  # detached arrays sharing the outputs' data
        self.freed = False


class Entry:
    """Autograd identity of an array: output ``index`` of ``node``, or a leaf variable."""

    __slots__ = ("node", "index", "grad_req", "variable", "fresh")

    def __init__(self, node: Optional[Node], index: int = 0, grad_req: str = "write",
                 variable: Any = None):
        self.node = node
        self.index = index
        self.grad_req = grad_req
        self.variable = variable  # the leaf array (only for leaves)
        #: a leaf's gradient was written by backward and not yet used by an optimizer step
        self.fresh = False


class _Scope:
    __slots__ = ("recording", "training", "old")

    def __init__(self, recording: Optional[bool], training: Optional[bool]):
        self.recording = recording
        self.training = training
        self.old = []

    def __enter__(self):
        self.old.append((STATE.recording, STATE.training))
        if self.recording is not None:
            STATE.recording = self.recording
        if self.training is not None:
            STATE.training = self.training
        return self

    def __exit__(self, *exc):
        STATE.recording, STATE.training = self.old.pop()


def record(train_mode: bool = True) -> _Scope:
    """Record operations for gradient computation (``with autograd.record():``)."""
    return _Scope(True, train_mode)


def pause(train_mode: bool = False) -> _Scope:
    """Stop recording inside a ``record()`` block."""
    return _Scope(False, train_mode)


def train_mode() -> _Scope:
    """Run in training mode (Dropout active, BatchNorm uses batch statistics)."""
    return _Scope(None, True)


def predict_mode() -> _Scope:
    """Run in inference mode."""
    return _Scope(None, False)


def is_recording() -> bool:
    return STATE.recording


def is_training() -> bool:
    return STATE.training


def set_recording(is_recording: bool) -> bool:  # noqa: F811 - MXNet's name
    """Set recording state; returns the previous one."""
    prev = STATE.recording
    STATE.recording = bool(is_recording)
    return prev


def set_training(train_mode: bool) -> bool:  # noqa: F811 - MXNet's name
    prev = STATE.training
    STATE.training = bool(train_mode)
    return prev


def mark_variables(variables: Any, gradients: Any, grad_reqs: Union[str, Sequence[str]] = "write"
                   ) -> None:
    """Mark arrays as variables whose gradients go into ``gradients``."""
    from .ndarray import NDArray

    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    if not (len(variables) == len(gradients) == len(grad_reqs)):
        raise MXNetValueError("mark_variables: variables, gradients and grad_reqs differ in "
                              "length")
    for var, g, req in zip(variables, gradients, grad_reqs):
        _check_req(req)
        var._grad = g
        var._ag = Entry(None, 0, req, var)


def _check_req(req: str) -> None:
    if req not in ("write", "add", "null"):
        raise MXNetValueError(f"grad_req must be 'write', 'add' or 'null', got {req!r}")


# -- recording ------------------------------------------------------------------------------
def record_op(op: Any, attrs: dict, inputs: Sequence[Any], outputs: Sequence[Any],
              detached: Optional[Sequence[Any]] = None) -> None:
    """Append a node for ``op`` whose results are ``outputs`` (called by dispatch).

    The node keeps ``detached`` twins of the outputs (same data, no autograd entry), so that
    no reference cycle runs through the arrays the user holds.
    """
    if detached is None:
        detached = [o._detached() for o in outputs]
    node = Node(op, attrs, list(inputs), detached)
    for i, out in enumerate(outputs):
        out._ag = Entry(node, i)


# -- backward ---------------------------------------------------------------------------------
def _topo_nodes(heads: Sequence[Any]) -> List[Node]:
    """Nodes reachable from the heads, in topological order (inputs first); iterative."""
    order: List[Node] = []
    seen = set()
    stack = []
    for h in heads:
        entry = h._ag
        if entry is not None and entry.node is not None:
            stack.append((entry.node, False))
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for inp in node.inputs:
            e = inp._ag
            if e is not None and e.node is not None and id(e.node) not in seen:
                stack.append((e.node, False))
    return order


_ND: Any = None


def _nd() -> Any:
    """The mx.nd module (imported lazily: it imports this module)."""
    global _ND
    if _ND is None:
        from . import ndarray

        _ND = ndarray
    return _ND


def _needs_grad(array: Any) -> bool:
    """Whether a gradient for ``array`` is used (recorded, and not a grad_req='null' leaf)."""
    entry = array._ag
    return entry is not None and not (entry.node is None and entry.grad_req == "null")


def _key(entry: Entry) -> Any:
    """Gradient-accumulation key: outputs by (node, index), leaves by their entry."""
    node = entry.node
    return id(entry) if node is None else (id(node), entry.index)


def _run_backward(heads, head_grads, variables=None, retain_graph=False, create_graph=False,
                  train_mode=True) -> Dict[int, Any]:
    """Propagate gradients; returns ({key: grad}, {key: leaf entry}) for leaves."""
    nd = _nd()

    if not isinstance(heads, (list, tuple)):
        heads = [heads]
    if head_grads is None:
        head_grads = [None] * len(heads)
    elif not isinstance(head_grads, (list, tuple)):
        head_grads = [head_grads]
    if len(head_grads) != len(heads):
        raise MXNetValueError("backward: head_grads must match heads in length")

    grads: Dict[Any, Any] = {}
    leaves: Dict[Any, Entry] = {}

    def accumulate(entry: Entry, g: Any) -> None:
        node = entry.node
        key = id(entry) if node is None else (id(node), entry.index)
        prev = grads.get(key)
        grads[key] = g if prev is None else prev + g
        if node is None:
            leaves[key] = entry

    for h, hg in zip(heads, head_grads):
        if h._ag is None:
            raise MXNetError(
                "backward: cannot differentiate with respect to an array that was not "
                "computed under autograd.record() from arrays with attach_grad()")
        if hg is None:
            hg = _ones_like(h)
        accumulate(h._ag, hg)

    nodes = _topo_nodes(heads)
    pop = grads.pop
    with _Scope(create_graph, train_mode):
        for node in reversed(nodes):
            if node.freed:
                raise MXNetError(
                    "backward: the graph has been freed by an earlier backward; pass "
                    "retain_graph=True to backward twice")
            outputs = node.outputs
            node_id = id(node)
            if len(outputs) == 1:
                g = pop((node_id, 0), None)
                if g is None:
                    continue
                ograds = [g]
            else:
                ograds = [pop((node_id, i), None) for i in range(len(outputs))]
                if not any(g is not None for g in ograds):
                    continue
                ograds = [nd.zeros_like(o) if g is None else g for g, o in zip(ograds, outputs)]
            if create_graph:
                outputs = _recordable_outputs(node, outputs)
            if getattr(node.op, "partial_gradient", False):
                needed = [_needs_grad(inp) for inp in node.inputs]
                in_grads = node.op.gradient(nd, node.inputs, outputs, ograds, needed=needed,
                                            **node.attrs)
            else:
                in_grads = node.op.gradient(nd, node.inputs, outputs, ograds, **node.attrs)
            for inp, g in zip(node.inputs, in_grads):
                entry = inp._ag
                if g is None or entry is None:
                    continue
                if entry.node is None and entry.grad_req == "null":
                    continue
                accumulate(entry, g)
            if not retain_graph:
                node.freed = True
    if not retain_graph:
        for node in nodes:
            node.inputs = ()
            node.outputs = ()
    return {key: grads[key] for key in leaves if key in grads}, leaves


def _ones_like(head: Any) -> Any:
    """The default head gradient: ones shaped like ``head`` (built without dispatch)."""
    nd = _nd()
    data = head._sync()
    if data is None:  # a sparse head: its default gradient is dense ones
        return nd.ones(head.shape, ctx=head.context, dtype=head.dtype)
    ones = head._ctx.backend.kernels["full"](data.shape, 1, data.dtype)
    return nd.ndarray._wrap(ones, head._ctx)


def _recordable_outputs(node: Node, outputs: Sequence[Any]) -> List[Any]:
    """Twins of ``node``'s outputs that carry its autograd entries.

    A gradient written with the op's outputs (``exp``, ``sigmoid``, ``sqrt`` ...) then stays
    differentiable with respect to the inputs under ``create_graph=True``. The twins are not
    stored on the node, so no reference cycle is made.
    """
    twins = []
    for i, out in enumerate(outputs):
        twin = out._detached()
        twin._ag = Entry(node, i)
        twins.append(twin)
    return twins


def backward(heads: Any, head_grads: Any = None, retain_graph: bool = False,
             train_mode: bool = True) -> None:
    """Compute gradients of ``heads`` and write them into the variables' ``.grad``."""
    grads, leaves = _run_backward(heads, head_grads, retain_graph=retain_graph,
                                  train_mode=train_mode)
    for key, g in grads.items():
        entry = leaves[key]
        var = entry.variable
        if var is None or var._grad is None or entry.grad_req == "null":
            continue
        _store_grad(var, g, entry.grad_req)
        entry.fresh = True


def _store_grad(var: Any, g: Any, req: str) -> None:
    target = var._grad
    g.wait_to_read()
    data, tdata = g._data, target._data
    if data is None or tdata is None:  # a sparse gradient or gradient buffer
        _store_sparse_grad(target, g, req)
        return
    if (req == "write" and target._pending is None and g._ctx is target._ctx
            and data.shape == tdata.shape and data.dtype == tdata.dtype):
        tdata[...] = data  # the common case, synchronously
        return
    if g.shape != target.shape:
        g = g.broadcast_to(target.shape) if g.size == 1 else g.reshape(target.shape)
    if g.dtype != target.dtype:
        g = g.astype(target.dtype)
    if req == "add":
        target._assign(target + g)
    else:
        target._assign(g)


def _store_sparse_grad(target: Any, g: Any, req: str) -> None:
    """Store ``g`` into ``target`` when either is sparse; a row_sparse buffer keeps only the
    rows the gradient holds (``add`` unites the rows)."""
    if g.shape != target.shape:
        raise MXNetValueError(f"backward: gradient of shape {g.shape} does not fit the "
                              f"gradient buffer of shape {target.shape}")
    if g.dtype != target.dtype:
        g = g.astype(target.dtype)
    if req == "add":
        g = target + g
    target._assign(g)


def grad(heads: Any, variables: Any, head_grads: Any = None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, train_mode: bool = True) -> List[Any]:
    """Gradients of ``heads`` with respect to ``variables``, returned (not stored).

    With ``create_graph=True`` the result is recorded, so it can be differentiated again.
    """
    from . import ndarray as nd

    single = isinstance(variables, nd.NDArray)
    if single:
        variables = [variables]
    for v in variables:
        if v._ag is None:
            raise MXNetError("grad: every variable must have attach_grad() or be recorded")
    if retain_graph is None:
        retain_graph = create_graph
    grads, _ = _run_backward(heads, head_grads, variables, retain_graph=retain_graph,
                             create_graph=create_graph, train_mode=train_mode)
    out = []
    for v in variables:
        g = grads.get(_key(v._ag))
        out.append(nd.zeros_like(v) if g is None else g)
    return out


def get_symbol(x: Any) -> Any:
    """The recorded computation that produced ``x``, as an ``mx.sym`` Symbol.

    Arrays the tape treats as inputs (leaves, untracked constants) become variables named
    ``var0``, ``var1`` ... in order of first use.
    """
    from . import symbol as sym
    from .ops.registry import OpDef

    entry = getattr(x, "_ag", None)
    if entry is None or entry.node is None:
        raise MXNetError("get_symbol: the array was not computed under autograd.record() "
                         "from arrays that need gradients")
    built: Dict[int, Any] = {}
    variables: Dict[Any, Any] = {}

    def symbol_of(array: Any) -> Any:
        e = array._ag
        if e is not None and e.node is not None:
            return built[id(e.node)][e.index]
        key = ("constant", id(array)) if e is None else id(e)
        if key not in variables:
            variables[key] = sym.Variable(f"var{len(variables)}")
        return variables[key]

    for node in _topo_nodes([x]):
        if node.freed:
            raise MXNetError("get_symbol: the graph was freed by backward; call get_symbol "
                             "first or pass retain_graph=True")
        if not isinstance(node.op, OpDef):
            raise MXNetError(f"get_symbol: {node.op.name} (a custom Function or a copy "
                             "between contexts) has no symbolic form")
        params = {k: v for k, v in node.attrs.items() if k in node.op.params}
        built[id(node)] = sym.symbol.create(node.op, [symbol_of(i) for i in node.inputs],
                                            params)
    return built[id(entry.node)][entry.index]


class Function:
    """A user-defined differentiable function: override ``forward`` and ``backward``.

    Example::

        class Sigmoid(mx.autograd.Function):
            def forward(self, x):
                y = 1 / (1 + mx.nd.exp(-x))
                self.save_for_backward(y)
                return y

            def backward(self, dy):
                y, = self.saved_tensors
                return dy * y * (1 - y)
    """

    def __init__(self) -> None:
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *args: Any) -> None:
        self.saved_tensors = args

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError

    def backward(self, *output_grads: Any) -> Any:
        raise NotImplementedError

    def __call__(self, *inputs: Any) -> Any:
        from .ndarray import NDArray

        with pause(train_mode=STATE.training):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        if STATE.recording and any(i._ag is not None for i in inputs
                                   if isinstance(i, NDArray)):
            record_op(_FunctionOp(self, len(inputs)), {}, inputs, outs)
        return outputs


class _FunctionOp:
    """Adapts a :class:`Function` to the op gradient protocol."""

    __slots__ = ("fn", "n_inputs")
    name = "_CustomFunction"

    def __init__(self, fn: Function, n_inputs: int):
        self.fn = fn
        self.n_inputs = n_inputs

    def gradient(self, F, inputs, outputs, out_grads, **attrs):
        with pause():
            grads = self.fn.backward(*out_grads)
        if not isinstance(grads, (list, tuple)):
            grads = [grads]
        if len(grads) != self.n_inputs:
            raise MXNetValueError(
                f"Function.backward returned {len(grads)} gradients for {self.n_inputs} "
                "inputs")
        return list(grads)
