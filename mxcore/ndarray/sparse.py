"""The storage-type seam: ``row_sparse`` and ``csr`` arrays (``mx.nd.sparse``).

A sparse array keeps its components as dense NDArrays on its context — ``data`` (the stored
values), ``indices`` and, for CSR, ``indptr`` (both int64) — plus its logical shape; the
``_data`` slot of the NDArray base is ``None``. Dispatch runs an operator's sparse kernel
(``mxcore/ops/sparse_kernels.py``) when it has one for the inputs' storage types; otherwise it
calls :func:`densify_for`, which converts sparse inputs to dense and warns once per operator
(as MXNet's "storage fallback"). Sparse-to-dense conversion runs on the device; dense-to-sparse
conversion runs on the device except on the CPU, where it and construction from host data
run through NumPy (:mod:`.sparse_format`).

Example::

    >>> import mxcore as mx
    >>> x = mx.nd.sparse.row_sparse_array(([[1, 2]], [1]), shape=(3, 2))
    >>> x
    <BLANKLINE>
    <RowSparseNDArray 3x2 @cpu(0)>
    >>> x.asnumpy()
    array([[0., 0.],
           [1., 2.],
           [0., 0.]], dtype=float32)
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import Context, _maybe_ctx
from ..dtypes import normalize_dtype
from .ndarray import NDArray, _wrap
from .sparse_format import (
    _I64,
    _csr_to_dense,
    _dense_to_csr,
    _dense_to_rsp,
    _host_index,
    _rsp_to_dense,
    check_csr,
    check_rsp,
)

__all__ = ["BaseSparseNDArray", "RowSparseNDArray", "CSRNDArray", "StorageFallbackWarning",
           "row_sparse_array", "csr_matrix", "zeros", "empty", "array", "cast_storage",
           "densify_for", "retain", "STORAGE_TYPES"]

STORAGE_TYPES: Tuple[str, ...] = ("default", "row_sparse", "csr")


class StorageFallbackWarning(UserWarning):
    """An operator ran on dense copies of sparse inputs (it has no sparse kernel)."""


def _upload(host: np.ndarray, ctx: Context) -> NDArray:
    return _wrap(ctx.backend.from_host(np.ascontiguousarray(host), ctx.device_id), ctx)


def _new(cls: type, values: NDArray, aux: Sequence[NDArray], shape: Tuple[int, ...],
         ctx: Context) -> "BaseSparseNDArray":
    out = object.__new__(cls)
    out._data = None
    out._ctx = ctx
    out._ag = None
    out._grad = None
    out._pending = None
    out._values = values
    out._aux = tuple(aux)
    out._sp_shape = tuple(shape)
    return out


def make_row_sparse(values: np.ndarray, indices: np.ndarray, shape: Tuple[int, ...],
                    ctx: Context, check: bool = True) -> "RowSparseNDArray":
    """A RowSparseNDArray on ``ctx`` from host parts (validated unless ``check=False``)."""
    indices = indices.astype(_I64, copy=False)
    if check:
        check_rsp(values, indices, shape)
    return _new(RowSparseNDArray, _upload(values, ctx), [_upload(indices, ctx)], shape, ctx)


def make_csr(values: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
             shape: Tuple[int, ...], ctx: Context, check: bool = True) -> "CSRNDArray":
    """A CSRNDArray on ``ctx`` from host parts (validated unless ``check=False``)."""
    indices = indices.astype(_I64, copy=False)
    indptr = indptr.astype(_I64, copy=False)
    if check:
        check_csr(values, indices, indptr, shape)
    return _new(CSRNDArray, _upload(values, ctx),
                [_upload(indptr, ctx), _upload(indices, ctx)], shape, ctx)


# -- the array classes -------------------------------------------------------------------------
class BaseSparseNDArray(NDArray):
    """Common base of sparse arrays: components as dense NDArrays plus a logical shape."""

    __slots__ = ("_values", "_aux", "_sp_shape")
    _stype = "undefined"

    # -- properties ----------------------------------------------------------------------------
    @property
    def shape(self) -> Tuple[int, ...]:
        return self._sp_shape

    @property
    def dtype(self) -> type:
        return self._values.dtype

    @property
    def size(self) -> int:
        return math.prod(self._sp_shape)

    @property
    def ndim(self) -> int:
        return len(self._sp_shape)

    @property
    def data(self) -> NDArray:
        """A copy of the stored values (a dense NDArray)."""
        return self._values.copy()

    @property
    def handle(self) -> Any:
        return None

    @property
    def _storage_shape(self) -> Tuple[int, ...]:
        return self._values.shape

    def _host_parts(self) -> List[np.ndarray]:
        """Host copies of the components: values, then aux arrays in MXNet's order."""
        return [self._values.asnumpy()] + [a.asnumpy() for a in self._aux]

    # -- conversion ------------------------------------------------------------------------------
    def asnumpy(self) -> np.ndarray:
        """A dense NumPy copy."""
        raise NotImplementedError

    def tostype(self, stype: str) -> NDArray:
        return cast_storage(self, stype)

    def astype(self, dtype: Any, copy: bool = True) -> "BaseSparseNDArray":
        dt = normalize_dtype(dtype, "astype")
        if not copy and np.dtype(self.dtype) == dt:
            return self
        return _new(type(self), self._values.astype(dt), [a.copy() for a in self._aux],
                    self._sp_shape, self._ctx)

    def copy(self) -> "BaseSparseNDArray":
        return _new(type(self), self._values.copy(), [a.copy() for a in self._aux],
                    self._sp_shape, self._ctx)

    def copyto(self, other: Any) -> NDArray:
        """Copy into ``other`` (an NDArray of any storage type) or onto context ``other``."""
        if isinstance(other, NDArray):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetValueError(f"copyto: shape {self.shape} does not match destination "
                                      f"{other.shape}")
            if other.stype == "default":
                other._assign(self.tostype("default").as_in_context(other.context))
            else:
                other._assign(self)
            return other
        ctx = _maybe_ctx(other)
        return _new(type(self), self._values.copyto(ctx), [a.copyto(ctx) for a in self._aux],
                    self._sp_shape, ctx)

    def detach(self) -> "BaseSparseNDArray":
        return _new(type(self), self._values, self._aux, self._sp_shape, self._ctx)

    _detached = detach

    def attach_grad(self, grad_req: str = "write", stype: Optional[str] = None) -> None:
        raise MXNetError(f"attach_grad: autograd on {self.stype} arrays is not supported yet; "
                         "convert with tostype('default') first")

    def wait_to_read(self) -> None:
        self._values.wait_to_read()
        for a in self._aux:
            a.wait_to_read()

    def check_format(self, full_check: bool = True) -> None:
        """Raise MXNetValueError when the components do not form a valid array."""
        raise NotImplementedError

    # -- writing -----------------------------------------------------------------------------------
    def _assign(self, value: Any, key: tuple = ()) -> None:
        """Replace the whole content with ``value`` (kept in this array's storage type)."""
        if key not in ((), (slice(None),), slice(None), Ellipsis):
            raise MXNetError(f"{self.stype} arrays only support assignment to the whole array "
                             "(x[:] = value)")
        if isinstance(value, NDArray):
            src = value
        elif isinstance(value, (int, float, np.number)) and value == 0:
            empty_like = zeros(self.stype, self.shape, ctx=self._ctx, dtype=self.dtype)
            self._values, self._aux = empty_like._values, empty_like._aux
            return
        else:
            host = np.broadcast_to(np.asarray(value, dtype=np.dtype(self.dtype)), self.shape)
            src = _upload(host, self._ctx)
        if src.shape != self.shape:
            raise MXNetValueError(f"cannot assign an array of shape {src.shape} to a "
                                  f"{self.stype} array of shape {self.shape}")
        new = cast_storage(src, self.stype).as_in_context(self._ctx)
        if np.dtype(new.dtype) != np.dtype(self.dtype):
            new = new.astype(self.dtype)
        self._values, self._aux = new._values, new._aux

    def __setitem__(self, key: Any, value: Any) -> None:
        self._assign(value, key)

    def __getitem__(self, key: Any) -> NDArray:
        if isinstance(key, slice) and key == slice(None):
            return self
        return _fallback("__getitem__", self)[key]

    # -- Python protocol ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        shape_info = "x".join(str(d) for d in self.shape)
        return f"\n<{type(self).__name__} {shape_info} @{self._ctx}>"

    def __reduce__(self):
        return (_rebuild, (self.stype, self._host_parts(), self._sp_shape,
                           self._ctx.device_type, self._ctx.device_id))

    __hash__ = NDArray.__hash__


