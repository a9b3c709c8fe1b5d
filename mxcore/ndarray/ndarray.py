"""The NDArray: a handle on a backend array, a context, and autograd state."""

from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import autograd as _ag
from .. import engine as _engine
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import Context, _maybe_ctx
from ..dtypes import normalize_dtype
from ..ops.registry import OPS
from .invoke import CAPTURE as _CAPTURE
from .invoke import bind_array_type, diagnose, invoke, resolve_kernel

__all__ = ["NDArray", "_wrap"]

_AG = _ag.STATE
_ENGINE = _engine._Current
_EMPTY: dict = {}


class NDArray:
    """An n-dimensional array on a device (MXNet's ``mx.nd.NDArray``).

    Example::

        >>> import mxcore as mx
        >>> a = mx.nd.array([1, 2])
        >>> a * 2
        <BLANKLINE>
        [2. 4.]
        <NDArray 2 @cpu(0)>
    """

    __slots__ = ("_data", "_ctx", "_ag", "_grad", "_pending", "__weakref__")
    __array_priority__ = 1000.0
    _stype = "default"

    # -- basic properties ------------------------------------------------------------------
    def _sync(self) -> Any:
        """The backend array, after pending work on it finished (host-side access)."""
        if self._pending is not None:
            _ENGINE.engine.wait_for(self)
        return self._data

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(self._sync().shape)

    @property
    def dtype(self) -> type:
        """The NumPy scalar type of the elements (``numpy.float32`` ...), as in MXNet."""
        return self._sync().dtype.type

    @property
    def size(self) -> int:
        return int(self._sync().size)

    @property
    def ndim(self) -> int:
        return len(self._sync().shape)

    @property
    def context(self) -> Context:
        return self._ctx

    ctx = context

    @property
    def stype(self) -> str:
        return self._stype

    @property
    def grad(self) -> Optional["NDArray"]:
        return self._grad

    @property
    def T(self) -> "NDArray":
        return _nd().transpose(self)

    @property
    def handle(self) -> Any:
        return self._sync()

    # -- host transfer ------------------------------------------------------------------------
    def asnumpy(self) -> np.ndarray:
        """A NumPy copy of the data (a sync point)."""
        if _CAPTURE.rec is not None:
            _CAPTURE.rec.fail("asnumpy (value-dependent control flow)")
        return self._ctx.backend.to_host(self._sync())

    def asscalar(self) -> Any:
        if self.size != 1:
            raise MXNetValueError(f"asscalar: the array has shape {self.shape}, not one element")
        return self.asnumpy().reshape(-1)[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.asnumpy()
        return out if dtype is None else out.astype(dtype, copy=False)

    def wait_to_read(self) -> None:
        """Block until the array is computed (raises the error its computation raised)."""
        if self._pending is not None:
            _ENGINE.engine.wait_for(self)
        self._ctx.backend.synchronize(self._ctx.device_id)  # device queues (OpenCL, CUDA)

    # -- DLPack (mxcore.ndarray.dlpack) -------------------------------------------------------
    def __dlpack__(self, stream: Any = None, **kwargs: Any) -> Any:
        from .dlpack import dlpack_capsule

        return dlpack_capsule(self, stream, **kwargs)

    def __dlpack_device__(self) -> Tuple[int, int]:
        from .dlpack import dlpack_device

        return dlpack_device(self)

    def to_dlpack_for_read(self) -> Any:
        """A DLPack capsule viewing this array once its pending writes are done."""
        from .dlpack import to_dlpack_for_read

        return to_dlpack_for_read(self)

    def to_dlpack_for_write(self) -> Any:
        """A DLPack capsule viewing this array once all pending work on it is done."""
        from .dlpack import to_dlpack_for_write

        return to_dlpack_for_write(self)

    def __repr__(self) -> str:
        shape_info = "x".join(str(d) for d in self.shape)
        return f"\n{self.asnumpy()!s}\n<{type(self).__name__} {shape_info} @{self._ctx}>"

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(), self._ctx.device_type, self._ctx.device_id))

    # -- copies and conversion ---------------------------------------------------------------
    def copy(self) -> "NDArray":
        return invoke(OPS["_copy"], (self,))

    def copyto(self, other: Union["NDArray", Context]) -> "NDArray":
        """Copy into ``other`` (an NDArray) or onto a new array on context ``other``."""
        if isinstance(other, NDArray):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetValueError(
                    f"copyto: shape {self.shape} does not match destination {other.shape}")
            other._assign(self if other._ctx is self._ctx else self.copyto(other._ctx))
            return other
        ctx = _maybe_ctx(other)
        if ctx is self._ctx:
            return self.copy()
        return _copy_across(self, ctx)

    def as_in_context(self, context: Context) -> "NDArray":
        """This array if already on ``context``, else a copy there."""
        ctx = _maybe_ctx(context)
        return self if ctx is self._ctx else self.copyto(ctx)

    as_in_ctx = as_in_context

    def astype(self, dtype: Any, copy: bool = True) -> "NDArray":
        dt = normalize_dtype(dtype, "astype")
        if not copy and self._sync().dtype == dt:
            return self
        return invoke(OPS["Cast"], (self,), {"dtype": dt})

    def tostype(self, stype: str) -> "NDArray":
        from .sparse import cast_storage

        return cast_storage(self, stype)

    def reshape(self, *shape: Any, **kwargs: Any) -> "NDArray":
        """Reshape (MXNet codes 0, -1, -2, -3, -4 and ``reverse`` supported)."""
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if "shape" in kwargs:
            shape = kwargs.pop("shape")
        return _nd().reshape(self, shape=shape, **kwargs)

    def broadcast_to(self, shape: Sequence[int]) -> "NDArray":
        return _nd().broadcast_to(self, shape=tuple(shape))

    def detach(self) -> "NDArray":
        """The same data, cut from the autograd graph."""
        return self._detached()

    def _detached(self) -> "NDArray":
        # an asynchronous engine fills ``_data`` in on this object only: wait for it first
        return _wrap(self._sync(), self._ctx)

    # -- autograd ------------------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: Optional[str] = None) -> None:
        """Allocate a gradient buffer; later ``backward`` calls fill it."""
        _ag._check_req(grad_req)
        with _ag.pause():
            if stype is None or stype == "default":
                self._grad = _nd().zeros_like(self)
            else:  # a sparse gradient buffer (row_sparse for Embedding(sparse_grad=True))
                self._grad = _nd().sparse.zeros(stype, self.shape, ctx=self._ctx,
                                                dtype=self.dtype)
        self._ag = _ag.Entry(None, 0, grad_req, self)

    def backward(self, out_grad: Optional["NDArray"] = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        _ag.backward([self], None if out_grad is None else [out_grad], retain_graph,
                     train_mode)

    # -- writing ---------------------------------------------------------------------------------
    def _assign(self, value: Any, key: tuple = ()) -> None:
        """Write ``value`` (NDArray or scalar) into this array's buffer at ``key``."""
        if _CAPTURE.rec is not None:
            _CAPTURE.rec.fail("in-place write")
        backend = self._ctx.backend
        setitem = backend.kernels["setitem"]
        if isinstance(value, NDArray):
            if value.stype != "default":
                value = value.tostype("default")
            if value._ctx is not self._ctx:
                value = value.copyto(self._ctx)
            reads = [value]

            def src():
                return value._data
        else:
            reads = []
            scalar = value

            def src():
                return scalar

        def run() -> None:
            try:
                setitem(self._data, key, src())
            except Exception as exc:
                raise diagnose("_set_value", [self._data], backend.name, exc) from exc

        _ENGINE.engine.push(run, self._ctx, reads, [self])

    def _check_inplace(self, what: str) -> None:
        if _AG.recording and self._ag is not None:
            raise MXNetError(f"{what}: in-place operations on an array that takes part in "
                             "autograd are not supported while recording")

    def __getitem__(self, key: Any) -> "NDArray":
        from .indexing import getitem

        return getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        from .indexing import setitem

        self._check_inplace("__setitem__")
        setitem(self, key, value)

    # -- Python protocol ---------------------------------------------------------------------------
    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise MXNetTypeError("len() of a 0-d NDArray")
        return shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        size = self.size
        if size == 0:
            return False
        if size == 1:
            return bool(self.asnumpy().reshape(-1)[0])
        raise MXNetValueError("The truth value of an NDArray with multiple elements is "
                              "ambiguous.")

    def __float__(self) -> float:
        return float(self.asscalar())

    def __int__(self) -> int:
        return int(self.asscalar())

    def __index__(self) -> int:
        if not np.issubdtype(self.dtype, np.integer):
            raise MXNetTypeError("only integer arrays of one element can be used as an index")
        return int(self.asscalar())

    __hash__ = object.__hash__

    def __neg__(self) -> "NDArray":
        return invoke(OPS["negative"], (self,))

    def __pos__(self) -> "NDArray":
        return self

    def __abs__(self) -> "NDArray":
        return invoke(OPS["abs"], (self,))


def _nd():
    from .. import ndarray

    return ndarray


def _rebuild(array: np.ndarray, device_type: str, device_id: int) -> NDArray:
    from .creation import array as make_array

    return make_array(array, ctx=Context(device_type, device_id), dtype=array.dtype)


_new = object.__new__


def _wrap(data: Any, ctx: Context) -> NDArray:
    """Wrap a backend array (no copy)."""
    out = _new(NDArray)
    out._data = data
    out._ctx = ctx
    out._ag = None
    out._grad = None
    out._pending = None
    return out


bind_array_type(NDArray, _wrap)


class _CopyToOp:
    """Autograd record for a copy between contexts: the gradient copies back."""

    __slots__ = ("src",)
    name = "_copyto"
    differentiable = True

    def __init__(self, src: Context):
        self.src = src

    def gradient(self, F, inputs, outputs, out_grads):
        return [out_grads[0].copyto(self.src)]


def _copy_across(x: NDArray, ctx: Context) -> NDArray:
    src_backend = x._ctx.backend
    dst_backend = ctx.backend
    data = x._sync()
    if src_backend is dst_backend:
        new = dst_backend.copy(data, ctx.device_id)
    else:
        new = dst_backend.from_host(src_backend.to_host(data), ctx.device_id)
    out = _wrap(new, ctx)
    if _AG.recording and x._ag is not None:
        _ag.record_op(_CopyToOp(x._ctx), {}, (x,), [out])
    return out


# -- arithmetic operators ------------------------------------------------------------------------
def _is_scalar(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, np.ndarray)


def _binary_method(array_op: str, scalar_op: Optional[str], reverse_scalar_op: Optional[str],
                   reflected: bool = False):
    """``a <op> b``: a fast path for two dense arrays on one context, else the general path."""
    op = OPS[array_op]
    sop = OPS[reverse_scalar_op if reflected else scalar_op] if scalar_op else None

    def method(self, other):
        if type(other) is NDArray and not _ENGINE.is_async and other._ctx is self._ctx:
            lhs, rhs = (other, self) if reflected else (self, other)
            ctx = self._ctx
            kernel = op.kernel_cache.get(ctx)
            if kernel is None:
                kernel = resolve_kernel(op, ctx)
            try:
                data = kernel(lhs._data, rhs._data)
            except Exception as exc:
                raise diagnose(op.name, [lhs._data, rhs._data], ctx.backend.name, exc) from exc
            out = _new(NDArray)
            out._data = data
            out._ctx = ctx
            out._ag = None
            out._grad = None
            out._pending = None
            if _AG.recording and (lhs._ag is not None or rhs._ag is not None):
                _ag.record_op(op, _EMPTY, (lhs, rhs), [out])
            if _CAPTURE.rec is not None:
                _CAPTURE.rec.call(op, kernel, _EMPTY, (lhs, rhs), [out], 1, None)
            return out
        if isinstance(other, NDArray):
            return invoke(op, (other, self) if reflected else (self, other))
        if _is_scalar(other) and sop is not None:
            return invoke(sop, (self,), {"scalar": float(other)})
        return NotImplemented

    method.__name__ = array_op
    return method


def _inplace_method(binary):
    def method(self, other):
        self._check_inplace("in-place operator")
        result = binary(self, other)
        if result is NotImplemented:
            return result
        self._assign(result)
        return self
    return method


_ARITH = {
    "add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
    "sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "truediv": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": ("broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "pow": ("broadcast_power", "_power_scalar", "_rpower_scalar"),
}
for _name, (_arr, _sc, _rsc) in _ARITH.items():
    _fwd = _binary_method(_arr, _sc, _rsc)
    setattr(NDArray, f"__{_name}__", _fwd)
    setattr(NDArray, f"__r{_name}__", _binary_method(_arr, _sc, _rsc, reflected=True))
    setattr(NDArray, f"__i{_name}__", _inplace_method(_fwd))
NDArray.__div__ = NDArray.__truediv__
NDArray.__rdiv__ = NDArray.__rtruediv__
NDArray.__idiv__ = NDArray.__itruediv__

_COMPARE = {
    "eq": ("broadcast_equal", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "_not_equal_scalar"),
    "gt": ("broadcast_greater", "_greater_scalar"),
    "ge": ("broadcast_greater_equal", "_greater_equal_scalar"),
    "lt": ("broadcast_lesser", "_lesser_scalar"),
    "le": ("broadcast_lesser_equal", "_lesser_equal_scalar"),
}
for _name, (_arr, _sc) in _COMPARE.items():
    setattr(NDArray, f"__{_name}__", _binary_method(_arr, _sc, None))
