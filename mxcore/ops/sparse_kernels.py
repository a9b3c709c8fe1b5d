"""Operators on row_sparse and csr inputs: the storage-type kernels dispatch picks.

:func:`run` is called by dispatch (``mxcore/ndarray/invoke.py``) when an input is sparse. A
kernel is keyed by operator name and receives ``(op, inputs, attrs, out)``; it returns the
result, or ``NotImplemented`` for storage types or shapes it does not handle — dispatch then
falls back to dense with a one-time warning. Kernels work on the components (values, indices,
indptr) with the backend primitives in :mod:`.sparse_primitives`, so every backend gets them;
the CSR products run through the ``_sparse_*`` operators of :mod:`.sparse_ops`, which a
backend may fuse (the CPU backend uses SciPy's compiled CSR routines when SciPy is present).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence

import numpy as np

from .. import autograd as _ag
from .. import engine as _engine
from ..base import NotImplementedForBackend
from ..ndarray.invoke import CAPTURE, diagnose, kernel_namespace, resolve_kernel
from ..ndarray.ndarray import NDArray, _wrap
from ..ndarray.sparse import CSRNDArray, RowSparseNDArray, _new
from . import sparse_primitives as sp
from .registry import OPS

__all__ = ["KERNELS", "sparse_kernel", "run", "make_rsp", "make_csr_parts", "ZERO_PRESERVING"]

KERNELS: Dict[str, Callable] = {}


def sparse_kernel(*names: str) -> Callable:
    """Register a storage-type kernel under operator ``names`` (a decorator)."""

    def register(fn: Callable) -> Callable:
        for name in names:
            KERNELS[name] = fn
        return fn

    return register


def make_rsp(values: Any, idx: Any, shape: Sequence[int], ctx: Any) -> RowSparseNDArray:
    """A RowSparseNDArray from backend arrays (rows sorted and unique)."""
    return _new(RowSparseNDArray, _wrap(values, ctx), [_wrap(idx, ctx)], tuple(shape), ctx)


def make_csr_parts(values: Any, indptr: Any, indices: Any, shape: Sequence[int], ctx: Any
                   ) -> CSRNDArray:
    """A CSRNDArray from backend arrays."""
    return _new(CSRNDArray, _wrap(values, ctx), [_wrap(indptr, ctx), _wrap(indices, ctx)],
                tuple(shape), ctx)


class _SparseGradOp:
    """The tape entry of a sparse kernel whose gradient differs from the dense op's (it
    keeps gradients sparse and skips inputs that need none)."""

    __slots__ = ("name", "gradient", "partial_gradient")

    def __init__(self, name: str, gradient: Callable):
        self.name = name
        self.gradient = gradient
        self.partial_gradient = True


_GRADIENTS: Dict[str, _SparseGradOp] = {}


def run(op: Any, inputs: Sequence[NDArray], attrs: dict, out: Any) -> Any:
    """The sparse kernel's result for ``op`` on ``inputs``, or NotImplemented."""
    kernel = KERNELS.get(op.name)
    if kernel is None:
        return NotImplemented
    if CAPTURE.rec is not None:
        CAPTURE.rec.fail("sparse arrays")  # a compiled backward replays dense kernels only
    if _engine._Current.is_async:
        _engine.get().wait_all()  # kernels read and write components synchronously
    ctx = inputs[0]._ctx
    for x in inputs:
        if x._ctx is not ctx:
            return NotImplemented  # dispatch's dense path reports the context error
    if op.check is not None:
        try:
            op.check([x.shape for x in inputs], [x.dtype for x in inputs], **attrs)
        except Exception as exc:
            raise diagnose(op.name, inputs, ctx.backend.name, exc) from exc
    try:
        result = kernel(op, inputs, attrs, out)
    except NotImplementedForBackend:
        return NotImplemented  # a primitive the backend lacks: the dense fallback may work
    except Exception as exc:
        raise diagnose(op.name, inputs, ctx.backend.name, exc) from exc
    if result is NotImplemented:
        return result
    if _ag.STATE.recording and op.differentiable and any(x._ag is not None for x in inputs):
        outputs = result if isinstance(result, list) else [result]
        _ag.record_op(_GRADIENTS.get(op.name, op), attrs, inputs, outputs)
    return result


def _K(x: NDArray) -> Any:
    return kernel_namespace(x._ctx.backend)


