"""``mx.sym``: symbolic graphs built from the same op declarations as ``mx.nd``."""

from __future__ import annotations

from typing import Any as _Any

from .. import ops as _ops  # noqa: F401 - registers every operator
from ..ops.namespaces import add_function as _add_function
from ..ops.namespaces import frontend_modules as _frontend_modules
from ..ops.registry import OPS as _OPS
from .register import generate as _generate
from .register import make_function as _make_function
from .symbol import *  # noqa: F401,F403
from .symbol import __all__ as _symbol_all

_generated = _generate()
_modules = _frontend_modules(__name__, _generated)
op, _internal = _modules["op"], _modules["_internal"]
contrib, linalg, image = _modules["contrib"], _modules["linalg"], _modules["image"]
for _name, _fn in _generated.items():
    if _name not in globals():
        globals()[_name] = _fn

from ..ops.ufunc import make_ufuncs as _make_ufuncs  # noqa: E402
from . import shape_inference  # noqa: E402,F401
from .fluent import attach_fluent_methods as _attach_fluent  # noqa: E402
from .output_ops import *  # noqa: E402,F401,F403
from .symbol import Symbol as _Symbol  # noqa: E402
from .symbol import _apply  # noqa: E402

# maximum, minimum, power, hypot, equal ... as in mx.nd; generated ops keep their names
_ufuncs = _make_ufuncs(_Symbol, lambda op, inputs, attrs: _apply(op, list(inputs), attrs,
                                                                  hint=op))
_ufuncs["pow"] = _ufuncs["power"]
for _name, _fn in _ufuncs.items():
    if _name not in globals():
        globals()[_name] = _fn

_attach_fluent(_generated)

from . import random, sparse  # noqa: E402,F401

__all__ = list(_symbol_all) + ["op", "random", "sparse", "contrib", "linalg", "image"]
__all__ += [n for n in _generated if not n.startswith("_") and n not in __all__]
__all__ += [n for n in _ufuncs if n not in __all__]


def __getattr__(name: str) -> _Any:
    """Ops registered after ``mx.sym`` was imported (e.g. output heads) are generated here."""
    if name in _OPS:
        fn = _make_function(_OPS[name], name)
        globals()[name] = fn
        _add_function(_modules, name, fn)
        return fn
    raise AttributeError(f"module 'mxcore.symbol' has no attribute {name!r}")
