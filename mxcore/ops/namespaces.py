"""The op namespaces of the generated frontends (``mx.nd.contrib``, ``mx.sym.linalg`` ...).

As in MXNet, an op registered as ``_contrib_<name>``, ``_linalg_<name>`` or
``_image_<name>`` also appears as ``<namespace>.<name>`` of ``mx.nd`` and ``mx.sym``.
"""

from __future__ import annotations

import types
from typing import Callable, Dict, Optional, Tuple

__all__ = ["NAMESPACES", "split_namespace", "namespace_modules"]

NAMESPACES: Tuple[str, ...] = ("contrib", "linalg", "image")


def split_namespace(name: str) -> Optional[Tuple[str, str]]:
    """``"_contrib_ctc_loss"`` -> ``("contrib", "ctc_loss")``; None outside a namespace."""
    for ns in NAMESPACES:
        prefix = f"_{ns}_"
        if name.startswith(prefix) and len(name) > len(prefix):
            return ns, name[len(prefix):]
    return None


def namespace_modules(package: str, functions: Dict[str, Callable]) -> Dict[str, types.ModuleType]:
    """One module per namespace (``<package>.<namespace>``) holding its generated functions."""
    modules = {ns: types.ModuleType(f"{package}.{ns}", f"Operators of the {ns} namespace.")
               for ns in NAMESPACES}
    for name, fn in functions.items():
        split = split_namespace(name)
        if split is not None:
            setattr(modules[split[0]], split[1], fn)
    return modules
