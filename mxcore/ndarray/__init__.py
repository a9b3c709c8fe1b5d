"""``mx.nd``: NDArray and every operator generated from :mod:`mxcore.ops`."""

from __future__ import annotations

from .. import engine as _engine
from .. import ops as _ops  # noqa: F401 - registers every operator
from ..ops.namespaces import frontend_modules as _frontend_modules
from .creation import arange, array, empty, eye, full, linspace, ones, zeros
from .ndarray import NDArray
from .register import generate as _generate

_generated = _generate()
_modules = _frontend_modules(__name__, _generated)
op, _internal = _modules["op"], _modules["_internal"]
contrib, linalg, image = _modules["contrib"], _modules["linalg"], _modules["image"]
for _name, _fn in _generated.items():
    if _name not in globals():
        globals()[_name] = _fn


def waitall() -> None:
    """Wait for all pending work; raises the first error an asynchronous op raised."""
    _engine.get().wait_all()


from . import random, sparse  # noqa: E402
from .dlpack import from_dlpack, to_dlpack_for_read, to_dlpack_for_write  # noqa: E402
from .fluent import attach_fluent_methods as _attach_fluent  # noqa: E402
from .serialization import load, load_frombuffer, save  # noqa: E402
from .sparse import BaseSparseNDArray, CSRNDArray, RowSparseNDArray, cast_storage  # noqa: E402
from .utils import *  # noqa: E402,F401,F403

_attach_fluent(_generated)


__all__ = ["NDArray", "array", "empty", "zeros", "ones", "full", "arange", "linspace", "eye",
           "waitall", "sparse", "random", "op", "save", "load", "load_frombuffer",
           "cast_storage", "BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray",
           "from_dlpack", "to_dlpack_for_read", "to_dlpack_for_write", "contrib", "linalg",
           "image"]
__all__ += [n for n in _generated if not n.startswith("_") and n not in __all__]
