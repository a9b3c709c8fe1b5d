"""MXNet 1.x's symbol JSON format: writing, and reading untrusted files.

The format is ``{"nodes": [{"op", "name", "attrs", "inputs": [[id, index, version]]}],
"arg_nodes", "node_row_ptr", "heads", "attrs": {"mxnet_version": ["int", N]}}``. Files from
MXNet < 1.0 spell ``attrs`` as ``attr`` (user attributes) and ``param`` (op params).
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..attribute import HIDDEN_KEYS
from ..base import MXNetError, MXNetValueError
from ..ops.registry import OPS
from .symbol import Entry, Symbol, _Node

__all__ = ["to_json", "from_json", "MXNET_VERSION"]

#: the MXNet version written into files (1.9.1)
MXNET_VERSION = 10901


def to_json(symbol: Symbol) -> str:
    """Serialise ``symbol`` (nodes in topological order)."""
    nodes = symbol._topo()
    index = {id(node): i for i, node in enumerate(nodes)}
    out_nodes: List[Dict[str, Any]] = []
    row_ptr = [0]
    for node in nodes:
        entry: Dict[str, Any] = {"op": "null" if node.op is None else node.op.name,
                                 "name": node.name}
        attrs = {**node.str_attrs, **node.user_attrs}
        if attrs:
            entry["attrs"] = attrs
        entry["inputs"] = [[index[id(child)], i, 0] for child, i in node.inputs]
        out_nodes.append(entry)
        row_ptr.append(row_ptr[-1] + node.num_outputs())
    graph = {
        "nodes": out_nodes,
        "arg_nodes": [i for i, node in enumerate(nodes) if node.op is None],
        "node_row_ptr": row_ptr,
        "heads": [[index[id(node)], i, 0] for node, i in symbol._outputs],
        "attrs": {"mxnet_version": ["int", MXNET_VERSION]},
    }
    return _INT_LIST.sub(_compact, json.dumps(graph, indent=2))


#: a list of ints spread over lines by ``indent`` (strings never hold raw newlines)
_INT_LIST = re.compile(r"\[(?=[^\]]*\n)\s*-?\d+(?:\s*,\s*-?\d+)*\s*\]")


def _compact(match: "re.Match[str]") -> str:
    return "[" + ", ".join(re.findall(r"-?\d+", match.group(0))) + "]"


def _fail(problem: str) -> MXNetError:
    return MXNetValueError(f"mx.sym.load_json: {problem}")


def _node_attrs(raw: Dict[str, Any], where: str) -> Dict[str, str]:
    merged: Dict[str, str] = {}
    for key in ("param", "attr", "attrs"):
        part = raw.get(key)
        if part is None:
            continue
        if not isinstance(part, dict):
            raise _fail(f"{where}: {key!r} must be an object, got {type(part).__name__}")
        for k, v in part.items():
            if not isinstance(v, str):
                raise _fail(f"{where}: attribute {k!r} must be a string, got {v!r}")
            merged[k] = v
    return merged


def _entry(ref: Any, nodes: List[_Node], limit: int, total: int, where: str) -> Entry:
    """Check an ``[id, index(, version)]`` reference to one of ``nodes[:limit]``."""
    if (not isinstance(ref, list) or len(ref) not in (2, 3)
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in ref)):
        raise _fail(f"{where}: an input reference must be [node_id, output_index, version], "
                    f"got {ref!r}")
    node_id, out_index = ref[0], ref[1]
    if not 0 <= node_id < limit:
        if limit <= node_id < total:
            raise _fail(f"{where}: refers to node {node_id}, which is not before it "
                        "(cycle or nodes not in topological order)")
        raise _fail(f"{where}: refers to node {node_id}, which does not exist")
    node = nodes[node_id]
    if not 0 <= out_index < node.num_outputs():
        raise _fail(f"{where}: node {node_id} ({node.name!r}) has {node.num_outputs()} "
                    f"outputs, output {out_index} requested")
    return node, out_index


def _legacy_input_attr(key: str, inputs: Sequence[str]) -> Optional[Tuple[str, str]]:
    """``weight_lr_mult`` -> ``("weight", "__lr_mult__")`` (pre-1.0 per-input attributes)."""
    for hidden in HIDDEN_KEYS:
        suffix = "_" + hidden
        if key.endswith(suffix) and key[:-len(suffix)] in inputs:
            return key[:-len(suffix)], f"__{hidden}__"
    return None


def _make_node(raw: Any, i: int, nodes: List[_Node], n_total: int) -> _Node:
    where = f"node {i}"
    if not isinstance(raw, dict):
        raise _fail(f"{where}: must be an object, got {type(raw).__name__}")
    op_name, name = raw.get("op"), raw.get("name")
    if not isinstance(op_name, str) or not isinstance(name, str):
        raise _fail(f"{where}: needs string 'op' and 'name'")
    where = f"node {i} ({name!r}, op {op_name})"
    attrs = _node_attrs(raw, where)
    refs = raw.get("inputs", [])
    if not isinstance(refs, list):
        raise _fail(f"{where}: 'inputs' must be a list")
    if op_name == "null":
        if refs:
            raise _fail(f"{where}: a variable cannot have inputs")
        # pre-1.0 files write hidden keys plainly: lr_mult -> __lr_mult__
        return _Node(None, name, user_attrs={(f"__{k}__" if k in HIDDEN_KEYS else k): v
                                             for k, v in attrs.items()})
    op = OPS.get(op_name)
    if op is None:
        raise _fail(f"{where}: unknown operator {op_name!r}")
    params: Dict[str, str] = {}
    user: Dict[str, str] = {}
    for_inputs: Dict[str, Dict[str, str]] = {}  # legacy "weight_lr_mult" on the op node
    for key, value in attrs.items():
        if key in op.params:
            params[key] = value
        elif key.startswith("__") and key.endswith("__"):
            user[key] = value
        elif key in HIDDEN_KEYS:
            user[f"__{key}__"] = value
        else:
            target = _legacy_input_attr(key, op.inputs)
            if target is None:
                raise _fail(f"{where}: unknown parameter {key!r}; parameters are "
                            f"{list(op.param_order)}")
            for_inputs.setdefault(target[0], {})[target[1]] = value
    try:
        parsed = op.parse_attrs(params)
    except MXNetError as exc:
        raise _fail(f"{where}: {exc}") from None
    inputs = [_entry(ref, nodes, i, n_total, f"{where} input {k}") for k, ref in enumerate(refs)]
    if not op.variadic:
        expected = list(op.input_names(parsed))
        if len(inputs) < len(expected) and len(inputs) >= len(expected) - len(op.mutates) \
                and op.mutates and all(j >= len(inputs) for j in op.mutates):
            # pre-1.0 files leave out auxiliary states: MXNet's loader adds them
            inputs += [(_Node(None, f"{name}_{missing}"), 0)
                       for missing in expected[len(inputs):]]
        if len(inputs) != len(expected):
            raise _fail(f"{where}: expects {len(expected)} inputs {expected}, got "
                        f"{len(inputs)}")
        for input_name, extra in for_inputs.items():
            child = inputs[expected.index(input_name)][0] if input_name in expected else None
            if child is None or child.op is not None:
                raise _fail(f"{where}: attributes {sorted(extra)} name input {input_name!r}, "
                            "which is not a variable of this node")
            child.user_attrs.update(extra)
    elif for_inputs:
        raise _fail(f"{where}: unknown parameters {sorted(for_inputs)}")
    elif "num_args" in op.params and parsed.get("num_args") and \
            parsed["num_args"] != len(inputs):
        raise _fail(f"{where}: num_args={parsed['num_args']} but {len(inputs)} inputs")
    return _Node(op, name, dict(parsed), inputs, user, params)


def from_json(text: Any) -> Symbol:
    """Parse MXNet's symbol JSON; every malformed input raises ``MXNetValueError``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("the file is not UTF-8 text") from None
    if not isinstance(text, str):
        raise _fail(f"expects a JSON string, got {type(text).__name__}")
    try:
        graph = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _fail(f"invalid JSON: {exc}") from None
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        raise _fail("expects an object with a 'nodes' list")
    raw_nodes = graph["nodes"]
    if not raw_nodes:
        raise _fail("the graph has no nodes")
    nodes: List[_Node] = []
    for i, raw in enumerate(raw_nodes):
        nodes.append(_make_node(raw, i, nodes, len(raw_nodes)))
    heads = graph.get("heads")
    if heads is None:
        heads = [[len(nodes) - 1, 0, 0]]
    if not isinstance(heads, list) or not heads:
        raise _fail("'heads' must be a non-empty list of [node_id, output_index, version]")
    n = len(nodes)
    outputs = [_entry(ref, nodes, n, n, f"head {k}") for k, ref in enumerate(heads)]
    return Symbol(outputs)
