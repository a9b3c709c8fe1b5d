"""Array creation: ``array``, ``empty``, ``zeros``, ``ones``, ``full``, ``arange``,
``linspace``, ``eye`` (MXNet's signatures and defaults)."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from ..context import Context, _maybe_ctx
from ..dtypes import DEFAULT_DTYPE, normalize_dtype
from ..ops.registry import OPS, to_shape
from .invoke import invoke
from .ndarray import NDArray, _wrap

__all__ = ["array", "empty", "zeros", "ones", "full", "arange", "linspace", "eye"]

Shape = Union[int, Sequence[int]]


def _shape(shape: Shape, op: str) -> tuple:
    try:
        shape = to_shape(shape)
    except (TypeError, ValueError) as exc:
        raise MXNetTypeError(f"{op}: invalid shape: {exc}") from None
    if any(d < 0 for d in shape):
        raise MXNetValueError(f"{op}: negative dimension in shape {shape}")
    return shape


def array(source_array: Any, ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """Create an array from a list, NumPy array or NDArray (default dtype float32, as MXNet)."""
    if isinstance(source_array, NDArray):
        dt = source_array.dtype if dtype is None else dtype
        return source_array.as_in_context(_maybe_ctx(ctx)).astype(dt)
    if hasattr(source_array, "tocsr") and hasattr(source_array, "nnz"):
        from .sparse import csr_matrix

        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    dt = DEFAULT_DTYPE if dtype is None else normalize_dtype(dtype, "array")
    try:
        host = np.array(source_array, dtype=dt)
    except (TypeError, ValueError) as exc:
        raise MXNetValueError(f"array: cannot convert {type(source_array).__name__} to an "
                              f"array of {dt}: {exc}") from None
    context = _maybe_ctx(ctx)
    return _wrap(context.backend.from_host(host, context.device_id), context)


def empty(shape: Shape, ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """An uninitialised array."""
    context = _maybe_ctx(ctx)
    dt = DEFAULT_DTYPE if dtype is None else normalize_dtype(dtype, "empty")
    return _wrap(context.backend.empty(_shape(shape, "empty"), dt, context.device_id), context)


def _dtype(dtype: Any, op: str) -> np.dtype:
    return DEFAULT_DTYPE if dtype is None else normalize_dtype(dtype, op)


def zeros(shape: Shape, ctx: Optional[Context] = None, dtype: Any = None,
          stype: Optional[str] = None, **kwargs: Any) -> NDArray:
    """An array of zeros (``stype`` 'row_sparse' or 'csr' makes a sparse one)."""
    if stype not in (None, "default"):
        from .sparse import zeros as sparse_zeros

        return sparse_zeros(stype, shape, ctx=ctx, dtype=dtype)
    return invoke(OPS["_zeros"], (), {"shape": _shape(shape, "zeros"),
                                      "dtype": _dtype(dtype, "zeros")},
                  out=kwargs.get("out"), ctx=_maybe_ctx(ctx))


def ones(shape: Shape, ctx: Optional[Context] = None, dtype: Any = None,
         **kwargs: Any) -> NDArray:
    """An array of ones."""
    return invoke(OPS["_ones"], (), {"shape": _shape(shape, "ones"),
                                     "dtype": _dtype(dtype, "ones")},
                  out=kwargs.get("out"), ctx=_maybe_ctx(ctx))


def full(shape: Shape, val: float, ctx: Optional[Context] = None, dtype: Any = None,
         out: Optional[NDArray] = None) -> NDArray:
    """An array filled with ``val``."""
    return invoke(OPS["_full"], (), {"shape": _shape(shape, "full"), "value": float(val),
                                     "dtype": _dtype(dtype, "full")},
                  out=out, ctx=_maybe_ctx(ctx))


def arange(start: float, stop: Optional[float] = None, step: float = 1.0, repeat: int = 1,
           infer_range: Any = None, ctx: Optional[Context] = None, dtype: Any = None
           ) -> NDArray:
    """Evenly spaced values in [start, stop)."""
    op = OPS["_arange"]
    attrs = op.parse_attrs({"start": start, "stop": stop, "step": step, "repeat": repeat,
                            "dtype": _dtype(dtype, "arange")})
    return invoke(op, (), attrs, ctx=_maybe_ctx(ctx))


def linspace(start: float, stop: float, num: int, endpoint: bool = True,
             ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    op = OPS["_linspace"]
    attrs = op.parse_attrs({"start": start, "stop": stop, "num": num, "endpoint": endpoint,
                            "dtype": _dtype(dtype, "linspace")})
    return invoke(op, (), attrs, ctx=_maybe_ctx(ctx))


def eye(N: int, M: int = 0, k: int = 0, ctx: Optional[Context] = None, dtype: Any = None,
        **kwargs: Any) -> NDArray:
    """A 2-D array with ones on diagonal ``k``."""
    op = OPS["_eye"]
    attrs = op.parse_attrs({"N": N, "M": M, "k": k, "dtype": _dtype(dtype, "eye")})
    return invoke(op, (), attrs, ctx=_maybe_ctx(ctx))