# -- conversion to dense (on the device) ------------------------------------------------------
def to_dense(x: NDArray) -> NDArray:
    """A dense copy of the sparse ``x``, computed on its device."""
    K = _K(x)
    parts = [x._values._sync()] + [a._sync() for a in x._aux]
    if x.stype == "row_sparse":
        data = sp.rsp_to_dense(K, parts[0], parts[1], x.shape)
    else:
        data = sp.csr_to_dense(K, *parts, x.shape)
    return _wrap(data, x._ctx)


# -- dot ----------------------------------------------------------------------------------------
@sparse_kernel("dot")
def _dot(op, inputs, attrs, out):
    lhs, rhs = inputs
    ta, want = attrs["transpose_a"], attrs["forward_stype"]
    if attrs["transpose_b"]:
        if lhs.stype == "default" and rhs.stype == "csr" and lhs.ndim == 2 and not ta:
            result = _dense_dot_csr_t(lhs, rhs)
            return result if want in (None, "default") else _cast(result, want)
        return NotImplemented
    if lhs.stype == "csr" and rhs.stype == "row_sparse" and rhs.ndim == 2:
        rhs = to_dense(rhs)  # MXNet's dot(csr, row_sparse): the rows made dense on the device
    if lhs.stype == "csr" and rhs.stype == "default" and rhs.ndim in (1, 2):
        result = _csr_dot(lhs, rhs, ta)
    elif (lhs.stype == "default" and rhs.stype == "csr" and lhs.ndim == 2 and not ta):
        result = _dense_dot_csr(lhs, rhs)
        want = want or "csr"  # MXNet's dot(default, csr) is csr unless forward_stype says
    else:
        return NotImplemented
    return result if want is None or want == result.stype else _cast(result, want)


@sparse_kernel("cast_storage")
def _cast_storage(op, inputs, attrs, out):
    return _cast(inputs[0], attrs["stype"])


def _cast(x: NDArray, stype: str) -> NDArray:
    from ..ndarray.sparse import cast_storage

    return cast_storage(x, stype)


def _dense_dot_csr_t(lhs: NDArray, rhs: CSRNDArray) -> NDArray:
    """Dense (m, n) times the transpose of CSR (k, n): column ``row_j`` of the result gains
    ``lhs[:, col_j] * v_j`` (MXNet's dot(default, csr, transpose_b=True), dense)."""
    K = _K(rhs)
    values, indptr, indices = rhs._values._data, rhs._aux[0]._data, rhs._aux[1]._data
    nnz = values.shape[0]
    prod = K.multiply(K.take(lhs._data, indices, 1), K.reshape(values, (1, nnz)))
    out = K.full((lhs.shape[0], rhs.shape[0]), 0, lhs.dtype)
    return _wrap(K.scatter_add(out, 1, sp.row_ids(K, indptr, nnz), prod), lhs._ctx)


def _product(name: str, ctx: Any) -> Callable:
    """The kernel of a ``_sparse_*`` product op (a backend's fused one, or the generic)."""
    op = OPS[name]
    return op.kernel_cache.get(ctx) or resolve_kernel(op, ctx)


def _csr_dot(lhs: CSRNDArray, rhs: NDArray, ta: bool) -> NDArray:
    K, ctx = _K(lhs), lhs._ctx
    values, indptr, indices = lhs._values._data, lhs._aux[0]._data, lhs._aux[1]._data
    dense = rhs._data if rhs.ndim == 2 else K.reshape(rhs._data, (rhs.shape[0], 1))
    m, k = lhs.shape
    if ta:
        rows, vals = _product("_sparse_csr_t_dot_dense", ctx)(values, indptr, indices, dense)
        if rhs.ndim == 1:
            return _wrap(K.reshape(sp.rsp_to_dense(K, vals, rows, (k, 1)), (k,)), ctx)
        return make_rsp(vals, rows, (k, dense.shape[1]), ctx)
    data = _product("_sparse_csr_dot_dense", ctx)(values, indptr, indices, dense, num_rows=m)
    return _wrap(data if rhs.ndim == 2 else K.reshape(data, (m,)), ctx)


def _dense_dot_csr(lhs: NDArray, rhs: CSRNDArray) -> NDArray:
    values, indptr, indices = rhs._values._data, rhs._aux[0]._data, rhs._aux[1]._data
    data = _product("_sparse_dense_dot_csr", lhs._ctx)(lhs._data, values, indptr, indices,
                                                       num_cols=rhs.shape[1])
    return _wrap(data, lhs._ctx)


