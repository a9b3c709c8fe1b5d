"""NDArray indexing (``x[key]``) and assignment (``x[key] = value``), as in MXNet 1.x.

Reading goes through registered operators (``slice``, ``Reshape``, ``take``, ``gather_nd`` ...)
so autograd records it. Keys may hold ints, slices (with steps), ``None`` (new axis),
``Ellipsis`` and integer index arrays (NDArray, list, NumPy; NumPy bool masks too), with
NumPy's placement rules for advanced indices. When every axis is indexed by an int, MXNet 1.x
returns shape ``(1,)`` instead of a 0-d array. Assignment writes through the ``setitem``
primitive (``NDArray._assign``) with broadcasting.
"""

from __future__ import annotations

import numbers
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetIndexError, MXNetTypeError, MXNetValueError
from ..ops.registry import OPS
from .invoke import invoke
from .ndarray import NDArray

__all__ = ["getitem", "setitem"]

_FULL = slice(None)


def _call(name: str, inputs: Sequence[NDArray], **params: Any) -> Any:
    op = OPS[name]
    return invoke(op, inputs, op.parse_attrs(params))


# -- parsing a key --------------------------------------------------------------------------------
def _is_int(k: Any) -> bool:
    return isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, (bool, np.bool_))


def _as_entry(k: Any) -> Any:
    """One key entry as int, slice, None, Ellipsis, NDArray or int64/bool np.ndarray."""
    if k is None or k is Ellipsis or isinstance(k, slice) or _is_int(k):
        return int(k) if _is_int(k) else k
    if isinstance(k, NDArray):
        if k.ndim == 0 or k.dtype == np.bool_:
            return _as_entry(k.asnumpy())
        return k
    if isinstance(k, (list, tuple, np.ndarray)):
        arr = np.asarray(k)
        if arr.dtype == np.bool_:
            return arr
        if arr.size == 0:
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iuf":
            raise MXNetTypeError(f"index arrays must hold integers, got dtype {arr.dtype}")
        if arr.ndim == 0:
            return int(arr)
        return arr.astype(np.int64)
    raise MXNetTypeError(f"NDArray index {k!r} of type {type(k).__name__} is not supported; "
                         "use ints, slices, None, Ellipsis or integer arrays")


def _expand(key: Any, ndim: int) -> List[Any]:
    """Entries for every axis: Ellipsis expanded, bool masks turned into index arrays.

    ``None`` entries stay in place (they add an axis and consume none).
    """
    raw = list(key) if isinstance(key, tuple) else [key]
    entries: List[Any] = []
    for k in raw:
        e = _as_entry(k)
        if isinstance(e, np.ndarray) and e.dtype == np.bool_:
            entries.extend(np.nonzero(e) if e.ndim else [np.nonzero(e)[0]])
        else:
            entries.append(e)
    if sum(e is Ellipsis for e in entries) > 1:
        raise MXNetIndexError("an index can only have a single ellipsis ('...')")
    used = sum(e is not None and e is not Ellipsis for e in entries)
    if used > ndim:
        raise MXNetIndexError(f"too many indices ({used}) for an array with {ndim} dimensions")
    fill = [_FULL] * (ndim - used)
    if any(e is Ellipsis for e in entries):
        at = next(i for i, e in enumerate(entries) if e is Ellipsis)
        return entries[:at] + fill + entries[at + 1:]
    return entries + fill


def _check_int(k: int, n: int, axis: int) -> int:
    if not -n <= k < n:
        raise MXNetIndexError(f"index {k} is out of bounds for axis {axis} with size {n}")
    return k % n


def _is_advanced(e: Any) -> bool:
    return isinstance(e, (np.ndarray, NDArray))


# -- reading --------------------------------------------------------------------------------------
def getitem(x: NDArray, key: Any) -> NDArray:
    """``x[key]`` through registered (autograd-recorded) operators."""
    shape = x.shape
    entries = _expand(key, len(shape))
    if any(_is_advanced(e) for e in entries):
        return _advanced(x, entries)
    return _basic(x, entries, shape)


