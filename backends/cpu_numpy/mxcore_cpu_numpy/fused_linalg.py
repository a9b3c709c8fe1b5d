"""Fused NumPy kernels for linear-algebra composites (checked against their decompositions).

The core validates shapes and dtypes (the op's ``check``) before any kernel runs.
"""

from __future__ import annotations

import numpy as np


def fully_connected(data, weight, *bias, num_hidden, no_bias, flatten):
    """``data · weightᵀ + bias`` as one BLAS call on a 2-D view, the bias added in place."""
    shape = data.shape
    if flatten:
        rows, out_shape = (shape[0], int(np.prod(shape[1:]))), (shape[0], num_hidden)
    else:
        rows, out_shape = (int(np.prod(shape[:-1])), shape[-1]), shape[:-1] + (num_hidden,)
    out = np.dot(data.reshape(rows), weight.T)  # BLAS reads the transposed view directly
    if bias:
        out += bias[0]
    return out.reshape(out_shape)


KERNELS: dict = {"FullyConnected": fully_connected}