def _dot_gradient(F, inputs, outputs, out_grads, needed, transpose_a, transpose_b,
                  forward_stype):
    """Gradients of a dot with a CSR operand; the CSR operand gets none (as in MXNet)."""
    lhs, rhs = inputs
    g = out_grads[0]
    if lhs.stype == "csr":
        if not needed[1]:
            return [None, None]
        if rhs.ndim == 1:
            return [None, F.dot(lhs, g.reshape((-1, 1)), transpose_a=not transpose_a)
                    .tostype("default").reshape((-1,))]
        return [None, F.dot(lhs, g, transpose_a=not transpose_a)]
    if not needed[0]:
        return [None, None]
    if transpose_b:
        return [F.dot(g, rhs, forward_stype="default"), None]
    return [F.dot(g, rhs, transpose_b=True), None]


_GRADIENTS["dot"] = _SparseGradOp("dot", _dot_gradient)


# -- element-wise -------------------------------------------------------------------------------
_BINARY = {
    "elemwise_add": "add", "broadcast_add": "add", "elemwise_sub": "subtract",
    "broadcast_sub": "subtract", "elemwise_mul": "multiply", "broadcast_mul": "multiply",
    "broadcast_div": "divide",
}


@sparse_kernel(*_BINARY)
def _binary(op, inputs, attrs, out):
    a, b = inputs
    kind = _BINARY[op.name]
    if np.dtype(a.dtype) != np.dtype(b.dtype):
        return NotImplemented
    if a.shape != b.shape:
        if kind in ("multiply", "divide") and a.stype == "csr" and b.stype == "default":
            return _csr_times_vector(a, b, kind)
        return NotImplemented
    if kind == "divide":
        return NotImplemented  # 0/0 where nothing is stored: not zero-preserving
    K = _K(a)
    if a.stype == b.stype:
        if a.stype == "row_sparse":
            return _rsp_pair(K, a, b, kind)
        return _csr_pair(K, a, b, kind)
    if "default" not in (a.stype, b.stype):
        return NotImplemented
    sparse, dense = (a, b) if b.stype == "default" else (b, a)
    if kind == "multiply":
        return _sparse_times_dense(K, sparse, dense)
    # add / subtract with one dense operand: dense result
    vals = sparse._values._data
    base = dense._data
    if kind == "subtract":
        if sparse is b:
            vals = K.negative(vals)
        else:
            base = K.negative(base)
    if sparse.stype == "row_sparse":
        data = K.scatter_add(base, 0, sparse._aux[0]._data, vals)
    else:
        coords = sp.csr_coords(K, sparse._aux[0]._data, sparse._aux[1]._data)
        data = K.scatter_nd_add(base, coords, vals)
    return _wrap(data, a._ctx)


def _rsp_pair(K, a, b, kind):
    uniq, va, vb = sp.align_rows(K, a._ctx.backend, a._aux[0]._data, a._values._data,
                                 b._aux[0]._data, b._values._data, bound=a.shape[0])
    return make_rsp(getattr(K, kind)(va, vb), uniq, a.shape, a._ctx)


def _csr_pair(K, a, b, kind):
    """Two CSR matrices on the union of their entries (keys row*ncols + col)."""
    m, n = a.shape
    keys = []
    for x in (a, b):
        coords = sp.csr_coords(K, x._aux[0]._data, x._aux[1]._data)
        rows = K.slice(coords, (0,))
        cols = K.slice(coords, (1,))
        keys.append(K.add(K.multiply(rows, sp.I64.type(n)), cols))
    uniq, va, vb = sp.align_rows(K, a._ctx.backend, keys[0], a._values._data, keys[1],
                                 b._values._data)
    values = getattr(K, kind)(va, vb)
    if n == 0:
        return make_csr_parts(values, K.full((m + 1,), 0, sp.I64), uniq, a.shape, a._ctx)
    rows = K.divide(uniq, sp.I64.type(n))
    cols = K.subtract(uniq, K.multiply(rows, sp.I64.type(n)))
    return make_csr_parts(values, sp.indptr_from_rows(K, rows, m), cols, a.shape, a._ctx)


