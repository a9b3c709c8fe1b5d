"""Conformance cases for sparse storage: the sparse kernels dispatch picks for row_sparse and
csr inputs (``mxcore/ops/sparse_kernels.py``, ``sparse_updates.py``) and the operators of
``mxcore/ops/sparse_ops.py``.

Inputs marked ``stype=`` reach the op as sparse arrays (about half their rows or entries
zero); references are float64 NumPy on the dense values. ``out_stype`` checks that the kernel
kept the result sparse (no dense fallback). Lazy optimizer updates change only the rows a
row_sparse gradient holds.
"""

from __future__ import annotations

import numpy as np

from ..base import MXNetIndexError, MXNetValueError
from .case import Case, ErrorCase, Input

_F = ("float32", "float64")
_I64 = "int64"


# -- CSR parts ----------------------------------------------------------------------------------
def _csr_dense(data, indptr, indices, shape):
    out = np.zeros(shape)
    for r in range(shape[0]):
        lo, hi = int(indptr[r]), int(indptr[r + 1])
        np.add.at(out[r], indices[lo:hi].astype(np.int64), data[lo:hi])
    return out


def _csr_dot_ref(data, indptr, indices, rhs, num_rows):
    return _csr_dense(data, indptr, indices, (num_rows, rhs.shape[0])) @ rhs


def _csr_t_dot_ref(data, indptr, indices, rhs):
    a = _csr_dense(data, indptr, indices, (rhs.shape[0], int(indices.max()) + 1
                                           if indices.size else 0))
    rows = np.unique(indices.astype(np.int64))
    return rows, (a.T @ rhs)[rows]


def _dense_dot_csr_ref(lhs, data, indptr, indices, num_cols):
    return lhs @ _csr_dense(data, indptr, indices, (lhs.shape[1], num_cols))


_PTR = Input((4,), values=[0, 2, 2, 5], dtype=_I64)
_IDX = Input((5,), values=[0, 3, 1, 2, 3], dtype=_I64)
_EMPTY_PTR = Input((3,), values=[0, 0, 0], dtype=_I64)
_NO_IDX = Input((0,), values=np.zeros(0, np.int64), dtype=_I64)


# -- references on dense values -----------------------------------------------------------------
def _dot_ref(a, b, transpose_a=False, transpose_b=False, forward_stype=None):
    return (a.T if transpose_a else a) @ (b.T if transpose_b else b)


def _rows_of(g):
    """Rows a row_sparse gradient stores: those with a non-zero entry."""
    return np.any(g.reshape(g.shape[0], -1) != 0, axis=1)


def _lazy(step):
    """Reference of a lazy update: ``step`` on the stored rows, other rows unchanged."""

    def ref(w, g, *states, **attrs):
        new = np.array(w, copy=True)
        rows = _rows_of(g)
        new[rows] = step(w[rows], g[rows], *[s[rows] for s in states], **attrs)
        return new

    return ref


def _sgd_step(w, g, lr, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, **_):
    return w - lr * (g * rescale_grad + wd * w)


def _sgd_mom_step(w, g, mom, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, **_):
    return w + momentum * mom - lr * wd * w - lr * g * rescale_grad


def _adam_step(w, g, mean, var, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0,
               rescale_grad=1.0, **_):
    g = g * rescale_grad + wd * w
    m = beta1 * mean + (1 - beta1) * g
    v = beta2 * var + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + epsilon)


def _adagrad_step(w, g, history, lr, epsilon=1e-7, wd=0.0, rescale_grad=1.0, **_):
    g = g * rescale_grad
    h = history + g * g
    return w - lr * (g / np.sqrt(h + epsilon) + wd * w)


def _ftrl_step(w, g, z, n, lr, lamda1=0.01, beta=1.0, wd=0.0, rescale_grad=1.0, **_):
    g = g * rescale_grad
    new_n = n + g * g
    new_z = z + g - (np.sqrt(new_n) - np.sqrt(n)) / lr * w
    out = (np.sign(new_z) * lamda1 - new_z) / ((beta + np.sqrt(new_n)) / lr + wd)
    return np.where(np.abs(new_z) > lamda1, out, 0.0)


