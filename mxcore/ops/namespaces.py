"""The modules of the generated frontends: ``op``, ``_internal`` and the op namespaces.

``mx.nd`` and ``mx.sym`` each generate one function per registered op name. Every function
is in ``<frontend>.op``; names starting with ``_`` also in ``<frontend>._internal``; and, as
in MXNet, an op registered as ``_contrib_<name>``, ``_linalg_<name>`` or ``_image_<name>``
also appears as ``<frontend>.<namespace>.<name>`` (``mx.nd.contrib.ctc_loss``).
"""

from __future__ import annotations

import types
from typing import Callable, Dict, Optional, Tuple

__all__ = ["NAMESPACES", "split_namespace", "frontend_modules", "add_function"]

NAMESPACES: Tuple[str, ...] = ("contrib", "linalg", "image")


def split_namespace(name: str) -> Optional[Tuple[str, str]]:
    """``"_contrib_ctc_loss"`` -> ``("contrib", "ctc_loss")``; None outside a namespace."""
    for ns in NAMESPACES:
        prefix = f"_{ns}_"
        if name.startswith(prefix) and len(name) > len(prefix):
            return ns, name[len(prefix):]
    return None


def frontend_modules(package: str, functions: Dict[str, Callable]
                     ) -> Dict[str, types.ModuleType]:
    """``op``, ``_internal`` and one module per namespace (``<package>.<name>``), holding
    ``functions`` as :func:`add_function` places them."""
    docs = {"op": "Every generated operator.",
            "_internal": "Operators whose names start with _."}
    docs.update({ns: f"Operators of the {ns} namespace." for ns in NAMESPACES})
    modules = {name: types.ModuleType(f"{package}.{name}", doc) for name, doc in docs.items()}
    for name, fn in functions.items():
        add_function(modules, name, fn)
    return modules


def add_function(modules: Dict[str, types.ModuleType], name: str, fn: Callable) -> None:
    """Place one generated function in the modules of :func:`frontend_modules`."""
    setattr(modules["op"], name, fn)
    if name.startswith("_"):
        setattr(modules["_internal"], name, fn)
    split = split_namespace(name)
    if split is not None:
        setattr(modules[split[0]], split[1], fn)
