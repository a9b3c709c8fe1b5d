"""Gradient compression for kvstore pushes (MXNet 1.x's ``'2bit'`` scheme).

Each push adds the gradient to a residual kept per key (and per device or worker), quantises
the residual element-wise to ``+threshold`` (where it is ``>= threshold``), ``-threshold``
(where ``<= -threshold``) or ``0``, sends the quantised values, and keeps what was not sent in
the residual (error feedback), so small gradients accumulate until they cross the threshold.
On the wire the quantised values travel as 2-bit codes, four per byte.
"""

from __future__ import annotations

from typing import Any, Dict, Hashable

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..ndarray import NDArray

__all__ = ["GradientCompression", "TwoBitCompression", "create_compression", "pack_2bit",
           "unpack_2bit"]


class GradientCompression:
    """Base class: ``quantize(slot, grad)`` returns the values to send for ``grad``."""

    type = "none"

    def quantize(self, slot: Hashable, grad: NDArray) -> NDArray:
        raise NotImplementedError


class TwoBitCompression(GradientCompression):
    """2-bit quantisation with error feedback (see the module docstring).

    Example::

        >>> import mxcore as mx
        >>> c = TwoBitCompression(0.5)
        >>> c.quantize("w", mx.nd.array([0.3, -0.7, 0.1])).asnumpy().tolist()
        [0.0, -0.5, 0.0]
        >>> c.quantize("w", mx.nd.array([0.3, 0.0, 0.0])).asnumpy().tolist()
        [0.5, 0.0, 0.0]
    """

    type = "2bit"

    def __init__(self, threshold: float = 0.5) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
                or not threshold > 0:
            raise MXNetValueError(f"set_gradient_compression: threshold must be a number > 0, "
                                  f"got {threshold!r}")
        self.threshold = float(threshold)
        self.residuals: Dict[Hashable, NDArray] = {}

    def quantize(self, slot: Hashable, grad: NDArray) -> NDArray:
        residual = self.residuals.get(slot)
        if residual is None or residual.shape != grad.shape:
            residual = self.residuals[slot] = grad.copy()
        else:
            residual += grad.as_in_context(residual.context)
        t = self.threshold
        sent = (residual >= t) * t - (residual <= -t) * t
        residual -= sent
        return sent


def create_compression(params: Any) -> GradientCompression:
    """The compressor for ``{'type': '2bit', 'threshold': t}`` (threshold defaults to 0.5)."""
    if not isinstance(params, dict):
        raise MXNetTypeError(f"set_gradient_compression: compression_params must be a dict, "
                             f"got {type(params).__name__}")
    kind = params.get("type")
    unknown = set(params) - {"type", "threshold"}
    if unknown:
        raise MXNetValueError(f"set_gradient_compression: unknown keys {sorted(unknown)}")
    if kind == "2bit":
        return TwoBitCompression(params.get("threshold", 0.5))
    raise MXNetValueError(f"set_gradient_compression: unsupported type {kind!r}; only '2bit'")


# -- 2-bit codes on the wire (host NumPy) ------------------------------------------------------
def pack_2bit(values: np.ndarray) -> np.ndarray:
    """Quantised values (each -t, 0 or +t) as uint8 codes, four per byte (0: 0, 1: +, 2: -)."""
    flat = values.reshape(-1)
    codes = (flat > 0).astype(np.uint8) | ((flat < 0).astype(np.uint8) << 1)
    pad = (-codes.size) % 4
    if pad:
        codes = np.concatenate([codes, np.zeros(pad, np.uint8)])
    quads = codes.reshape(-1, 4)
    return quads[:, 0] | (quads[:, 1] << 2) | (quads[:, 2] << 4) | (quads[:, 3] << 6)


def unpack_2bit(packed: np.ndarray, size: int, threshold: float, dtype: Any) -> np.ndarray:
    """The values :func:`pack_2bit` packed (``size`` of them, ``±threshold`` or 0)."""
    codes = np.stack([(packed >> s) & 3 for s in (0, 2, 4, 6)], axis=1).reshape(-1)[:size]
    out = np.zeros(size, dtype=dtype)
    out[codes == 1] = threshold
    out[codes == 2] = -threshold
    return out
