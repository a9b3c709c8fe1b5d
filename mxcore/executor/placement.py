"""Model parallelism: which context runs each node, and the copies between contexts.

Nodes made inside ``with mx.AttrScope(ctx_group='dev1'):`` carry ``__ctx_group__``; binding
with ``group2ctx={'dev1': mx.cpu(1)}`` places them there. The rules follow MXNet 1.x's
device placement pass:

1. a node whose group is in ``group2ctx`` runs on that context (a group missing from a
   non-empty ``group2ctx`` is an error);
2. variables sit where their bound arrays live;
3. in topological order, an op without a group takes the context of its first placed input;
4. in reverse order, a placed node gives its context to unplaced inputs;
5. whatever is left runs on the default context.

``simple_bind`` (and Module) allocate a variable's arrays on its own group's context, else
on the default context, as MXNet's ``simple_bind`` does. Where an edge crosses contexts the
compiled program runs a copy step; in training it records an autograd node whose gradient
copies back, so gradients reach arrays on their own contexts.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

from ..base import MXNetTypeError, MXNetValueError

__all__ = ["GROUP_KEY", "normalize_group2ctx", "variable_contexts", "place_nodes",
           "CrossDeviceCopy", "transfer"]

#: the node attribute naming a node's context group
GROUP_KEY = "__ctx_group__"


def normalize_group2ctx(group2ctx: Any, where: str = "bind") -> Dict[str, Any]:
    """``group2ctx`` checked: a dict of group name -> Context (``None`` -> ``{}``)."""
    from ..context import Context

    if group2ctx is None:
        return {}
    if not isinstance(group2ctx, Mapping):
        raise MXNetTypeError(f"{where}: group2ctx must be a dict of group name -> Context, "
                             f"got {type(group2ctx).__name__}")
    out: Dict[str, Any] = {}
    for group, ctx in group2ctx.items():
        if not isinstance(ctx, Context):
            raise MXNetTypeError(f"{where}: group2ctx[{group!r}] must be a Context, got "
                                 f"{ctx!r}")
        out[str(group)] = ctx
    return out


def _group(node: Any) -> Optional[str]:
    attrs = getattr(node, "user_attrs", None) or {}
    return attrs.get(GROUP_KEY)


def _group_ctx(node: Any, group2ctx: Dict[str, Any]) -> Any:
    group = _group(node)
    if group is None:
        return None
    ctx = group2ctx.get(group)
    if ctx is None:
        raise MXNetValueError(f"bind: node {node.name!r} is in context group {group!r}, which "
                              f"group2ctx {sorted(group2ctx)} does not assign")
    return ctx


def variable_contexts(symbol: Any, default_ctx: Any, group2ctx: Any) -> Dict[str, Any]:
    """Variable name -> the context its arrays are allocated on (its group's, or default)."""
    table = normalize_group2ctx(group2ctx)
    out: Dict[str, Any] = {}
    for node in symbol._topo():
        if node.op is None and node.name not in out:
            ctx = _group_ctx(node, table) if table else None
            out[node.name] = ctx if ctx is not None else default_ctx
    return out


def place_nodes(nodes: Sequence[Any], default_ctx: Any, group2ctx: Dict[str, Any],
                var_ctx: Mapping[str, Any]) -> Dict[int, Any]:
    """``id(node)`` -> context for ``nodes`` (topologically ordered), by the rules above."""
    placed: Dict[int, Any] = {}
    for node in nodes:
        if node.op is None:
            ctx = var_ctx.get(node.name)
            if ctx is None:
                ctx = _group_ctx(node, group2ctx)
        else:
            ctx = _group_ctx(node, group2ctx)
            if ctx is None:
                for src, _ in node.inputs:
                    ctx = placed.get(id(src))
                    if ctx is not None:
                        break
        if ctx is not None:
            placed[id(node)] = ctx
    for node in reversed(nodes):
        ctx = placed.get(id(node))
        if ctx is None:
            continue
        for src, _ in node.inputs:
            placed.setdefault(id(src), ctx)
    for node in nodes:
        placed.setdefault(id(node), default_ctx)
    return placed


def transfer(data: Any, src: Any, dst: Any) -> Any:
    """A backend array on ``src`` copied onto ``dst``."""
    src_backend = src.backend
    dst_backend = dst.backend
    if src_backend is dst_backend:
        return dst_backend.copy(data, dst.device_id)
    return dst_backend.from_host(src_backend.to_host(data), dst.device_id)


class CrossDeviceCopy:
    """The op of a copy step between contexts (MXNet's ``_CrossDeviceCopy``).

    Its gradient copies the head gradient back onto the source context.
    """

    name = "_CrossDeviceCopy"
    area = "executor"
    differentiable = True
    uses_train_flag = False
    uses_rng = False
    may_alias = False
    mutates = ()
    check = None
    defaults: Dict[str, Any] = {}

    def __init__(self, src: Any, dst: Any):
        self.src = src
        self.dst = dst

    def kernel(self, data: Any) -> Any:
        return transfer(data, self.src, self.dst)

    def gradient(self, F: Any, inputs: Any, outputs: Any, out_grads: Any, **attrs: Any) -> list:
        return [out_grads[0].copyto(self.src)]
