"""Helpers shared by the nn-area op modules (:mod:`.conv`, :mod:`.pooling`, :mod:`.norm`).

The ``layout`` parameter, validation of kernel/stride/dilate/pad against the data shape, and
window kernels on backend arrays (padding, zero-filled boxes, zero spreading). Only
channel-first layouts (NCW, NCHW, NCDHW) are supported.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

from .registry import to_any

Ints = Tuple[int, ...]
_CHANNEL_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAYOUTS = ("NCW", "NCHW", "NCDHW", "NWC", "NHWC", "NDHWC")


def _prod(dims: Sequence[int]) -> int:
    return int(math.prod(dims))


def to_layout(value: Any) -> Optional[str]:
    """A data layout name such as ``"NCHW"`` (or None)."""
    value = to_any(value)
    if value is None:
        return None
    if value not in _LAYOUTS:
        raise ValueError(f"expected one of {list(_LAYOUTS)} or None, got {value!r}")
    return value


def _expand(name: str, value: Ints, nsp: int, fill: int) -> Ints:
    """MXNet's ``()`` default -> ``(fill,) * nsp``; otherwise the length must match."""
    if not value:
        return (fill,) * nsp
    if len(value) != nsp:
        raise ValueError(f"{name} {value} must have {nsp} entries, like kernel")
    return tuple(value)


def _check_layout(layout: Optional[str], nsp: int) -> None:
    if layout is not None and layout != _CHANNEL_FIRST[nsp]:
        raise ValueError(f"layout {layout!r} is not supported; only the channel-first layout "
                         f"{_CHANNEL_FIRST[nsp]!r} is (transpose the data first)")


def _spatial(kernel: Ints, shape: Sequence[int], stride: Ints, dilate: Ints,
             pad: Ints) -> Tuple[Ints, Ints, Ints]:
    """Validate kernel/stride/dilate/pad against ``shape`` (N, C, *spatial)."""
    nsp = len(kernel)
    if nsp not in (1, 2, 3):
        raise ValueError(f"kernel {kernel} must have 1, 2 or 3 dimensions")
    if len(shape) != nsp + 2:
        raise ValueError(f"data must be {nsp + 2}-d ({_CHANNEL_FIRST[nsp]}) for a {nsp}-d "
                         f"kernel, got shape {tuple(shape)}")
    stride = _expand("stride", stride, nsp, 1)
    dilate = _expand("dilate", dilate, nsp, 1)
    pad = _expand("pad", pad, nsp, 0)
    if min(kernel) < 1 or min(stride) < 1 or min(dilate) < 1 or min(pad) < 0:
        raise ValueError(f"kernel, stride and dilate must be positive and pad non-negative; "
                         f"got kernel={kernel}, stride={stride}, dilate={dilate}, pad={pad}")
    return stride, dilate, pad


# -- kernels shared by the ops (backend arrays, primitives only) ------------------------------
def _pad(K, x: Any, lo: Sequence[int], hi: Sequence[int], value: Any = 0) -> Any:
    if not any(lo) and not any(hi):
        return x
    width = ((0, 0), (0, 0)) + tuple(zip(lo, hi))
    return K.pad(x, width, "constant", value)


def _window_box(K, x: Any, start: Sequence[int], size: Sequence[int]) -> Any:
    """``x[:, :, start:start+size]`` per spatial axis, zero-filled where out of range."""
    lo = [max(0, -s) for s in start]
    hi = [max(0, s + n - d) for s, n, d in zip(start, size, x.shape[2:])]
    x = _pad(K, x, lo, hi)
    key = (slice(None), slice(None)) + tuple(
        slice(s + a, s + a + n) for s, a, n in zip(start, lo, size))
    return K.slice(x, key)


def _spread(K, x: Any, stride: Ints) -> Any:
    """Insert ``stride - 1`` zeros between neighbours along each spatial axis."""
    if all(s == 1 for s in stride):
        return x
    shape = x.shape[:2] + tuple((n - 1) * s + 1 if n else 0 for n, s in zip(x.shape[2:], stride))
    out = K.full(shape, 0, x.dtype)
    key = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
    return K.setitem(out, key, x)

