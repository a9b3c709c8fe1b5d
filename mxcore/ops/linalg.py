"""Matrix products: dot, batch_dot, linalg_gemm2 and FullyConnected.

``dot`` follows MXNet 1.x: 1-D · 1-D is the inner product with shape ``(1,)``; otherwise the
last axis of ``lhs`` is contracted with the first axis of ``rhs`` (result shape
``lhs.shape[:-1] + rhs.shape[1:]``). ``transpose_a`` views ``lhs`` as the matrix
``(lhs.shape[0], rest)`` transposed, so it contracts ``lhs``'s first axis and the result keeps
``lhs.shape[1:]``; ``transpose_b`` likewise contracts ``rhs``'s last axis (this is what MXNet
1.x computes for N-D inputs). Every product runs as one 2-D or batched ``matmul``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, Tuple

from ._helpers import prod as _prod
from .registry import OpDef, Param, register_op, to_any, to_bool, to_float, to_int

AREA = "linalg"

_TA = Param("transpose_a", to_bool, False, "transpose the first input before the product")
_TB = Param("transpose_b", to_bool, False, "transpose the second input before the product")
_STYPES = (None, "default", "csr", "row_sparse")


def _to_stype(value: Any) -> Any:
    value = to_any(value)  # MXNet's string form "None" means None
    if value not in _STYPES:
        raise ValueError(f"expected one of {list(_STYPES)}, got {value!r}")
    return value


_STYPE = Param("forward_stype", _to_stype, None,
               "storage type hint for the result (results are dense here)")


def _fmt(shape: Sequence[int]) -> str:
    return "(" + ",".join(str(d) for d in shape) + ")"


def _same_dtype(dtypes: Sequence[Any], names: Sequence[str]) -> None:
    for name, dt in zip(names[1:], dtypes[1:]):
        if dt != dtypes[0]:
            raise TypeError(f"{names[0]} and {name} must have the same dtype")


def _matrix_grads(mm: Callable, a: Any, b: Any, g: Any, ta: bool, tb: bool) -> Tuple[Any, Any]:
    """Gradients of ``g``-weighted ``op(a) @ op(b)``; ``mm(x, y, ta, tb)`` is the product."""
    if ta:
        da = mm(b, g, tb, True)
    else:
        da = mm(g, b, False, not tb)
    if tb:
        db = mm(g, a, True, ta)
    else:
        db = mm(a, g, not ta, False)
    return da, db


def _transposed(K: Any, x: Any) -> Any:
    """Swap the last two axes."""
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return K.transpose(x, axes)


# -- dot ----------------------------------------------------------------------------------------
def _dot_layout(lshape: Tuple[int, ...], rshape: Tuple[int, ...], ta: bool, tb: bool
                ) -> Tuple[Tuple[int, int], Tuple[int, int], Tuple[int, ...]]:
    """The 2-D views of lhs and rhs (before transposing) and the result shape."""
    if ta:
        lhs2 = (lshape[0], _prod(lshape[1:]))
        lout = lshape[1:]
    else:
        lhs2 = (_prod(lshape[:-1]), lshape[-1])
        lout = lshape[:-1]
    if tb:
        rhs2 = (_prod(rshape[:-1]), rshape[-1])
        rout = rshape[:-1]
    else:
        rhs2 = (rshape[0], _prod(rshape[1:]))
        rout = rshape[1:]
    return lhs2, rhs2, tuple(lout) + tuple(rout)


def _dot_check(shapes, dtypes, transpose_a, transpose_b, forward_stype):
    lshape, rshape = shapes
    if not lshape or not rshape:
        raise ValueError("inputs must have at least one axis")
    _same_dtype(dtypes, ("lhs", "rhs"))
    if len(lshape) == 1 and len(rshape) == 1 and (transpose_a or transpose_b):
        raise ValueError("cannot transpose vectors (1-D · 1-D is the inner product)")
    lax = 0 if transpose_a else len(lshape) - 1
    rax = len(rshape) - 1 if transpose_b else 0
    if lshape[lax] != rshape[rax]:
        raise ValueError(f"shapes {_fmt(lshape)} and {_fmt(rshape)} do not align on axis "
                         f"{lax} vs {rax}")


def _dot(K, lhs, rhs, transpose_a, transpose_b, forward_stype):
    if lhs.ndim == 1 and rhs.ndim == 1:
        row = K.reshape(lhs, (1, lhs.shape[0]))
        col = K.reshape(rhs, (rhs.shape[0], 1))
        return K.reshape(K.matmul(row, col), (1,))
    lhs2, rhs2, out_shape = _dot_layout(lhs.shape, rhs.shape, transpose_a, transpose_b)
    a = K.reshape(lhs, lhs2)
    b = K.reshape(rhs, rhs2)
    if transpose_a:
        a = K.transpose(a, (1, 0))
    if transpose_b:
        b = K.transpose(b, (1, 0))
    return K.reshape(K.matmul(a, b), out_shape)


def _reshaped(F: Any, x: Any, shape: Tuple[int, ...]) -> Any:
    return x if x.shape == tuple(shape) else F.reshape(x, shape=shape)


def _dot_grad(F, inputs, outputs, out_grads, transpose_a, transpose_b, forward_stype):
    a, b = inputs
    g = out_grads[0]
    if a.ndim == 1 and b.ndim == 1:
        return [g * b, g * a]
    if a.size == 0 or b.size == 0:
        return [F.zeros_like(a), F.zeros_like(b)]
    lhs2, rhs2, _ = _dot_layout(a.shape, b.shape, transpose_a, transpose_b)
    rows = lhs2[1] if transpose_a else lhs2[0]
    cols = rhs2[0] if transpose_b else rhs2[1]
    a2, b2 = _reshaped(F, a, lhs2), _reshaped(F, b, rhs2)
    g2 = _reshaped(F, g, (rows, cols))

    def mm(x, y, ta, tb):
        return F.dot(x, y, transpose_a=ta, transpose_b=tb)

    da, db = _matrix_grads(mm, a2, b2, g2, transpose_a, transpose_b)
    return [_reshaped(F, da, a.shape), _reshaped(F, db, b.shape)]


register_op(OpDef(
    "dot", ("lhs", "rhs"), (_TA, _TB, _STYPE), compute=_dot, check=_dot_check,
    gradient=_dot_grad, area=AREA,
    doc="Dot product: 1-D · 1-D is the inner product (shape (1,)); otherwise the last axis "
        "of lhs (first with transpose_a) is contracted with the first axis of rhs (last "
        "with transpose_b)."))


# -- batch_dot ----------------------------------------------------------------------------------
def _batch_check(shapes, dtypes, transpose_a, transpose_b, min_ndim=3):
    lshape, rshape = shapes
    if len(lshape) < min_ndim or len(lshape) != len(rshape):
        raise ValueError(f"inputs must have the same number of axes, at least {min_ndim}; "
                         f"got {_fmt(lshape)} and {_fmt(rshape)}")
    _same_dtype(dtypes, ("lhs", "rhs"))
    if lshape[:-2] != rshape[:-2]:
        raise ValueError(f"batch dimensions of {_fmt(lshape)} and {_fmt(rshape)} differ")
    n = len(lshape)
    lax = n - 2 if transpose_a else n - 1
    rax = n - 1 if transpose_b else n - 2
    if lshape[lax] != rshape[rax]:
        raise ValueError(f"shapes {_fmt(lshape)} and {_fmt(rshape)} do not align on axis "
                         f"{lax} vs {rax}")


def _batch_dot_check(shapes, dtypes, transpose_a, transpose_b, forward_stype):
    _batch_check(shapes, dtypes, transpose_a, transpose_b)


def _batch_dot(K, lhs, rhs, transpose_a, transpose_b, forward_stype):
    a = _transposed(K, lhs) if transpose_a else lhs
    b = _transposed(K, rhs) if transpose_b else rhs
    return K.matmul(a, b)


def _batch_dot_grad(F, inputs, outputs, out_grads, transpose_a, transpose_b, forward_stype):
    def mm(x, y, ta, tb):
        return F.batch_dot(x, y, transpose_a=ta, transpose_b=tb)

    return list(_matrix_grads(mm, inputs[0], inputs[1], out_grads[0], transpose_a,
                              transpose_b))


register_op(OpDef(
    "batch_dot", ("lhs", "rhs"), (_TA, _TB, _STYPE), compute=_batch_dot,
    check=_batch_dot_check,
    gradient=_batch_dot_grad, area=AREA,
    doc="Batched matrix product of (B..., M, K) and (B..., K, N) arrays."))


# -- linalg_gemm2 -------------------------------------------------------------------------------
def _row_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim - 1 or axis % ndim == ndim - 1:
        raise ValueError(f"axis {axis} must name a row axis before the last axis of the "
                         f"{ndim}-d inputs")
    return axis % ndim


def _gemm2_check(shapes, dtypes, transpose_a, transpose_b, alpha, axis):
    lshape, rshape = shapes
    if len(lshape) < 2 or len(lshape) != len(rshape):
        raise ValueError(f"inputs must have the same number of axes, at least 2; got "
                         f"{_fmt(lshape)} and {_fmt(rshape)}")
    row = _row_axis(axis, len(lshape))
    _batch_check([_swap_shape(lshape, row), _swap_shape(rshape, row)], dtypes, transpose_a,
                 transpose_b, min_ndim=2)


def _swap_shape(shape: Sequence[int], row: int) -> Tuple[int, ...]:
    out = list(shape)
    out[row], out[-2] = out[-2], out[row]
    return tuple(out)


def _swap(K: Any, x: Any, row: int) -> Any:
    if row == x.ndim - 2:
        return x
    axes = list(range(x.ndim))
    axes[row], axes[-2] = axes[-2], axes[row]
    return K.transpose(x, tuple(axes))


def _gemm2(K, A, B, transpose_a, transpose_b, alpha, axis):
    row = _row_axis(axis, A.ndim)
    out = _batch_dot(K, _swap(K, A, row), _swap(K, B, row), transpose_a, transpose_b, None)
    if alpha != 1.0:
        out = K.multiply(out, out.dtype.type(alpha))
    return _swap(K, out, row)


def _gemm2_grad(F, inputs, outputs, out_grads, transpose_a, transpose_b, alpha, axis):
    def mm(x, y, ta, tb):
        return F.linalg_gemm2(x, y, transpose_a=ta, transpose_b=tb, alpha=alpha, axis=axis)

    return list(_matrix_grads(mm, inputs[0], inputs[1], out_grads[0], transpose_a,
                              transpose_b))


register_op(OpDef(
    "linalg_gemm2", ("A", "B"),
    (_TA, _TB, Param("alpha", to_float, 1.0, "scalar factor of the product"),
     Param("axis", to_int, -2, "axis of the matrix rows (columns are the last axis)")),
    compute=_gemm2, check=_gemm2_check, gradient=_gemm2_grad, area=AREA,
    aliases=("_linalg_gemm2",),
    doc="alpha * op(A) @ op(B) for every matrix of a batch with equal leading axes."))


# -- FullyConnected -------------------------------------------------------------------------------
def _fc_rows(shape: Tuple[int, ...], flatten: bool) -> Tuple[int, int]:
    """The (rows, in_units) 2-D view of the data."""
    if flatten:
        return shape[0], _prod(shape[1:])
    return _prod(shape[:-1]), shape[-1]


def _fc_out_shape(shape: Tuple[int, ...], num_hidden: int, flatten: bool) -> Tuple[int, ...]:
    return (shape[0], num_hidden) if flatten else tuple(shape[:-1]) + (num_hidden,)


def _fc_check(shapes, dtypes, num_hidden, no_bias, flatten):
    dshape, wshape = shapes[0], shapes[1]
    if not dshape:
        raise ValueError("data must have at least one axis")
    _same_dtype(dtypes, ("data", "weight", "bias")[:len(dtypes)])
    in_units = _fc_rows(dshape, flatten)[1]
    if wshape != (num_hidden, in_units):
        raise ValueError(f"weight must have shape {_fmt((num_hidden, in_units))} for data "
                         f"{_fmt(dshape)} (num_hidden={num_hidden}, flatten={flatten}); got "
                         f"{_fmt(wshape)}")
    if not no_bias and shapes[2] != (num_hidden,):
        raise ValueError(f"bias must have shape ({num_hidden},); got {_fmt(shapes[2])}")


def _fully_connected(K, data, weight, *bias, num_hidden, no_bias, flatten):
    x = K.reshape(data, _fc_rows(data.shape, flatten))
    out = K.matmul(x, K.transpose(weight, (1, 0)))
    if bias:
        out = K.add(out, bias[0])
    return K.reshape(out, _fc_out_shape(data.shape, num_hidden, flatten))


def _fc_grad(F, inputs, outputs, out_grads, num_hidden, no_bias, flatten,
             needed=(True, True, True)):
    data, weight = inputs[0], inputs[1]
    g = out_grads[0]
    grads = []
    if data.size == 0:
        grads += [F.zeros_like(data), F.zeros_like(weight)]
    else:
        rows = _fc_rows(data.shape, flatten)
        g2 = _reshaped(F, g, (rows[0], num_hidden))
        grads.append(_reshaped(F, F.dot(g2, weight), data.shape) if needed[0] else None)
        grads.append(F.dot(g2, _reshaped(F, data, rows), transpose_a=True)
                     if needed[1] else None)
    if not no_bias:
        grads.append((F.sum(g, axis=tuple(range(g.ndim - 1))) if g.ndim > 1 else g)
                     if needed[2] else None)
    return grads


def _to_positive(value: Any) -> int:
    n = to_int(value)
    if n < 1:
        raise ValueError(f"must be at least 1, got {n}")
    return n


register_op(OpDef(
    "FullyConnected", ("data", "weight", "bias"),
    (Param("num_hidden", _to_positive, doc="number of output units"),
     Param("no_bias", to_bool, False, "leave out the bias"),
     Param("flatten", to_bool, True, "collapse all axes but the first (else apply to the "
                                      "last axis)")),
    compute=_fully_connected, check=_fc_check, gradient=_fc_grad, area=AREA,
    partial_gradient=True,
    optional_inputs=lambda attrs: ("data", "weight") if attrs["no_bias"]
    else ("data", "weight", "bias"),
    doc="data · weightᵀ + bias (weight has shape (num_hidden, in_units))."))
