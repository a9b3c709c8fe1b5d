"""Fused NumPy kernels for composite operators, keyed by op name.

Each is an optional override of the op's decomposition with the same signature
``kernel(*arrays, **attrs)``; the conformance suite checks it against the reference.
"""

from .fused_linalg import KERNELS as _LINALG
from .fused_nn import KERNELS as _NN
from .fused_sparse import KERNELS as _SPARSE

KERNELS: dict = {**_LINALG, **_NN, **_SPARSE}
