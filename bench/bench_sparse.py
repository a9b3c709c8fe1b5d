"""Sparse storage against dense storage and SciPy (CPU), measured in one run on one thread.

    python bench/bench_sparse.py [--quick] [--json OUT.json]

(a) ``dot(csr, dense)``: a (1024, 10000) CSR matrix at 1% density times a (10000, 64)
    dense matrix — mxcore's CSR kernel, the same product on dense storage (``mx.nd.dot``
    on the densified matrix), SciPy's ``csr_matrix @ ndarray``, and mxcore's generic
    decomposition into primitives (what a backend without a fused kernel runs);
(b) ``dot(csr.T, dense)`` (the weight gradient of a linear model on sparse features, a
    row_sparse result) for the same shapes against dense storage and SciPy;
(c) a sparse-embedding training step: Embedding(100000, 64) on a batch of 512 indices,
    ``sum(y*y)``, backward and a lazy SGD update, with ``sparse_grad=True`` against the dense
    gradient (the whole table updated) and against the same step written in NumPy (gather,
    ``np.unique`` + ``np.add.at``, update of the touched rows).

Targets (DESIGN/issue 8): faster than dense at <= 1% density, within 1.5x of SciPy's CSR
product. ``bench/run.py``'s helpers time every column (median of repeats).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import sys  # noqa: E402
from typing import Callable, List, Optional, Tuple  # noqa: E402

import numpy as np  # noqa: E402
import run  # noqa: E402  (bench/ is on sys.path when this file is run as a script)

import mxcore as mx  # noqa: E402
from mxcore import autograd  # noqa: E402
from mxcore.ndarray.invoke import kernel_namespace  # noqa: E402
from mxcore.ops.registry import OPS  # noqa: E402

try:
    import scipy.sparse as sps
except ImportError:  # pragma: no cover - optional
    sps = None

COLUMNS = ("sparse", "dense", "scipy", "generic")


def _csr(rows: int, cols: int, density: float, seed: int = 0) -> Tuple[np.ndarray, ...]:
    """Host CSR parts (values, indices, indptr) with ``density`` of the entries stored."""
    rng = np.random.default_rng(seed)
    per_row = max(1, int(round(cols * density)))
    indices = np.sort(np.stack([rng.choice(cols, per_row, replace=False)
                                for _ in range(rows)]), axis=1).reshape(-1)
    indptr = np.arange(0, rows * per_row + 1, per_row, dtype=np.int64)
    values = rng.standard_normal(indices.shape[0]).astype(np.float32)
    return values, indices.astype(np.int64), indptr


def bench_dot(repeat: int, budget: float, shape: Tuple[int, int, int] = (1024, 10000, 64),
              density: float = 0.01) -> List[run.Row]:
    """Rows (a) and (b): the CSR products against dense storage, SciPy and the generic."""
    m, k, n = shape
    values, indices, indptr = _csr(m, k, density)
    rng = np.random.default_rng(1)
    rhs = rng.standard_normal((k, n)).astype(np.float32)
    rhs_t = rng.standard_normal((m, n)).astype(np.float32)
    a = mx.nd.sparse.csr_matrix((values, indices, indptr), shape=(m, k))
    a_dense = a.tostype("default")
    b, b_t = mx.nd.array(rhs), mx.nd.array(rhs_t)
    K = kernel_namespace(a.context.backend)
    label = f"({m}, {k}) at {density:.0%}"
    rows = []

    row = run.Row(f"dot(csr, dense) {label} x {n}", unit="ms")
    row.times["sparse"] = run.measure(lambda: mx.nd.dot(a, b), mx.nd.waitall, repeat, budget)
    row.times["dense"] = run.measure(lambda: mx.nd.dot(a_dense, b), mx.nd.waitall, repeat,
                                     budget)
    generic = OPS["_sparse_csr_dot_dense"].compute
    row.times["generic"] = run.measure(lambda: generic(K, values, indptr, indices, rhs,
                                                       num_rows=m), repeat=repeat,
                                       budget=budget)
    if sps is not None:
        sa = sps.csr_matrix((values, indices, indptr), shape=(m, k))
        row.times["scipy"] = run.measure(lambda: sa @ rhs, repeat=repeat, budget=budget)
    rows.append(row)

    row = run.Row(f"dot(csr.T, dense) -> row_sparse {label} x {n}", unit="ms")
    row.times["sparse"] = run.measure(lambda: mx.nd.dot(a, b_t, transpose_a=True),
                                      mx.nd.waitall, repeat, budget)
    row.times["dense"] = run.measure(lambda: mx.nd.dot(a_dense, b_t, transpose_a=True),
                                     mx.nd.waitall, repeat, budget)
    generic_t = OPS["_sparse_csr_t_dot_dense"].compute
    row.times["generic"] = run.measure(lambda: generic_t(K, values, indptr, indices, rhs_t),
                                       repeat=repeat, budget=budget)
    if sps is not None:
        row.times["scipy"] = run.measure(lambda: sa.T @ rhs_t, repeat=repeat, budget=budget)
    rows.append(row)
    return rows


def _embedding_step(vocab: int, dim: int, idx: np.ndarray, sparse: bool) -> Callable[[], None]:
    weight = mx.nd.array(np.random.default_rng(2).standard_normal((vocab, dim))
                         .astype(np.float32))
    weight.attach_grad(stype="row_sparse" if sparse else None)
    data = mx.nd.array(idx)
    opt = mx.optimizer.SGD(learning_rate=0.01, lazy_update=True)

    def step() -> None:
        with autograd.record():
            y = mx.nd.Embedding(data, weight, input_dim=vocab, output_dim=dim,
                                sparse_grad=sparse)
            loss = (y * y).sum()
        loss.backward()
        opt.update(0, weight, weight.grad, None)

    return step


def _numpy_embedding_step(vocab: int, dim: int, idx: np.ndarray) -> Callable[[], None]:
    weight = np.random.default_rng(2).standard_normal((vocab, dim)).astype(np.float32)
    flat = idx.reshape(-1).astype(np.int64)

    def step() -> None:
        y = weight[flat]
        rows, inverse = np.unique(flat, return_inverse=True)
        grad = np.zeros((rows.shape[0], dim), np.float32)
        np.add.at(grad, inverse, 2 * y)
        weight[rows] -= 0.01 * grad

    return step


def bench_embedding(repeat: int, budget: float, vocab: int = 100000, dim: int = 64,
                    batch: Tuple[int, int] = (64, 8)) -> List[run.Row]:
    """Row (c): one training step of a large embedding, sparse vs dense gradient."""
    idx = np.random.default_rng(3).integers(0, vocab, size=batch).astype(np.float32)
    row = run.Row(f"Embedding({vocab}, {dim}) step, {batch[0] * batch[1]} lookups",
                  unit="ms")
    row.times["sparse"] = run.measure(_embedding_step(vocab, dim, idx, True), mx.nd.waitall,
                                      repeat, budget)
    row.times["dense"] = run.measure(_embedding_step(vocab, dim, idx, False), mx.nd.waitall,
                                     repeat, budget)
    row.times["scipy"] = run.measure(_numpy_embedding_step(vocab, dim, idx), repeat=repeat,
                                     budget=budget)
    return [row]


def bench_sparse(repeat: int, budget: float) -> List[run.Row]:
    return bench_dot(repeat, budget) + bench_embedding(repeat, budget)


def targets(rows: List[run.Row]) -> List[Tuple[str, float, bool]]:
    """(description, ratio, met) for the issue's targets on every row that has the columns."""
    out = []
    for r in rows:
        t = r.times
        if t.get("sparse") and t.get("dense"):
            ratio = t["sparse"] / t["dense"]
            out.append((f"{r.name}: sparse/dense (target < 1)", ratio, ratio < 1.0))
        if t.get("sparse") and t.get("scipy") and r.name.startswith("dot"):
            ratio = t["sparse"] / t["scipy"]
            out.append((f"{r.name}: sparse/scipy (target <= 1.5)", ratio, ratio <= 1.5))
    return out


def render(rows: List[run.Row]) -> str:
    header = ["benchmark"] + list(COLUMNS) + ["sparse/dense", "sparse/scipy"]
    table = [[r.name] + [run._fmt(r.times.get(c), r.unit) for c in COLUMNS]
             + [run._ratio(r.times.get("sparse"), r.times.get("dense")),
                run._ratio(r.times.get("sparse"), r.times.get("scipy"))] for r in rows]
    lines = run._table(header, table)
    lines.append("")
    lines += [f"{'met ' if met else 'MISSED'} {ratio:6.2f}  {desc}"
              for desc, ratio, met in targets(rows)]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    return run.run_main("Sparse storage vs dense and SciPy (CPU)", bench_sparse, (3, 0.05),
                        (7, 0.3), render, argv)


if __name__ == "__main__":
    sys.exit(main())
