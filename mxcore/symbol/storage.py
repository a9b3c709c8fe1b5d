"""Storage types of a Symbol's arguments and of their gradients (``simple_bind``, Module).

A variable's storage type comes from ``stype_dict`` or its ``stype=`` (MXNet's
``__storage_type__`` attribute). A gradient is row_sparse where MXNet's storage-type
inference makes it so: every use of the argument is the weight of an
``Embedding(sparse_grad=True)`` or the right operand of ``dot(csr, w)`` (no transposes).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..base import MXNetTypeError, MXNetValueError

__all__ = ["STYPE_CODES", "arg_stypes", "grad_stypes", "zeros_of"]

#: MXNet's storage-type codes in the ``__storage_type__`` attribute
STYPE_CODES = {"default": 0, "row_sparse": 1, "csr": 2}
_FROM_CODE = {str(v): k for k, v in STYPE_CODES.items()}


def arg_stypes(symbol: Any, stype_dict: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Argument name -> storage type ('default', 'row_sparse' or 'csr')."""
    if stype_dict is not None and not isinstance(stype_dict, dict):
        raise MXNetTypeError(f"simple_bind: stype_dict must be a dict, got "
                             f"{type(stype_dict).__name__}")
    names = symbol.list_arguments()
    attrs = symbol.attr_dict()
    out: Dict[str, str] = {}
    for name in names:
        code = attrs.get(name, {}).get("__storage_type__")
        out[name] = _FROM_CODE.get(str(code), "default") if code is not None else "default"
    for name, stype in (stype_dict or {}).items():
        if name not in out:
            raise MXNetValueError(f"simple_bind: stype_dict names {name!r}, which is not an "
                                  f"argument of the symbol ({names})")
        if stype not in STYPE_CODES:
            raise MXNetValueError(f"simple_bind: unknown storage type {stype!r} for {name!r}; "
                                  f"expected one of {list(STYPE_CODES)}")
        out[name] = stype
    return out


def grad_stypes(symbol: Any, stypes: Dict[str, str]) -> Dict[str, str]:
    """Argument name -> the storage type of its gradient ('default' or 'row_sparse')."""
    uses: Dict[str, list] = {}
    for node in symbol._topo():
        if node.op is None:
            continue
        attrs = None
        for pos, (src, _) in enumerate(node.inputs):
            if src.op is not None:
                continue
            if attrs is None:
                attrs = node.op.parse_attrs(dict(node.attrs))
            uses.setdefault(src.name, []).append(_sparse_grad_use(node, attrs, pos, stypes))
    return {name: "row_sparse" if uses.get(name) and all(uses[name]) else "default"
            for name in symbol.list_arguments()}


def _sparse_grad_use(node: Any, attrs: Dict[str, Any], pos: int, stypes: Dict[str, str]
                     ) -> bool:
    """Whether this use of a variable yields a row_sparse gradient for it."""
    name = node.op.name
    if name == "Embedding":
        return pos == 1 and bool(attrs.get("sparse_grad"))
    if name == "dot" and pos == 1 and not attrs.get("transpose_a") \
            and not attrs.get("transpose_b"):
        lhs = node.inputs[0][0]
        return lhs.op is None and stypes.get(lhs.name) == "csr"
    return False


def zeros_of(stype: str, shape: Any, ctx: Any, dtype: Any) -> Any:
    """A zero array of ``stype``."""
    from .. import ndarray as nd

    if stype == "default":
        return nd.zeros(shape, ctx=ctx, dtype=dtype)
    return nd.sparse.zeros(stype, shape, ctx=ctx, dtype=dtype)
