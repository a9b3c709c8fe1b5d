"""Graph nodes of a Symbol and the graph walks every part of ``mx.sym`` shares."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..ops.registry import OpDef

__all__ = ["Entry", "_Node", "_topo_nodes", "_aux_ids"]

Entry = Tuple["_Node", int]

#: output names of multi-output ops whose outputs MXNet names specially
_OUTPUT_NAMES = {
    "BatchNorm": ("output", "mean", "var"),
    "LayerNorm": ("output", "mean", "std"),
    "GroupNorm": ("output", "mean", "std"),
    "RNN": ("output", "state", "state_cell"),
}


class _Node:
    """One graph node: an op application, or a variable when ``op`` is None.

    ``attrs`` are the op's normalised params; ``inputs`` a list of ``(node, output_index)``;
    ``user_attrs`` string attributes (``__shape__``, ``__ctx_group__`` ...); ``str_attrs`` the
    params in MXNet's string form (what JSON stores).
    """

    __slots__ = ("op", "name", "attrs", "inputs", "user_attrs", "str_attrs", "__weakref__")

    def __init__(self, op: Optional[OpDef], name: str, attrs: Optional[Dict[str, Any]] = None,
                 inputs: Optional[List[Entry]] = None,
                 user_attrs: Optional[Dict[str, str]] = None,
                 str_attrs: Optional[Dict[str, str]] = None):
        self.op = op
        self.name = name
        self.attrs = attrs if attrs is not None else {}
        self.inputs = list(inputs) if inputs else []
        self.user_attrs = dict(user_attrs) if user_attrs else {}
        self.str_attrs = dict(str_attrs) if str_attrs else {}

    @property
    def is_variable(self) -> bool:
        return self.op is None

    def num_outputs(self) -> int:
        """All outputs, hidden ones included (1 for a variable)."""
        return 1 if self.op is None else self.op.output_count(self.attrs)

    def num_visible_outputs(self) -> int:
        return 1 if self.op is None else self.op.visible_count(self.attrs)

    def output_name(self, index: int) -> str:
        if self.op is None:
            return self.name
        special = _OUTPUT_NAMES.get(self.op.name)
        if special is not None and index < len(special):
            return f"{self.name}_{special[index]}"
        if self.num_visible_outputs() == 1 and index == 0:
            return f"{self.name}_output"
        return f"{self.name}_output{index}"

    def input_names(self) -> List[str]:
        """Names of this op's inputs in order (``arg0``, ``arg1`` ... for variadic ops)."""
        if self.op is None:
            return []
        if self.op.variadic:
            return [f"arg{i}" for i in range(len(self.inputs))]
        return list(self.op.input_names(self.attrs))

    def __repr__(self) -> str:
        kind = "Variable" if self.op is None else self.op.name
        return f"<_Node {kind} {self.name}>"


def _topo_nodes(entries: Sequence[Entry]) -> List[_Node]:
    """Nodes reachable from ``entries`` in post-order (inputs first, in input order)."""
    order: List[_Node] = []
    seen = set()
    for head, _ in entries:
        if id(head) in seen:
            continue
        stack = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def _aux_ids(nodes: Sequence[_Node]) -> set:
    """ids of variables an op mutates (auxiliary states: BatchNorm's moving stats)."""
    aux = set()
    for node in nodes:
        if node.op is not None and node.op.mutates:
            for i in node.op.mutates:
                if i < len(node.inputs) and node.inputs[i][0].op is None:
                    aux.add(id(node.inputs[i][0]))
    return aux
