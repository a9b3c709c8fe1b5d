"""Dropout, as in MXNet 1.x.

The other nn-area operators live in :mod:`.conv` (Convolution, Deconvolution), :mod:`.pooling`
(Pooling) and :mod:`.norm` (BatchNorm, LayerNorm, InstanceNorm, GroupNorm).
"""

from __future__ import annotations

import numpy as np

from ._helpers import normalize_axis
from .registry import OpDef, Param, one_of, register_op, to_bool, to_float, to_shape

AREA = "nn"


def _check_dropout(shapes, dtypes, *, p, axes, **_):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    for a in axes:
        normalize_axis(a, len(shapes[0]))


def _dropout(K, x, *, p, mode, axes, rng, is_train=False, **_):
    if not (is_train or mode == "always") or p == 0.0:
        return K.copy(x), K.full((1,) * x.ndim, 1, x.dtype)
    dropped = {normalize_axis(a, x.ndim) for a in axes}
    shape = tuple(1 if i in dropped else d for i, d in enumerate(x.shape))
    keep = K.greater_equal(K.random_uniform(rng, 0.0, 1.0, shape, np.dtype("float64")),
                           np.float64(p))
    scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    mask = K.multiply(K.cast(keep, x.dtype), x.dtype.type(scale))
    return K.multiply(x, mask), mask


def _dropout_grad(F, inputs, outputs, out_grads, **_):
    return [out_grads[0] * outputs[1]]


register_op(OpDef(
    "Dropout", ("data",),
    (Param("p", to_float, 0.5, "fraction of elements set to zero"),
     Param("mode", one_of("training", "always"), "training",
           "'training': only in training mode; 'always': also at inference"),
     Param("axes", to_shape, (), "axes along which one mask value is shared"),
     Param("cudnn_off", to_bool, False, "accepted for compatibility; unused")),
    compute=_dropout, gradient=_dropout_grad, check=_check_dropout, num_outputs=2,
    num_visible_outputs=1, uses_rng=True, uses_train_flag=True, area=AREA,
    doc="Zero each element with probability p and scale the rest by 1/(1-p) in training "
        "(or always, with mode='always'); identity otherwise. The mask is a hidden second "
        "output the gradient reuses."))