def _basic(x: NDArray, entries: List[Any], shape: Tuple[int, ...]) -> NDArray:
    begin: List[Optional[int]] = []
    end: List[Optional[int]] = []
    step: List[Optional[int]] = []
    target: List[int] = []
    sliced: List[int] = []
    axis = 0
    only_ints = True
    for e in entries:
        if e is None:
            target.append(1)
            only_ints = False
            continue
        n = shape[axis]
        if isinstance(e, int):
            i = _check_int(e, n, axis)
            begin.append(i)
            end.append(i + 1)
            step.append(None)
            sliced.append(1)
        else:
            if e.step == 0:
                raise MXNetValueError("slice step cannot be zero")
            begin.append(e.start)
            end.append(e.stop)
            step.append(e.step)
            size = len(range(*e.indices(n)))
            sliced.append(size)
            target.append(size)
            only_ints = False
        axis += 1
    if only_ints and entries:
        target = [1]
    out = x
    if any(b is not None or e is not None or s not in (None, 1)
           for b, e, s in zip(begin, end, step)):
        while begin and begin[-1] is None and end[-1] is None and step[-1] in (None, 1):
            begin.pop()
            end.pop()
            step.pop()
        out = _call("slice", [x], begin=tuple(begin), end=tuple(end),
                    step=tuple(1 if s is None else s for s in step))
    if tuple(target) != tuple(sliced):
        out = _exact_reshape(out, tuple(sliced), entries, tuple(target))
    return out


def _exact_reshape(out: NDArray, sliced: Tuple[int, ...], entries: List[Any],
                   target: Tuple[int, ...]) -> NDArray:
    """Drop the int-indexed axes and insert the None axes (no MXNet reshape codes)."""
    if 0 not in target:
        return _call("Reshape", [out], shape=target)
    int_axes = []
    axis = 0
    for e in entries:
        if e is None:
            continue
        if isinstance(e, int):
            int_axes.append(axis)
        axis += 1
    if int_axes:
        out = _call("squeeze", [out], axis=tuple(int_axes))
    kept = [e for e in entries if not isinstance(e, int)]
    for pos, e in enumerate(kept):
        if e is None:
            out = _call("expand_dims", [out], axis=pos)
    return out


def _index_array(x: NDArray, e: Any) -> NDArray:
    if isinstance(e, NDArray):
        e = e if e._ctx is x._ctx else e.as_in_context(x._ctx)
        return e if e.dtype == np.int64 else _call("Cast", [e], dtype="int64")
    from .creation import array

    return array(e, ctx=x._ctx, dtype=np.int64)


def _advanced(x: NDArray, entries: List[Any]) -> NDArray:
    # new axes first, so that every remaining entry indexes one axis
    if any(e is None for e in entries):
        for pos, e in enumerate(entries):
            if e is None:
                x = _call("expand_dims", [x], axis=pos)
        entries = [_FULL if e is None else e for e in entries]
    shape = x.shape
    adv = [i for i, e in enumerate(entries) if _is_advanced(e) or isinstance(e, int)]
    for i in adv:
        if isinstance(entries[i], int):
            entries[i] = _check_int(entries[i], shape[i], i)
    # slices
    if any(isinstance(e, slice) and e != _FULL for e in entries):
        if any(isinstance(e, slice) and e.step == 0 for e in entries):
            raise MXNetValueError("slice step cannot be zero")
        begin = tuple(e.start if isinstance(e, slice) else None for e in entries)
        end = tuple(e.stop if isinstance(e, slice) else None for e in entries)
        step = tuple((e.step or 1) if isinstance(e, slice) else 1 for e in entries)
        x = _call("slice", [x], begin=begin, end=end, step=step)
    arrays = [e for e in entries if _is_advanced(e)]
    if len(adv) == 1:
        return _call("take", [x, _index_array(x, arrays[0])], axis=adv[0], mode="raise")
    return _gather(x, entries, adv)


