"""mxcore: the Apache MXNet 1.x Python API on a thin, backend-agnostic core.

``import mxcore as mx`` gives MXNet's names (``mx.nd``, ``mx.autograd``, ``mx.gluon``,
``mx.cpu`` ...), all from this one place. No backend loads until the first array operation.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import (  # noqa: E402
    attribute,
    autograd,
    backend,
    base,
    callback,
    context,
    engine,
    executor,
    gluon,
    initializer,
    io,
    kvstore,
    lr_scheduler,
    metric,
    model,
    module,
    ndarray,
    ops,
    optimizer,
    random,
    symbol,
    test_utils,
)
from . import initializer as init  # noqa: E402
from . import kvstore as kv  # noqa: E402
from . import module as mod  # noqa: E402
from . import ndarray as nd  # noqa: E402
from . import symbol as sym  # noqa: E402
from .attribute import *  # noqa: E402,F401,F403
from .base import MXNetError  # noqa: E402
from .context import (  # noqa: E402
    Context,
    cpu,
    cpu_pinned,
    current_context,
    gpu,
    num_gpus,
    opencl,
)

__all__ = ["MXNetError", "Context", "cpu", "gpu", "cpu_pinned", "current_context", "num_gpus",
           "nd", "ndarray", "autograd", "backend", "context", "engine", "random", "test_utils",
           "base", "ops", "gluon", "init", "initializer", "optimizer", "metric", "lr_scheduler",
           "sym", "symbol", "executor", "mod", "module", "io", "model", "callback",
           "attribute", "kv", "kvstore", "opencl"]
