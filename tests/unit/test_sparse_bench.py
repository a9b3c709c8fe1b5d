"""Smoke test of bench/bench_sparse.py on tiny sizes: every column is measured and the
targets are computed (no timing assertions)."""

from __future__ import annotations

import pytest
from _bench_loader import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("bench_sparse")


def test_dot_rows_have_every_column(bench):
    rows = bench.bench_dot(1, 1e-4, shape=(8, 50, 3), density=0.1)
    assert len(rows) == 2
    for row in rows:
        assert set(row.times) == {"sparse", "dense", "generic"} | (
            {"scipy"} if bench.sps is not None else set())
        assert all(t > 0 for t in row.times.values())


def test_embedding_row_and_render(bench):
    rows = bench.bench_embedding(1, 1e-4, vocab=50, dim=4, batch=(2, 3))
    assert set(rows[0].times) == {"sparse", "dense", "scipy"}
    text = bench.render(rows)
    assert "sparse/dense" in text and "target < 1" in text
