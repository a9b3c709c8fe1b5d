"""Small helpers shared by operator declarations."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

__all__ = ["unbroadcast", "normalize_axis", "normalize_axes", "reduce_axes", "prod"]


def prod(dims: Sequence[int]) -> int:
    """The product of ``dims`` (1 for none): the element count of a shape."""
    out = 1
    for d in dims:
        out *= d
    return out


def unbroadcast(F: Any, grad: Any, shape: Tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting expanded, so it has ``shape``.

    The one helper every broadcasting gradient uses. It reshapes only for a 0-d target, so
    zero-size shapes (where Reshape's code 0 would mean "copy") are never passed to Reshape.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = len(grad.shape) - len(shape)
    if lead > 0:
        grad = F.sum(grad, axis=tuple(range(lead)))
    gshape = grad.shape
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and gshape[i] != 1)
    if axes:
        grad = F.sum(grad, axis=axes, keepdims=True)
    if grad.shape != shape:  # only a 0-d target: full reductions give (1,)
        grad = F.reshape(grad, shape=shape)
    return grad


def normalize_axis(axis: int, ndim: int, op: str = "") -> int:
    """Map a possibly negative axis into ``range(ndim)``; ValueError when out of range."""
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"axis {axis} is out of range for {ndim}-d input")
    return axis % ndim if ndim else 0


def normalize_axes(axis: Union[None, int, Sequence[int]], ndim: int) -> Tuple[int, ...]:
    """None -> all axes; int or sequence -> sorted tuple of non-negative axes (no repeats)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    out = tuple(sorted(normalize_axis(a, ndim) for a in axis))
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {tuple(axis)}")
    return out


def reduce_axes(axis: Optional[Union[int, Sequence[int]]], ndim: int, exclude: bool = False
                ) -> Tuple[int, ...]:
    """MXNet's reduction axes, with ``exclude`` meaning "all axes except these"."""
    axes = normalize_axes(axis, ndim)
    if exclude:
        axes = tuple(i for i in range(ndim) if i not in axes)
    return axes