class RowSparseNDArray(BaseSparseNDArray):
    """Rows of a dense array: ``data[i]`` is row ``indices[i]``; all other rows are zero.

    Example::

        >>> import mxcore as mx
        >>> x = mx.nd.sparse.row_sparse_array(([[1, 2]], [1]), shape=(3, 2))
        >>> x.indices.asnumpy()
        array([1])
    """

    __slots__ = ()
    _stype = "row_sparse"

    @property
    def indices(self) -> NDArray:
        """A copy of the row indices (int64)."""
        return self._aux[0].copy()

    def retain(self, indices: Any) -> "RowSparseNDArray":
        """The rows listed in ``indices`` only (see :func:`retain`)."""
        return retain(self, indices)

    def asnumpy(self) -> np.ndarray:
        values, indices = self._host_parts()
        return _rsp_to_dense(values, indices, self._sp_shape)

    def check_format(self, full_check: bool = True) -> None:
        values, indices = self._host_parts()
        check_rsp(values, indices, self._sp_shape)


class CSRNDArray(BaseSparseNDArray):
    """A 2-D compressed sparse row matrix: row ``i`` holds ``data[indptr[i]:indptr[i+1]]`` at
    columns ``indices[indptr[i]:indptr[i+1]]``.

    Example::

        >>> import mxcore as mx
        >>> x = mx.nd.sparse.csr_matrix(([1, 2], [0, 2], [0, 1, 2]), shape=(2, 3))
        >>> x.asnumpy()
        array([[1., 0., 0.],
               [0., 0., 2.]], dtype=float32)
    """

    __slots__ = ()
    _stype = "csr"

    @property
    def indices(self) -> NDArray:
        """A copy of the column indices (int64)."""
        return self._aux[1].copy()

    @property
    def indptr(self) -> NDArray:
        """A copy of the row pointers (int64)."""
        return self._aux[0].copy()

    def _host_csr(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        values, indptr, indices = self._host_parts()
        return values, indices, indptr

    def asnumpy(self) -> np.ndarray:
        return _csr_to_dense(*self._host_csr(), self._sp_shape)

    def asscipy(self) -> Any:
        """A ``scipy.sparse.csr_matrix`` copy (needs SciPy)."""
        import scipy.sparse as sps

        values, indices, indptr = self._host_csr()
        return sps.csr_matrix((values, indices, indptr), shape=self._sp_shape)

    def check_format(self, full_check: bool = True) -> None:
        check_csr(*self._host_csr(), self._sp_shape, canonical=full_check)

    def __getitem__(self, key: Any) -> NDArray:
        rows = self._sp_shape[0]
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if not -rows <= key < rows:
                raise MXNetValueError(f"index {key} is out of bounds for {rows} rows")
            key = slice(key % rows, key % rows + 1)
        if isinstance(key, slice):
            start, stop, step = key.indices(rows)
            if step == 1:
                return self._row_slice(start, max(start, stop))
        return _fallback("__getitem__", self)[key]


    def _row_slice(self, start: int, stop: int) -> "CSRNDArray":
        """Rows ``start:stop`` on the device (two row pointers are read back)."""
        from ..ops.sparse_primitives import host_int
        from .invoke import kernel_namespace

        backend = self._ctx.backend
        K = kernel_namespace(backend)
        indptr = self._aux[0]._sync()
        lo = host_int(backend, K.slice(indptr, (slice(start, start + 1),)))
        hi = host_int(backend, K.slice(indptr, (slice(stop, stop + 1),)))
        ptr = K.subtract(K.slice(indptr, (slice(start, stop + 1),)), _I64.type(lo))
        parts = [K.slice(self._values._sync(), (slice(lo, hi),)), ptr,
                 K.slice(self._aux[1]._sync(), (slice(lo, hi),))]
        values, ptr, idx = (_wrap(K.copy(p), self._ctx) for p in parts)
        return _new(CSRNDArray, values, [ptr, idx], (stop - start, self._sp_shape[1]),
                    self._ctx)


def _rebuild(stype: str, parts: List[np.ndarray], shape: Tuple[int, ...], device_type: str,
             device_id: int) -> BaseSparseNDArray:
    ctx = Context(device_type, device_id)
    if stype == "row_sparse":
        return make_row_sparse(parts[0], parts[1], shape, ctx)
    return make_csr(parts[0], parts[2], parts[1], shape, ctx)


# -- operators on sparse arrays fall back to dense ---------------------------------------------
_WARNED: set = set()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _warn_fallback(op_name: str, stypes: Sequence[str]) -> None:
    if op_name in _WARNED:
        return
    _WARNED.add(op_name)
    if os.environ.get("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "1") == "0":
        return
    warnings.warn(
        f"{op_name}: no kernel for input storage types ({', '.join(stypes)}); the inputs are "
        "converted to dense arrays and the operator runs on those (the result is correct, "
        "only slower). Set MXNET_STORAGE_FALLBACK_LOG_VERBOSE=0 to silence this.",
        StorageFallbackWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside mxcore."""
    frame = sys._getframe(2)  # the caller of _warn_fallback
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def densify_for(op_name: str, inputs: Sequence[NDArray]) -> List[NDArray]:
    """Dense copies of the sparse ``inputs`` (dense ones unchanged) for ``op_name``; warns
    once per operator name."""
    _warn_fallback(op_name, [x.stype for x in inputs])
    return [x.tostype("default") if x.stype != "default" else x for x in inputs]


def _fallback(op_name: str, x: NDArray) -> NDArray:
    if x.stype == "default":
        return x
    _warn_fallback(op_name, [x.stype])
    return x.tostype("default")


_ARITH = {
    "add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
    "sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "truediv": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "div": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": ("broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "pow": ("broadcast_power", "_power_scalar", "_rpower_scalar"),
    "eq": ("broadcast_equal", "_equal_scalar", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
    "gt": ("broadcast_greater", "_greater_scalar", "_lesser_scalar"),
    "ge": ("broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
    "lt": ("broadcast_lesser", "_lesser_scalar", "_greater_scalar"),
    "le": ("broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
}


def _sparse_operator(name: str, reflected: bool, inplace: bool):
    """``a <op> b`` with a sparse operand: the operator through dispatch, so sparse kernels
    (``rsp + rsp``, ``csr * 2`` ...) run where they exist and dense fallback elsewhere."""
    array_op, scalar_op, rscalar_op = _ARITH[name]

    def method(self, other):
        from ..ops.registry import OPS
        from .invoke import invoke

        if isinstance(other, NDArray):
            pair = (other, self) if reflected else (self, other)
            result = invoke(OPS[array_op], pair)
        elif isinstance(other, (int, float, np.number)) and not isinstance(other, bool):
            sop = OPS[rscalar_op if reflected else scalar_op]
            result = invoke(sop, (self,), {"scalar": float(other)})
        else:
            return NotImplemented
        if inplace:
            self._assign(result)
            return self
        return result

    method.__name__ = f"__{'i' if inplace else 'r' if reflected else ''}{name}__"
    return method


for _op in ("add", "sub", "mul", "truediv", "div", "mod", "pow"):
    setattr(BaseSparseNDArray, f"__{_op}__", _sparse_operator(_op, False, False))
    setattr(BaseSparseNDArray, f"__r{_op}__", _sparse_operator(_op, True, False))
    setattr(BaseSparseNDArray, f"__i{_op}__", _sparse_operator(_op, False, True))
for _op in ("eq", "ne", "gt", "ge", "lt", "le"):
    setattr(BaseSparseNDArray, f"__{_op}__", _sparse_operator(_op, False, False))


def retain(data: NDArray, indices: Any) -> NDArray:
    """A row_sparse array holding only the rows of ``data`` listed in ``indices``."""
    from ..ops.registry import OPS
    from .invoke import invoke

    if not isinstance(indices, NDArray):
        indices = _upload(_host_index(indices, "retain: indices").reshape(-1), data.context)
    return invoke(OPS["_sparse_retain"], (data, indices))


# -- conversion --------------------------------------------------------------------------------
def cast_storage(x: NDArray, stype: str) -> NDArray:
    """A copy of ``x`` in storage type ``stype`` ('default', 'row_sparse' or 'csr')."""
    if not isinstance(x, NDArray):
        raise MXNetTypeError(f"cast_storage: expected an NDArray, got {type(x).__name__}")
    if stype not in STORAGE_TYPES:
        raise MXNetValueError(f"cast_storage: unknown storage type {stype!r}; expected one of "
                              f"{list(STORAGE_TYPES)} [backend {x.context.backend.name}]")
    if x.stype == stype:
        return x.copy()
    if stype == "default":
        from ..base import NotImplementedForBackend
        from ..ops.sparse_kernels import to_dense

        try:
            return to_dense(x)
        except NotImplementedForBackend:  # no scatter primitives: convert on the host
            return _upload(x.asnumpy(), x.context)
    ctx = x.context
    if ctx.device_type != "cpu" and x.stype == "default":
        return _device_to_sparse(x, stype)
    host = x.asnumpy()
    if stype == "default":
        return _upload(host, ctx)
    if stype == "row_sparse":
        values, indices = _dense_to_rsp(host)
        return make_row_sparse(values, indices, host.shape, ctx, check=False)
    values, indices, indptr = _dense_to_csr(host)
    return make_csr(values, indices, indptr, host.shape, ctx, check=False)


def _device_to_sparse(x: NDArray, stype: str) -> NDArray:
    """Dense to sparse on a device whose memory is not the host's (no round trip)."""
    from ..ops import sparse_primitives as sp
    from .invoke import kernel_namespace

    ctx = x.context
    K = kernel_namespace(ctx.backend)
    data = x._sync()
    if stype == "row_sparse":
        if x.ndim == 0:
            raise MXNetValueError("row_sparse: cannot hold a 0-d array")
        values, idx = sp.dense_to_rsp(K, ctx.backend, data)
        return _new(RowSparseNDArray, _wrap(values, ctx), [_wrap(idx, ctx)], x.shape, ctx)
    if x.ndim != 2:
        raise MXNetValueError(f"csr: to convert to CSR the array must be 2-D, got shape "
                              f"{x.shape}")
    values, indptr, indices = sp.dense_to_csr(K, ctx.backend, data)
    return _new(CSRNDArray, _wrap(values, ctx), [_wrap(indptr, ctx), _wrap(indices, ctx)],
                x.shape, ctx)


# -- construction (in .sparse_create, re-exported here) -------------------------------------
from .sparse_create import array, csr_matrix, empty, row_sparse_array, zeros  # noqa: E402


def __getattr__(name: str) -> Any:
    """``mx.nd.sparse.<op>``: the dense operator (sparse inputs fall back to dense)."""
    from .. import ndarray as _nd

    fn = getattr(_nd.op, name, None)
    if fn is None and name in ("add", "subtract", "multiply", "divide"):
        fn = getattr(_nd, name)  # array-or-scalar helpers; sparse kernels where they exist
    if fn is None or name.startswith("__"):
        raise AttributeError(f"module 'mxcore.ndarray.sparse' has no attribute {name!r}")
    return fn