def _retain_ref(data, indices):
    out = np.zeros_like(data)
    rows = indices.astype(np.int64)
    out[rows] = data[rows]
    return out


def _csr_reduce(fn):
    def ref(x, axis=None, keepdims=False):
        out = fn(x, axis=axis, keepdims=keepdims)
        return np.reshape(out, (1,)) if np.ndim(out) == 0 else out

    return ref


def _where_ref(cond, x, y):
    return np.where(cond != 0, x, y)


_RSP = dict(stype="row_sparse", grad=False)
_CSR = dict(stype="csr", grad=False)

CASES = [
    # -- the CSR products on components ----------------------------------------------------
    Case("_sparse_csr_dot_dense", [Input((5,)), _PTR, _IDX, Input((4, 2))], _csr_dot_ref,
         {"num_rows": 3}, dtypes=_F, grad=False, name="rows_with_gaps"),
    Case("_sparse_csr_dot_dense", [Input((0,)), _EMPTY_PTR, _NO_IDX, Input((3, 2))],
         _csr_dot_ref, {"num_rows": 2}, dtypes=_F, grad=False, name="no_entries"),
    Case("_sparse_csr_t_dot_dense", [Input((5,)), _PTR, _IDX, Input((3, 2))], _csr_t_dot_ref,
         dtypes=_F, grad=False),
    Case("_sparse_dense_dot_csr", [Input((2, 3)), Input((5,)), _PTR, _IDX], _dense_dot_csr_ref,
         {"num_cols": 4}, dtypes=_F, grad=False),
    Case("_sparse_dense_dot_csr", [Input((2, 3), noncontiguous=True), Input((5,)), _PTR,
                                   _IDX], _dense_dot_csr_ref, {"num_cols": 4}, dtypes=_F,
         grad=False, name="noncontiguous"),
    # -- dot with a sparse operand -----------------------------------------------------------
    Case("dot", [Input((4, 5), **_CSR), Input((5, 3))], _dot_ref, dtypes=_F,
         out_stype="default", name="csr_dense"),
    Case("dot", [Input((4, 5), **_CSR), Input((4, 3))], _dot_ref, {"transpose_a": True},
         dtypes=_F, out_stype="row_sparse", name="csrT_dense_row_sparse"),
    Case("dot", [Input((4, 5), **_CSR), Input((4, 3))], _dot_ref,
         {"transpose_a": True, "forward_stype": "default"}, dtypes=_F, out_stype="default",
         name="csrT_dense_forward_stype"),
    Case("dot", [Input((3, 4)), Input((4, 5), **_CSR)], _dot_ref, dtypes=_F,
         out_stype="csr", name="dense_csr"),
    Case("dot", [Input((3, 4)), Input((4, 5), **_CSR)], _dot_ref, {"forward_stype": "default"},
         dtypes=_F, out_stype="default", name="dense_csr_forward_stype"),
    Case("dot", [Input((3, 5)), Input((4, 5), **_CSR)], _dot_ref, {"transpose_b": True},
         dtypes=_F, out_stype="default", name="dense_csrT"),
    Case("dot", [Input((4, 5), **_CSR), Input((5,))], _dot_ref, dtypes=_F,
         out_stype="default", name="csr_vector"),
    Case("dot", [Input((0, 5), **_CSR), Input((5, 2))], _dot_ref, dtypes=_F, grad=False,
         out_stype="default", name="csr_zero_rows"),
    # -- element-wise between storage types ------------------------------------------------
    Case("elemwise_add", [Input((5, 3), **_RSP), Input((5, 3), **_RSP)], np.add, dtypes=_F,
         out_stype="row_sparse", name="rsp_rsp", grad=False),
    Case("elemwise_sub", [Input((5, 3), **_RSP), Input((5, 3), **_RSP)], np.subtract,
         dtypes=_F, out_stype="row_sparse", name="rsp_rsp", grad=False),
    Case("elemwise_mul", [Input((5, 3), **_RSP), Input((5, 3), **_RSP)], np.multiply,
         dtypes=_F, out_stype="row_sparse", name="rsp_rsp", grad=False),
    Case("elemwise_add", [Input((4, 5), **_CSR), Input((4, 5), **_CSR)], np.add, dtypes=_F,
         out_stype="csr", name="csr_csr", grad=False),
    Case("elemwise_mul", [Input((4, 5), **_CSR), Input((4, 5), **_CSR)], np.multiply,
         dtypes=_F, out_stype="csr", name="csr_csr", grad=False),
    Case("elemwise_add", [Input((5, 3), **_RSP), Input((5, 3))], np.add, dtypes=_F,
         out_stype="default", name="rsp_dense"),
    Case("elemwise_sub", [Input((4, 5)), Input((4, 5), **_CSR)], np.subtract, dtypes=_F,
         out_stype="default", name="dense_csr"),
    Case("elemwise_mul", [Input((5, 3), **_RSP), Input((5, 3))], np.multiply, dtypes=_F,
         out_stype="row_sparse", name="rsp_dense"),
    Case("elemwise_mul", [Input((4, 5)), Input((4, 5), **_CSR)], np.multiply, dtypes=_F,
         out_stype="csr", name="dense_csr"),
    Case("broadcast_mul", [Input((4, 5), **_CSR), Input((1, 5))], np.multiply, dtypes=_F,
         out_stype="csr", name="csr_row_vector", grad=False),
    Case("broadcast_mul", [Input((4, 5), **_CSR), Input((4, 1))], np.multiply, dtypes=_F,
         out_stype="csr", name="csr_column_vector", grad=False),
    Case("broadcast_div", [Input((4, 5), **_CSR), Input((1, 5), low=0.5, high=2.0)],
         np.divide, dtypes=_F, out_stype="csr", name="csr_row_vector", grad=False),
    Case("_mul_scalar", [Input((5, 3), **_RSP)], lambda x, scalar: x * scalar,
         {"scalar": -1.5}, dtypes=_F, out_stype="row_sparse", name="rsp", grad=False),
    Case("_div_scalar", [Input((4, 5), **_CSR)], lambda x, scalar: x / scalar,
         {"scalar": 4.0}, dtypes=_F, out_stype="csr", name="csr", grad=False),
    # -- zero-preserving unary ops keep the storage type -----------------------------------
    *[Case(name, [Input((5, 3), low=0.1 if name == "sqrt" else -2.0, **_RSP)], fn,
           dtypes=_F, out_stype="row_sparse", name="rsp", grad=False)
      for name, fn in (("square", np.square), ("sqrt", np.sqrt), ("abs", np.abs),
                       ("sign", np.sign), ("negative", np.negative), ("tanh", np.tanh))],
    *[Case(name, [Input((4, 5), low=0.1 if name == "sqrt" else -2.0, **_CSR)], fn,
           dtypes=_F, out_stype="csr", name="csr", grad=False)
      for name, fn in (("square", np.square), ("sqrt", np.sqrt), ("abs", np.abs),
                       ("sign", np.sign), ("relu", lambda x: np.maximum(x, 0)))],
    Case("clip", [Input((4, 5), **_CSR)], lambda x, a_min, a_max: np.clip(x, a_min, a_max),
         {"a_min": -1.0, "a_max": 1.0}, dtypes=_F, out_stype="csr", name="csr", grad=False),
    # -- reductions ----------------------------------------------------------------
    *[Case(op, [Input((4, 5), **_CSR)], _csr_reduce(fn), attrs, dtypes=_F, grad=False,
           name=f"csr_{label}")
      for op, fn in (("sum", np.sum), ("mean", np.mean))
      for label, attrs in (("axis0", {"axis": 0}), ("axis1", {"axis": 1}),
                           ("all", {}), ("axis1_keepdims", {"axis": 1, "keepdims": True}))],
    *[Case("sum" if op == "sum" else "mean", [Input((5, 3), **_RSP)], _csr_reduce(fn), attrs,
           dtypes=_F, grad=False, name=f"rsp_{label}")
      for op, fn in (("sum", np.sum), ("mean", np.mean))
      for label, attrs in (("axis0", {"axis": 0}), ("axis1", {"axis": 1}), ("all", {}))],
    *[Case("norm", [Input(shape, **kind)], lambda x, ord=2, **_: np.reshape(
        np.sum(np.abs(x)) if ord == 1 else np.sqrt(np.sum(x * x)), (1,)), attrs, dtypes=_F,
        grad=False, name=f"{kind['stype']}_ord{attrs.get('ord', 2)}")
      for shape, kind in (((5, 3), _RSP), ((4, 5), _CSR)) for attrs in ({}, {"ord": 1})],
    Case("Cast", [Input((4, 5), **_CSR)], lambda x, dtype: x, {"dtype": "float64"},
         dtypes=("float32",), out_stype="csr", grad=False, name="csr"),
    Case("dot", [Input((4, 5), **_CSR), Input((5, 3), **_RSP)], _dot_ref, dtypes=_F,
         out_stype="default", grad=False, name="csr_rsp"),
    Case("take", [Input((5, 4), **_CSR), Input((4,), values=[4, 0, 4, 2], dtype=_I64)],
         lambda x, i, axis=0, mode="clip": x[i.astype(np.int64)], dtypes=_F,
         out_stype="csr", grad=False, name="csr_rows"),
    Case("take", [Input((5, 4), **_CSR), Input((3,), values=[-1, 7, 2], dtype=_I64)],
         lambda x, i, axis=0, mode="clip": x[np.clip(i.astype(np.int64), 0, 4)], dtypes=_F,
         out_stype="csr", grad=False, name="csr_rows_clipped"),
    Case("slice", [Input((5, 4), **_CSR)], lambda x, begin, end: x[begin[0]:end[0]],
         {"begin": (1,), "end": (4,)}, dtypes=_F, out_stype="csr", grad=False,
         name="csr_rows"),
    Case("slice_axis", [Input((5, 4), **_CSR)], lambda x, axis, begin, end: x[begin:end],
         {"axis": 0, "begin": 2, "end": None}, dtypes=_F, out_stype="csr", grad=False,
         name="csr_rows"),
    Case("where", [Input((4, 5), **_CSR), Input((4, 5)), Input((4, 5))], _where_ref,
         dtypes=_F, out_stype="default", name="csr_condition"),
    # -- Embedding reading a row_sparse weight (Gluon's row_sparse Parameters) ----------------
    Case("Embedding", [Input((2, 3), values=[[4, 0, 1], [1, 1, 3]], dtype=_I64, grad=False),
                       Input((5, 4), **_RSP)],
         lambda idx, w, **a: w[idx.astype(int)], {"input_dim": 5, "output_dim": 4},
         dtypes=_F, grad=False, name="row_sparse_weight"),
    # -- retain -----------------------------------------------------------------------------
    Case("_sparse_retain", [Input((5, 3)), Input((2,), values=[3, 0], dtype=_I64)],
         _retain_ref, dtypes=_F, grad=False, name="dense"),
    Case("_sparse_retain", [Input((5, 3), **_RSP), Input((3,), values=[4, 1, 3], dtype=_I64)],
         _retain_ref, dtypes=_F, out_stype="row_sparse", grad=False, name="row_sparse"),
    # -- optimizer updates: lazy with a row_sparse gradient ---------------------------------
    Case("sgd_update", [Input((5, 3)), Input((5, 3), **_RSP)], _lazy(_sgd_step),
         {"lr": 0.1, "wd": 0.1}, dtypes=_F, grad=False, name="row_sparse_lazy"),
    Case("sgd_update", [Input((5, 3)), Input((5, 3), **_RSP)],
         lambda w, g, **a: _sgd_step(w, g, **a), {"lr": 0.1, "wd": 0.1, "lazy_update": False},
         dtypes=_F, grad=False, name="row_sparse_standard"),
    Case("sgd_mom_update", [Input((5, 3)), Input((5, 3), **_RSP), Input((5, 3))],
         _lazy(_sgd_mom_step), {"lr": 0.1, "momentum": 0.9, "wd": 0.05}, dtypes=_F,
         grad=False, name="row_sparse_lazy"),
    Case("adam_update", [Input((5, 3)), Input((5, 3), **_RSP), Input((5, 3)),
                         Input((5, 3), low=0.0, high=1.0)], _lazy(_adam_step),
         {"lr": 0.01, "wd": 0.01}, dtypes=_F, grad=False, name="row_sparse_lazy"),
    Case("ftrl_update", [Input((5, 3)), Input((5, 3), **_RSP), Input((5, 3)),
                         Input((5, 3), low=0.0, high=1.0)], _lazy(_ftrl_step),
         {"lr": 0.1, "lamda1": 0.01, "wd": 0.01}, dtypes=_F, grad=False,
         name="row_sparse_lazy"),
    Case("_sparse_adagrad_update", [Input((5, 3)), Input((5, 3)),
                                    Input((5, 3), low=0.0, high=1.0)],
         lambda w, g, h, **a: _adagrad_step(w, g, h, **a), {"lr": 0.1, "wd": 0.01},
         dtypes=_F, grad=False, name="dense"),
    Case("_sparse_adagrad_update", [Input((5, 3)), Input((5, 3), **_RSP),
                                    Input((5, 3), low=0.0, high=1.0)], _lazy(_adagrad_step),
         {"lr": 0.1, "wd": 0.01}, dtypes=_F, grad=False, name="row_sparse_lazy"),
    # -- cast_storage (mx.nd.cast_storage; the op itself serves Symbols) -----------------------
    Case("cast_storage", [Input((4, 3), **_CSR)], lambda x, stype: x, {"stype": "default"},
         dtypes=_F, out_stype="default", name="csr_to_default"),
    Case("cast_storage", [Input((4, 3), **_RSP)], lambda x, stype: x, {"stype": "default"},
         dtypes=_F, out_stype="default", name="rsp_to_default"),
    Case("cast_storage", [Input((4, 3), **_CSR)], lambda x, stype: x, {"stype": "csr"},
         dtypes=_F, out_stype="csr", name="csr_to_csr"),
    Case("cast_storage", [Input((4, 3), **_RSP)], lambda x, stype: x, {"stype": "row_sparse"},
         dtypes=_F, out_stype="row_sparse", name="rsp_to_rsp"),
    Case("cast_storage", [Input((2, 3))], lambda x, stype: x, {"stype": "default"},
         out_stype="default", name="dense_copy"),
    Case("cast_storage", [Input((4, 3))], lambda x, stype: x, {"stype": "csr"}, dtypes=_F,
         grad=False, out_stype="csr", name="dense_to_csr"),
    Case("cast_storage", [Input((4, 3))], lambda x, stype: x, {"stype": "row_sparse"},
         dtypes=_F, grad=False, out_stype="row_sparse", name="dense_to_rsp"),
]

