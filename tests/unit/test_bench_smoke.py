"""Smoke test of bench/bench_symbolic.py on tiny sizes: every function runs and returns the
expected keys (no timing assertions)."""

from __future__ import annotations

import pytest
from _bench_loader import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("bench_symbolic")


def test_steps_have_every_column(bench):
    (row,) = bench.bench_steps(1, 1e-4, shape=(4, 200))
    expected = {"module", "hybrid", "gluon"} | ({"torch"} if bench.run.torch else set())
    assert set(row.times) == expected
    assert all(t > 0 for t in row.times.values())


def test_memory_rows_have_every_key(bench):
    rows = bench.bench_memory(deep_shape=(2, 8), resnet_shape=(1, 3, 16, 16), layers=3,
                              units=8)
    assert len(rows) == 2
    for row in rows:
        assert set(row.times) == set(bench.MEMORY_KEYS)
        t = row.times
        assert 0 < t["infer_planned"] <= t["infer_naive"]
        assert 0 < t["train_planned"] <= t["train_naive"]
        assert t["measured_exec"] > 0 and t["measured_train"] > 0


def test_render_and_targets(bench):
    step = bench.run.Row("step", unit="ms")
    step.times = {"module": 1e-3, "hybrid": 1e-3, "gluon": 2e-3, "torch": None}
    mem = bench.run.Row("net", unit="bytes")
    mem.times = dict.fromkeys(bench.MEMORY_KEYS, 100)
    mem.times.update(train_planned=40)
    results = bench.targets([step, mem])
    assert [(round(v, 2), met) for _, v, met in results] == [(2.0, True), (0.4, True)]
    text = bench.render([step, mem])
    assert "target met" in text and "MISSED" not in text
    mem.times["train_planned"] = 90
    assert "target MISSED" in bench.render([mem])


def test_run_rows_use_run_columns(bench):
    rows = bench.run_rows(1, 1e-4)
    assert [r.name for r in rows] == ["symbolic step: MLP via Module",
                                      "symbolic step: MLP via hybridized Gluon"]
    assert all(r.times["mxcore"] > 0 and "torch" in r.times for r in rows)