def _sparse_times_dense(K, sparse, dense):
    vals = sparse._values._data
    if sparse.stype == "row_sparse":
        idx = sparse._aux[0]._data
        return make_rsp(K.multiply(vals, K.take(dense._data, idx, 0)), idx, sparse.shape,
                        sparse._ctx)
    coords = sp.csr_coords(K, sparse._aux[0]._data, sparse._aux[1]._data)
    return make_csr_parts(K.multiply(vals, K.gather_nd(dense._data, coords)),
                          sparse._aux[0]._data, sparse._aux[1]._data, sparse.shape,
                          sparse._ctx)


def _csr_times_vector(a, vec, kind):
    """CSR (m, n) times or divided by a dense (m, 1), (1, n) or (n,) vector: CSR."""
    m, n = a.shape
    K = _K(a)
    indptr, indices = a._aux[0]._data, a._aux[1]._data
    flat = K.reshape(vec._data, (vec.size,))
    if vec.shape in ((1, n), (n,)):
        picked = K.take(flat, indices, 0)
    elif vec.shape == (m, 1):
        picked = K.take(flat, sp.row_ids(K, indptr, indices.shape[0]), 0)
    else:
        return NotImplemented
    values = getattr(K, kind)(a._values._data, picked)
    return make_csr_parts(values, indptr, indices, a.shape, a._ctx)


# -- zero-preserving unary ops and scalar scaling -----------------------------------------------
#: f(0) == 0: applying them to the stored values alone is exact
ZERO_PRESERVING = (
    "abs", "sign", "square", "sqrt", "negative", "relu", "sin", "tan", "arcsin", "arctan",
    "sinh", "tanh", "arcsinh", "arctanh", "expm1", "log1p", "floor", "ceil", "trunc", "rint",
    "fix", "round", "degrees", "radians", "_mul_scalar", "_div_scalar", "_copy", "cbrt",
    "Cast", "BlockGrad",
)


@sparse_kernel(*ZERO_PRESERVING)
def _unary(op, inputs, attrs, out):
    (x,) = inputs
    if op.name == "_div_scalar" and attrs.get("scalar") == 0:
        return NotImplemented
    kernel = op.kernel_cache.get(x._ctx) or resolve_kernel(op, x._ctx)
    values = kernel(x._values._data, **attrs)
    return _new(type(x), _wrap(values, x._ctx), x._aux, x.shape, x._ctx)


@sparse_kernel("clip")
def _clip(op, inputs, attrs, out):
    if not attrs["a_min"] <= 0 <= attrs["a_max"]:
        return NotImplemented
    return _unary(op, inputs, attrs, out)


@sparse_kernel("zeros_like")
def _zeros_like(op, inputs, attrs, out):
    from ..ndarray.sparse import zeros

    (x,) = inputs
    return zeros(x.stype, x.shape, ctx=x._ctx, dtype=x.dtype)


# -- reductions ---------------------------------------------------------------------------------
@sparse_kernel("norm")
def _norm(op, inputs, attrs, out):
    (x,) = inputs
    if attrs["axis"] is not None or attrs["keepdims"] or attrs["ord"] not in (1, 2):
        return NotImplemented
    K = _K(x)
    values = x._values._data
    if attrs["ord"] == 2:
        total = K.sqrt(K.sum(K.square(values), None, False))
    else:
        total = K.sum(K.abs(values), None, False)
    total = K.reshape(total, (1,))
    if attrs["out_dtype"] is not None:
        total = K.cast(total, attrs["out_dtype"])
    return _wrap(total, x._ctx)


@sparse_kernel("sum", "mean")
def _reduce(op, inputs, attrs, out):
    (x,) = inputs
    if attrs.get("exclude"):
        return NotImplemented
    if x.stype == "row_sparse":
        return _reduce_rsp(op, x, attrs["axis"], attrs["keepdims"])
    axis, keepdims = attrs["axis"], attrs["keepdims"]
    if isinstance(axis, tuple):
        axis = axis[0] if len(axis) == 1 else (None if sorted(axis) == [0, 1] else axis)
    if axis is not None and not isinstance(axis, int):
        return NotImplemented
    K = _K(x)
    m, n = x.shape
    values = x._values._data
    if axis is None:
        total = K.reshape(K.sum(values, None, False), (1,))
        if op.name == "mean":
            total = K.divide(total, values.dtype.type(max(m * n, 1)) if m * n else
                             values.dtype.type(0))
        if keepdims:
            total = K.reshape(total, (1, 1))
        return _wrap(total, x._ctx)
    if axis not in (0, 1, -1, -2):
        raise ValueError(f"axis {axis} is out of range for a 2-D array")
    axis %= 2
    if axis == 0:
        data = K.scatter_add(K.full((n,), 0, values.dtype), 0, x._aux[1]._data, values)
    else:
        rows = sp.row_ids(K, x._aux[0]._data, values.shape[0])
        data = K.scatter_add(K.full((m,), 0, values.dtype), 0, rows, values)
    if op.name == "mean":
        data = K.divide(data, values.dtype.type(x.shape[axis]))
    if keepdims:
        data = K.reshape(data, (1, n) if axis == 0 else (m, 1))
    return _wrap(data, x._ctx)


