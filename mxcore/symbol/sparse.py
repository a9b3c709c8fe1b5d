"""``mx.sym.sparse``: operators for graphs with sparse values (MXNet's ``mx.sym.sparse``).

``mx.sym.sparse.<name>`` is the op registered as ``_sparse_<name>`` where there is one
(``retain``, ``adagrad_update``), else ``mx.sym.<name>`` (``dot``, ``Embedding``,
``cast_storage``, ``elemwise_add`` ...): one op serves every storage type, and the
executor picks its sparse kernel from the storage types of the values it meets.

Example::

    >>> x = mx.sym.Variable("x", stype="csr")
    >>> y = mx.sym.sparse.dot(x, mx.sym.Variable("w"))
"""

from __future__ import annotations

from typing import Any, Callable

__all__: list = []  # every name is resolved on first use (module __getattr__)


def _lookup(name: str) -> Callable:
    from . import op as _op

    fn = getattr(_op, "_sparse_" + name, None) or getattr(_op, name, None)
    if fn is None or name.startswith("_"):
        raise AttributeError(f"module 'mxcore.symbol.sparse' has no attribute {name!r}")
    return fn


def __getattr__(name: str) -> Any:
    fn = _lookup(name)
    globals()[name] = fn
    return fn
