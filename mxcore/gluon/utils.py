"""gluon.utils: split_data, split_and_load, clip_global_norm, check_sha1."""

from __future__ import annotations

import hashlib
import math
import warnings
from typing import Any, List, Sequence, Union

from .. import ndarray as nd
from ..base import MXNetValueError
from ..context import Context
from ..ndarray import NDArray

__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1"]


def split_data(data: NDArray, num_slice: int, batch_axis: int = 0,
               even_split: bool = True) -> List[NDArray]:
    """Split ``data`` into ``num_slice`` slices along ``batch_axis``.

    With ``even_split=False`` the last slice takes the remainder, and a batch smaller than
    ``num_slice`` gives one slice per sample.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.utils import split_data
        >>> [s.shape for s in split_data(mx.nd.zeros((5, 2)), 2, even_split=False)]
        [(2, 2), (3, 2)]
    """
    if isinstance(num_slice, bool) or not isinstance(num_slice, int) or num_slice < 1:
        raise MXNetValueError(f"split_data: num_slice must be an int >= 1, got {num_slice!r}")
    if not -data.ndim <= batch_axis < data.ndim:
        raise MXNetValueError(f"split_data: batch_axis {batch_axis} out of range for data "
                              f"with shape {data.shape}")
    batch_axis %= data.ndim
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise MXNetValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices "
            f"along axis {batch_axis}. Use a batch size that's multiple of {num_slice} or set "
            f"even_split=False to allow uneven partitioning of data.")
    step = size // num_slice
    if not even_split and size < num_slice:
        step, num_slice = 1, size
    bounds = [(i * step, (i + 1) * step if i < num_slice - 1 else size)
              for i in range(num_slice)]
    if batch_axis == 0:
        return [data[begin:end] for begin, end in bounds]
    return [nd.slice_axis(data, axis=batch_axis, begin=begin, end=end)
            for begin, end in bounds]


def split_and_load(data: Any, ctx_list: Sequence[Context], batch_axis: int = 0,
                   even_split: bool = True) -> List[NDArray]:
    """Split ``data`` (an NDArray or anything ``nd.array`` takes) along ``batch_axis`` and
    copy slice ``i`` to ``ctx_list[i]``.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.utils import split_and_load
        >>> parts = split_and_load(mx.nd.zeros((4, 3)), [mx.cpu(0), mx.cpu(1)])
        >>> [(p.shape, p.context) for p in parts]
        [((2, 3), cpu(0)), ((2, 3), cpu(1))]
    """
    if not ctx_list:
        raise MXNetValueError("split_and_load: ctx_list is empty")
    if not isinstance(data, NDArray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [piece.as_in_context(ctx) for piece, ctx in zip(slices, ctx_list)]


def _squared_norm(array: NDArray) -> NDArray:
    if array.stype != "default":
        array = array.tostype("default")
    return nd.sum(nd.square(array))


def clip_global_norm(arrays: Sequence[NDArray], max_norm: float,
                     check_isfinite: bool = True) -> Union[float, NDArray]:
    """Scale ``arrays`` in place so that the 2-norm of all of them together is at most
    ``max_norm``; returns that norm before scaling (a float, or a shape-(1,) NDArray when
    ``check_isfinite`` is False, which avoids a sync). A NaN/Inf norm warns.

    Example::

        >>> import mxcore as mx
        >>> from mxcore.gluon.utils import clip_global_norm
        >>> grads = [mx.nd.array([3.0]), mx.nd.array([4.0])]
        >>> clip_global_norm(grads, 1.0)
        5.0
        >>> [round(float(g.asscalar()), 4) for g in grads]
        [0.6, 0.8]
    """
    if len(arrays) == 0:
        raise MXNetValueError("clip_global_norm: arrays is empty")
    ctx = arrays[0].context
    total = _squared_norm(arrays[0])
    for array in arrays[1:]:
        total = total + _squared_norm(array).as_in_context(ctx)
    total_norm = nd.sqrt(total)
    if check_isfinite and not math.isfinite(float(total_norm.asscalar())):
        warnings.warn(UserWarning("nan or inf is detected. Clipping results will be "
                                  "undefined."), stacklevel=2)
    scale = max_norm / (total_norm + 1e-8)
    scale = nd.minimum(scale, nd.ones((1,), ctx=ctx, dtype=scale.dtype))
    for array in arrays:
        array *= scale.as_in_context(array.context)
    if check_isfinite:
        return float(total_norm.asscalar())
    return total_norm


def check_sha1(filename: str, sha1_hash: str) -> bool:
    """Whether the SHA-1 digest of the file ``filename`` equals ``sha1_hash`` (hex)."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash
