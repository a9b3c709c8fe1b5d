"""Sparse kernels for training: Embedding's row_sparse gradient, Embedding with a row_sparse
weight, ``_sparse_retain`` and lazy optimizer updates that touch only the rows a row_sparse
gradient holds.

A lazy update gathers the present rows of the weight and states, runs the optimizer op's own
dense kernel on those rows, and writes them back (``setitem`` with the row indices), so
every backend — and every fused update kernel a backend has — serves the sparse case too.
"""

from __future__ import annotations

from typing import Any

from ..ndarray.invoke import CAPTURE, kernel_namespace, resolve_kernel
from ..ndarray.ndarray import NDArray, _wrap
from . import sparse_primitives as sp
from .indexing import fix_indices
from .sparse_kernels import make_rsp, sparse_kernel, to_dense

__all__ = ["embedding_row_sparse_grad", "LAZY_UPDATE_OPS"]


def embedding_row_sparse_grad(out_grad: NDArray, data: NDArray, input_dim: int) -> NDArray:
    """Embedding's weight gradient as a RowSparseNDArray: one row per distinct index."""
    if CAPTURE.rec is not None:
        CAPTURE.rec.fail("row_sparse gradient")
    K = kernel_namespace(out_grad._ctx.backend)
    og = out_grad._sync() if out_grad.stype == "default" else to_dense(out_grad)._data
    dim = og.shape[-1] if og.ndim else 1
    n = data.size
    idx = K.reshape(fix_indices(K, data._sync(), input_dim, "clip"), (n,))
    uniq, inv = sp.unique_inverse(K, out_grad._ctx.backend, idx, bound=input_dim)
    values = sp.segment_rows(K, uniq.shape[0], inv, K.reshape(og, (n, dim)))
    return make_rsp(values, uniq, (input_dim, dim), out_grad._ctx)


# -- retain -------------------------------------------------------------------------------------
@sparse_kernel("_sparse_retain")
def _retain(op, inputs, attrs, out):
    x, indices = inputs
    if x.stype != "row_sparse" or indices.stype != "default":
        return NotImplemented
    K = kernel_namespace(x._ctx.backend)
    n = x.shape[0]
    want = fix_indices(K, K.reshape(indices._data, (indices.size,)), max(n, 1), "raise")
    keep, _ = sp.unique_inverse(K, x._ctx.backend, want, bound=n)
    have = x._aux[0]._data
    # position + 1 of every stored row (0: not stored), then the wanted rows' positions
    slot = K.scatter_add(K.full((n,), 0, sp.I64), 0, have,
                         K.arange(1, have.shape[0] + 1, 1, sp.I64))
    pos = K.take(slot, keep, 0)
    values = x._values._data
    padded = K.concat([K.full((1,) + tuple(values.shape[1:]), 0, values.dtype), values], 0)
    rows = K.take(padded, pos, 0)  # rows not stored pick the zero row
    return make_rsp(rows, keep, x.shape, x._ctx)


# -- Embedding with a row_sparse weight ---------------------------------------------------------
@sparse_kernel("Embedding")
def _embedding_rsp_weight(op, inputs, attrs, out):
    """Rows of a row_sparse weight (the rows a Gluon row_sparse Parameter pulled); rows it
    does not hold read as zero. Autograd records Embedding's own gradient."""
    data, weight = inputs
    if data.stype != "default" or weight.stype != "row_sparse":
        return NotImplemented
    ctx = weight._ctx
    K = kernel_namespace(ctx.backend)
    n = weight.shape[0]
    idx = K.reshape(fix_indices(K, data._sync(), n, "clip"), (data.size,))
    have = weight._aux[0]._data
    # position + 1 of every stored row (0: not stored), as in _retain
    slot = K.scatter_add(K.full((n,), 0, sp.I64), 0, have,
                         K.arange(1, have.shape[0] + 1, 1, sp.I64))
    values = weight._values._data
    padded = K.concat([K.full((1,) + tuple(values.shape[1:]), 0, values.dtype), values], 0)
    rows = K.take(padded, K.take(slot, idx, 0), 0)
    return _wrap(K.reshape(rows, tuple(data.shape) + tuple(values.shape[1:])), ctx)


# -- lazy optimizer updates ---------------------------------------------------------------------
#: update ops whose row_sparse-gradient form is lazy (FTRL and sparse AdaGrad always are)
LAZY_UPDATE_OPS = ("sgd_update", "sgd_mom_update", "adam_update", "ftrl_update",
                   "_sparse_adagrad_update")


@sparse_kernel(*LAZY_UPDATE_OPS)
def _lazy_update(op, inputs, attrs, out):
    weight, grad, *states = inputs
    if weight.stype != "default" or grad.stype != "row_sparse" or any(
            s.stype != "default" for s in states):
        return NotImplemented
    ctx = weight._ctx
    kernel = op.kernel_cache.get(ctx) or resolve_kernel(op, ctx)
    if not attrs.get("lazy_update", True):
        # the standard update: every row, with the gradient made dense on the device
        result = kernel(weight._data, to_dense(grad)._data, *[s._data for s in states],
                        **attrs)
        return _write_back(op, inputs, result, None, out)
    K = kernel_namespace(ctx.backend)
    idx = grad._aux[0]._data
    if idx.shape[0] == 0:
        return out if out is weight else _wrap(K.copy(weight._data), ctx)
    rows = [K.take(a._data, idx, 0) for a in [weight] + states]
    result = kernel(rows[0], grad._values._data, *rows[1:], **attrs)
    return _write_back(op, inputs, result, idx, out)


def _write_back(op: Any, inputs: Any, result: Any, idx: Any, out: Any) -> NDArray:
    """Write the updated weight (into ``out`` when it is the weight) and mutated states."""
    weight = inputs[0]
    ctx = weight._ctx
    K = kernel_namespace(ctx.backend)
    new_w, mutated = (result[0], result[1:]) if op.mutates else (result, ())
    key = (slice(None),) if idx is None else (idx,)
    for i, value in zip(op.mutates, mutated):
        K.setitem(inputs[i]._data, key, value)
    if out is weight:
        K.setitem(weight._data, key, new_w)
        return weight
    if idx is None:
        return _wrap(new_w, ctx)
    data = K.copy(weight._data)
    K.setitem(data, key, new_w)
    return _wrap(data, ctx)