def _gather(x: NDArray, entries: List[Any], adv: List[int]) -> NDArray:
    ndim = x.ndim
    shapes = [tuple(e.shape) if _is_advanced(e) else () for e in (entries[i] for i in adv)]
    try:
        bshape = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise MXNetIndexError(f"index arrays of shapes {shapes} do not broadcast together"
                              ) from None
    rows = []
    for i in adv:
        e = entries[i]
        if isinstance(e, int):
            rows.append(_full_index(x, bshape, e))
            continue
        idx = _index_array(x, e)
        if tuple(idx.shape) != bshape:
            lead = (1,) * (len(bshape) - idx.ndim) + tuple(idx.shape)
            if lead != tuple(idx.shape):
                idx = _call("Reshape", [idx], shape=lead)
            idx = _call("broadcast_to", [idx], shape=bshape)
        rows.append(idx)
    indices = _call("stack", rows, axis=0)
    rest = [i for i in range(ndim) if i not in adv]
    if adv != list(range(len(adv))):
        x = _call("transpose", [x], axes=tuple(adv + rest))
    out = _call("gather_nd", [x, indices])
    first = adv[0]
    if adv == list(range(first, first + len(adv))) and first > 0:
        nb = len(bshape)
        perm = (tuple(range(nb, nb + first)) + tuple(range(nb))
                + tuple(range(nb + first, out.ndim)))
        out = _call("transpose", [out], axes=perm)
    return out


def _full_index(x: NDArray, shape: Tuple[int, ...], value: int) -> NDArray:
    from .creation import full

    return full(shape, value, ctx=x._ctx, dtype=np.int64)


# -- writing --------------------------------------------------------------------------------------
def setitem(x: NDArray, key: Any, value: Any) -> None:
    """``x[key] = value`` in place, broadcasting ``value`` to the indexed shape."""
    shape = x.shape
    entries = [e for e in _expand(key, len(shape)) if e is not None]
    backend_key: List[Any] = []
    target: List[int] = []
    adv_shapes = []
    adv_pos: List[int] = []
    for axis, e in enumerate(entries):
        n = shape[axis]
        if isinstance(e, int):
            backend_key.append(_check_int(e, n, axis))
        elif isinstance(e, slice):
            if e.step == 0:
                raise MXNetValueError("slice step cannot be zero")
            backend_key.append(e)
            target.append(len(range(*e.indices(n))))
        else:
            idx = _host_index(e, n, axis)
            backend_key.append(x._ctx.backend.from_host(idx, x._ctx.device_id))
            adv_shapes.append(idx.shape)
            adv_pos.append(len(target))
    if adv_shapes:
        target = _place_advanced(target, adv_shapes, adv_pos, entries)
    _assign_value(x, tuple(backend_key), tuple(target), value)


def _host_index(e: Any, n: int, axis: int) -> np.ndarray:
    idx = e.asnumpy() if isinstance(e, NDArray) else e
    idx = np.asarray(idx).astype(np.int64)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.min() if idx.min() < -n else idx.max()
        raise MXNetIndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
    return np.where(idx < 0, idx + n, idx)


def _place_advanced(target: List[int], adv_shapes: List[tuple], adv_pos: List[int],
                    entries: List[Any]) -> List[int]:
    """Indexed shape with advanced indices (NumPy's placement rule)."""
    try:
        bshape = list(np.broadcast_shapes(*adv_shapes))
    except ValueError:
        raise MXNetIndexError(f"index arrays of shapes {adv_shapes} do not broadcast "
                              "together") from None
    adv_axes = [i for i, e in enumerate(entries) if not isinstance(e, slice)]
    adjacent = adv_axes == list(range(adv_axes[0], adv_axes[0] + len(adv_axes)))
    at = adv_pos[0] if adjacent else 0
    return target[:at] + bshape + target[at:]


def _assign_value(x: NDArray, key: tuple, target: Tuple[int, ...], value: Any) -> None:
    if isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, np.ndarray):
        x._assign(value, key)
        return
    if not isinstance(value, NDArray):
        try:
            host = np.asarray(value, dtype=x.dtype)
        except (TypeError, ValueError) as exc:
            raise MXNetTypeError(f"cannot assign a {type(value).__name__} to an NDArray: "
                                 f"{exc}") from None
        from .creation import array

        value = array(host, ctx=x._ctx, dtype=host.dtype)
    vshape = tuple(value.shape)
    while len(vshape) > len(target) and vshape[0] == 1:
        vshape = vshape[1:]
    try:
        ok = tuple(np.broadcast_shapes(vshape, target)) == tuple(target)
    except ValueError:
        ok = False
    if not ok:
        raise MXNetValueError(f"cannot assign a value of shape {tuple(value.shape)} to an "
                              f"indexed region of shape {tuple(target)}")
    if vshape != tuple(value.shape):
        value = _call("Reshape", [value], shape=vshape if vshape else (1,))
    x._assign(value, key)
