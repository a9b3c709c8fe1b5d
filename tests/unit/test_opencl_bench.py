"""Smoke test of bench/bench_opencl.py on tiny sizes: every row has every column it can
measure here (no timing assertions)."""

from __future__ import annotations

import pytest
from _bench_loader import load_bench


@pytest.fixture(scope="module")
def bench():
    pytest.importorskip("pyopencl", reason="the OpenCL backend needs PyOpenCL")
    return load_bench("bench_opencl")


def test_rows_have_every_column(bench):
    rows = bench.bench_kernels(1, 1e-4, size=1000, matmul=16) + \
        bench.bench_mlp(1, 1e-4, shape=(4, 200))
    expected = {"cpu"} | ({"opencl"} if bench._device() is not None else set())
    for row in rows[:4]:
        assert set(row.times) == expected | {"numpy"}
    for row in rows[4:]:
        assert set(row.times) == expected
    assert all(t > 0 for row in rows for t in row.times.values())
    table = bench.render(rows)
    assert "opencl/numpy" in table and "MLP step" in table
