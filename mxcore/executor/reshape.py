"""``Executor.reshape``: arrays for new input shapes, sharing memory where MXNet does."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..base import MXNetValueError
from ..ndarray.ndarray import NDArray, _wrap

__all__ = ["reshape_arrays"]


def reshape_arrays(exe: Any, partial_shaping: bool, allow_up_sizing: bool,
                   shapes: Dict[str, Any]) -> Tuple[List[NDArray], List[Optional[NDArray]],
                                                    List[NDArray]]:
    """(args, grads, aux) for ``exe``'s symbol with the input shapes in ``shapes``."""
    for name in shapes:
        if name not in exe.arg_dict:
            raise MXNetValueError(f"Executor.reshape: {name!r} is not an argument; arguments "
                                  f"are {exe._arg_names}")
    arg_shapes, _, aux_shapes = exe._symbol.infer_shape(**shapes)
    if arg_shapes is None or any(s is None for s in arg_shapes):
        raise MXNetValueError(f"Executor.reshape: the shapes {shapes} are insufficient to "
                              "infer every argument's shape")
    args, grads = [], []
    for name, arr, grad, new in zip(exe._arg_names, exe.arg_arrays, exe.grad_arrays,
                                    arg_shapes):
        new = tuple(int(d) for d in new)
        _check_change(name, arr, new, name in shapes, partial_shaping, allow_up_sizing)
        args.append(_resized(arr, new))
        grads.append(None if grad is None else _resized(grad, new))
    aux = []
    for name, arr, new in zip(exe._aux_names, exe.aux_arrays, aux_shapes or ()):
        new = tuple(int(d) for d in new)
        _check_change(name, arr, new, False, partial_shaping, allow_up_sizing)
        aux.append(_resized(arr, new))
    return args, grads, aux


def _check_change(name: str, arr: NDArray, new: Tuple[int, ...], named: bool,
                  partial_shaping: bool, allow_up_sizing: bool) -> None:
    old = tuple(arr.shape)
    if new == old:
        return
    if not (named or partial_shaping):
        raise MXNetValueError(
            f"Executor.reshape: the shape of unspecified array {name!r} changed from {old} to "
            f"{new}; pass partial_shaping=True to allow this")
    if _size(new) > _size(old) and not allow_up_sizing:
        raise MXNetValueError(
            f"Executor.reshape: the new shape of {name!r}, {new}, is larger than the original "
            f"{old}; making a big executor first and then down-sizing it is more efficient. "
            "Pass allow_up_sizing=True to up-size")


def _resized(arr: NDArray, shape: Tuple[int, ...]) -> NDArray:
    """``arr`` itself, a view on its first elements, or a new zero array when larger."""
    if tuple(arr.shape) == shape:
        return arr
    if arr.stype != "default":  # sparse: a new empty array of the new shape
        from ..ndarray import sparse

        return sparse.zeros(arr.stype, shape, ctx=arr.context, dtype=arr.dtype)
    data = arr._sync()
    n = _size(shape)
    kernels = arr.context.backend.kernels
    if n > data.size:
        return _wrap(kernels["full"](shape, 0, data.dtype), arr.context)
    flat = kernels["reshape"](data, (int(data.size),))
    head = kernels["slice"](flat, (slice(0, n),))
    return _wrap(kernels["reshape"](head, shape), arr.context)


def _size(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n