def _reduce_rsp(op, x, axis, keepdims):
    """sum/mean of a row_sparse array over all axes, over axis 0 (rows), or over axis 1 of a
    2-D one; dense results."""
    K = _K(x)
    values = x._values._data
    if isinstance(axis, tuple):
        axis = axis[0] if len(axis) == 1 else (None if sorted(axis) == list(range(x.ndim))
                                               else axis)
    if keepdims or (axis is not None and not isinstance(axis, int)):
        return NotImplemented
    if axis is None:
        data = K.reshape(K.sum(values, None, False), (1,))
        count = x.size
    elif axis % x.ndim == 0:
        data = K.sum(values, (0,), False)
        count = x.shape[0]
    elif x.ndim == 2 and axis % 2 == 1:
        data = sp.rsp_to_dense(K, K.sum(values, (1,), False), x._aux[0]._data, (x.shape[0],))
        count = x.shape[1]
    else:
        return NotImplemented
    if op.name == "mean":
        data = K.divide(data, values.dtype.type(count)) if count else \
            K.multiply(data, values.dtype.type(np.nan))
    return _wrap(data, x._ctx)


# -- row selection on CSR ----------------------------------------------------------------------
@sparse_kernel("take")
def _take(op, inputs, attrs, out):
    """take(csr, indices) along axis 0: the rows, as CSR (NDArrayIter batches, shuffles)."""
    from .indexing import fix_indices

    x, idx = inputs
    if (x.stype != "csr" or idx.stype != "default" or idx.ndim != 1
            or attrs["axis"] not in (0, -2)):
        return NotImplemented
    K = _K(x)
    m, n = x.shape
    rows = fix_indices(K, idx._data, m, attrs["mode"])
    values, indptr, indices = sp.csr_take_rows(K, x._ctx.backend, x._values._data,
                                               x._aux[0]._data, x._aux[1]._data, rows)
    return make_csr_parts(values, indptr, indices, (idx.size, n), x._ctx)


@sparse_kernel("slice", "slice_axis")
def _slice(op, inputs, attrs, out):
    """Rows ``begin:end`` (step 1, all columns) of a CSR matrix, as CSR."""
    (x,) = inputs
    if x.stype != "csr":
        return NotImplemented
    m = x.shape[0]
    if op.name == "slice_axis":
        if attrs["axis"] not in (0, -2):
            return NotImplemented
        bounds = slice(attrs["begin"], attrs["end"])
    else:
        begin, end, step = attrs["begin"], attrs["end"], attrs["step"]
        if len(begin) > 2 or len(end) != len(begin) or any(s not in (None, 1) for s in step):
            return NotImplemented
        if len(begin) == 2 and (begin[1] not in (None, 0) or end[1] not in (None, x.shape[1])):
            return NotImplemented
        bounds = slice(begin[0] if begin else None, end[0] if end else None)
    start, stop, _ = bounds.indices(m)
    return x._row_slice(start, max(start, stop))


# -- where with a CSR condition ----------------------------------------------------------------
@sparse_kernel("where")
def _where(op, inputs, attrs, out):
    cond, x, y = inputs
    if cond.stype != "csr" or x.stype != "default" or y.stype != "default":
        return NotImplemented
    if cond.shape != x.shape:
        return NotImplemented
    K = _K(x)
    coords = sp.csr_coords(K, cond._aux[0]._data, cond._aux[1]._data)
    vals = cond._values._data
    picked = K.where(K.not_equal(vals, vals.dtype.type(0)), K.gather_nd(x._data, coords),
                     K.gather_nd(y._data, coords))
    data = K.copy(y._data)
    K.setitem(data, (K.slice(coords, (0,)), K.slice(coords, (1,))), picked)
    return _wrap(data, x._ctx)


from . import sparse_updates  # noqa: E402,F401 - registers the embedding/retain/update kernels
