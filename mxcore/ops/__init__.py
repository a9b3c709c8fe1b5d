"""Every operator, declared once (see :mod:`mxcore.ops.registry`).

Importing this package registers all ops; ``mx.nd`` (and later ``mx.sym``) is generated from
:data:`OPS`.
"""

from . import (  # noqa: F401
    activation,
    conv,
    creation,
    elemwise,
    indexing,
    linalg,
    loss_ops,
    nn,
    norm,
    optimizer_ops,
    output,
    pooling,
    random,
    reduce,
    rnn,
    sequence,
    shape,
    slicing,
    sparse_ops,
)
from .registry import OPS, OpDef, Param, get_op, register_op

__all__ = ["OPS", "OpDef", "Param", "get_op", "register_op"]