ERROR_CASES = [
    ErrorCase("cast_storage", [Input((2, 3))], {"stype": "coo"}, error=MXNetValueError,
              name="unknown_stype"),
    ErrorCase("dot", [Input((4, 5), stype="csr"), Input((4, 3))], error=MXNetValueError,
              name="csr_misaligned"),
    ErrorCase("elemwise_add", [Input((5, 3), stype="row_sparse"),
                               Input((4, 3), stype="row_sparse")], name="rsp_shapes"),
    ErrorCase("_sparse_retain", [Input((5, 3), stype="row_sparse"),
                                 Input((1,), values=[7], dtype=_I64)], error=MXNetIndexError,
              name="index_out_of_range"),
    ErrorCase("_sparse_csr_dot_dense", [Input((5,)), Input((3,), values=[0, 2, 5], dtype=_I64),
                                        _IDX, Input((4, 2))], {"num_rows": 3},
              error=MXNetValueError, name="indptr_length"),
    ErrorCase("_sparse_csr_t_dot_dense", [Input((5,)), _PTR, Input((4,), values=[0, 1, 2, 3],
                                                                 dtype=_I64), Input((3, 2))],
              error=MXNetValueError, name="indices_length"),
    ErrorCase("_sparse_dense_dot_csr", [Input((2, 3)), Input((5,)), _PTR, _IDX],
              {"num_cols": 4, "bogus": 1}, error=MXNetValueError, name="unknown_param"),
    ErrorCase("_sparse_adagrad_update", [Input((5, 3)), Input((5, 2)), Input((5, 3))],
              {"lr": 0.1}, error=MXNetValueError, name="grad_shape"),
]
