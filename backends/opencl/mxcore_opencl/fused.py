"""Fused kernels for the composites that dominate training (checked by the conformance suite
against the reference, like every op)."""

from __future__ import annotations

import math
from typing import Any, Callable, Dict

from .linalg import matmul
from .movement import reshape, transpose

__all__ = ["make"]


def fully_connected(data, weight, *bias, num_hidden, no_bias, flatten):
    """``data · weightᵀ + bias`` as one tiled matmul with the bias added in its epilogue."""
    shape = data.shape
    if flatten:
        rows, out_shape = (shape[0], math.prod(shape[1:])), (shape[0], num_hidden)
    else:
        rows, out_shape = (math.prod(shape[:-1]), shape[-1]), shape[:-1] + (num_hidden,)
    out = matmul(reshape(data, rows), transpose(weight, (1, 0)), bias[0] if bias else None)
    return reshape(out, out_shape)


def make(rt: Any) -> Dict[str, Callable]:
    return {"FullyConnected": fully_connected}
