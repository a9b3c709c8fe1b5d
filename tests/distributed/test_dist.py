"""Distributed kvstores under mpiexec: every test launches ``worker.py`` on 2 or 3 ranks with a
hard timeout and checks what the ranks wrote. Skipped (with the reason) without mpi4py or
mpiexec."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from mxcore.launch import find_mpiexec

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
LIMIT_S = 90  # a hang would be a failure, never a stuck CI job


@functools.lru_cache(maxsize=None)
def _mpi_problem():
    """Why MPI cannot run here (None when it can); checked once, in a subprocess, so this
    process never initialises MPI."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install mpi4py mpich)"
    try:
        find_mpiexec()
    except SystemExit as exc:
        return str(exc)
    try:
        proc = subprocess.run([sys.executable, "-c", "from mpi4py import MPI"],
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "importing mpi4py.MPI did not finish in 60s"
    if proc.returncode != 0:
        return f"mpi4py cannot load an MPI library: {proc.stderr.strip()[-300:]}"
    return None


def _mpiexec():
    problem = _mpi_problem()
    if problem:
        pytest.skip(problem)
    return find_mpiexec()


def run_mpi(n, *args, servers=0, env=None, launcher=False, expect_ok=True):
    """Run ``worker.py args`` on ``n`` ranks; (returncode, output, seconds)."""
    mpiexec = _mpiexec()
    if launcher:
        cmd = [sys.executable, "-m", "mxcore.launch", "-n", str(n - servers), "-s",
               str(servers), WORKER, *args]
    else:
        cmd = [mpiexec, "-n", str(n), "-env", "MXNET_KVSTORE_NUM_SERVER", str(servers),
               sys.executable, WORKER, *args]
    full_env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1", **(env or {}))
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=LIMIT_S,
                              env=full_env)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(cmd)} did not finish in {LIMIT_S}s: {exc.stdout}{exc.stderr}")
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    if expect_ok and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n{output[-4000:]}")
    return proc.returncode, output, elapsed


def _load(tmp_path, mode, n):
    return [np.load(tmp_path / f"{mode}-{r}.npz") for r in range(n)]


@pytest.mark.parametrize("n", [2, 3])
def test_trainer_dist_sync_matches_one_process(tmp_path, n):
    run_mpi(n, "trainer", str(tmp_path))
    ranks = _load(tmp_path, "trainer", n)
    for key in ranks[0].files:
        if key.startswith("ref"):
            continue
        for other in ranks[1:]:  # bit-identical on every worker
            np.testing.assert_array_equal(ranks[0][key], other[key], err_msg=key)
        ref = "ref_kv/" + key.split("/")[1]  # one reference: the same training
        np.testing.assert_allclose(ranks[0][key], ranks[0][ref], rtol=1e-5, atol=1e-6,
                                   err_msg=key)
    assert {k.split("/")[0] for k in ranks[0].files} == {"kv", "local", "multi", "ref_kv"}


def test_module_fit_dist_sync_matches_one_process(tmp_path):
    run_mpi(2, "module", str(tmp_path))
    ranks = _load(tmp_path, "module", 2)
    keys = [k for k in ranks[0].files if not k.startswith("ref/")]
    assert len(keys) == 8  # 4 parameters, one and two contexts per worker
    for key in keys:
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key], err_msg=key)
        ref = "ref/" + key.split("/")[1]
        np.testing.assert_allclose(ranks[0][key], ranks[0][ref], rtol=1e-5, atol=1e-6,
                                   err_msg=key)


@pytest.mark.parametrize("n", [2, 3])
def test_sparse_embedding_dist_sync_matches_one_process(tmp_path, n):
    run_mpi(n, "sparse", str(tmp_path))
    ranks = _load(tmp_path, "sparse", n)
    for other in ranks[1:]:  # bit-identical on every worker
        np.testing.assert_array_equal(ranks[0]["weight"], other["weight"])
    np.testing.assert_allclose(ranks[0]["weight"], ranks[0]["ref"], rtol=1e-5, atol=1e-6)
    init = ranks[0]["init"].astype(np.float32)
    np.testing.assert_array_equal(ranks[0]["weight"][12:], init[12:])  # lazy: untouched rows
    assert not np.allclose(ranks[0]["weight"][:12], init[:12])


def _two_bit_reference(grads_per_worker, threshold):
    """The documented scheme, independently: residual += g; send +-t where |r| >= t."""
    residuals = [np.zeros_like(g[0]) for g in grads_per_worker]
    store = np.zeros_like(grads_per_worker[0][0], dtype=np.float64)
    pulled = []
    for step in range(len(grads_per_worker[0])):
        total = np.zeros_like(store)
        for w, grads in enumerate(grads_per_worker):
            residuals[w] = residuals[w] + grads[step]
            sent = np.where(residuals[w] >= threshold, threshold,
                            np.where(residuals[w] <= -threshold, -threshold, 0.0))
            residuals[w] = residuals[w] - sent
            total += sent
        store = total  # no optimizer: the pulled value is the pushed sum
        pulled.append(store.copy())
    return np.stack(pulled)


@pytest.mark.parametrize("n", [2, 3])
def test_dist_sync_compression_matches_quantisation(tmp_path, n):
    run_mpi(n, "compress", str(tmp_path))
    grads = [[np.array([0.3, 0.6, -0.7, 0.2 * (r + 1), 1.2, -0.26 * s], dtype=np.float32)
              for s in range(3)] for r in range(n)]
    expected = _two_bit_reference(grads, 0.5)
    for rank in _load(tmp_path, "compress", n):
        np.testing.assert_allclose(rank["pulled"], expected, rtol=0, atol=1e-6)


def test_dist_sync_api(tmp_path):
    run_mpi(2, "api", str(tmp_path))
    for rank in range(2):
        res = json.loads((tmp_path / f"api-{rank}.json").read_text())
        assert (res["rank"], res["num_workers"], res["type"]) == (rank, 2, "dist_sync")
        assert res["init_a"] == [[1.0] * 3] * 2  # rank 0's init value
        assert res["push_a"] == [[[4.0] * 3] * 2] * 2  # 2 devices x 2 workers
        assert res["pushpull_b"] == [3.0, 3.0]
        assert res["pushpull_7"] == [2.0, 2.0]
        assert res["broadcast"] == [0.0, 1.0, 2.0]
        assert res["rsp"] == [[0, 0], [2, 3], [0, 0], [6, 7]]
        # sgd momentum 0.9, lr 0.1, grad 2 per push: push, save, push, load, push
        w, m = 1.0, 0.0
        m = 0.9 * m - 0.1 * 2
        w += m
        saved = m
        m = 0.9 * m - 0.1 * 2
        w += m
        m = 0.9 * saved - 0.1 * 2  # the loaded momentum
        w += m
        np.testing.assert_allclose(res["sgd_9"], [w, w], rtol=1e-5)


def test_dist_async_converges(tmp_path):
    from mxcore import optimizer as opt

    run_mpi(3, "async", str(tmp_path), servers=1)
    for rank in _load(tmp_path, "async", 2):
        np.testing.assert_allclose(rank["w"], rank["w_true"], atol=1e-2)  # Trainer
        np.testing.assert_allclose(rank["mod_w"], rank["w_true"], atol=5e-2)  # Module.fit
    updater = opt.get_updater(opt.create("sgd"))
    updater.set_states((tmp_path / "async.states").read_bytes())
    assert list(updater.states) == [0]  # the momentum of key 0, gathered from its server
    assert updater.optimizer.momentum == 0.5


def test_worker_that_raises_stops_the_others_with_a_clear_error(tmp_path):
    code, out, elapsed = run_mpi(3, "fault", str(tmp_path), "raise", expect_ok=False)
    assert code != 0
    assert "finished all steps" not in out
    assert "ValueError: injected failure" in out
    # the two other ranks name the failed one
    assert out.count("MXNetKVStoreError") >= 2, out[-3000:]
    assert "rank 1: ValueError: injected failure" in out
    assert elapsed < 60


def test_killed_worker_stops_the_job(tmp_path):
    code, out, elapsed = run_mpi(3, "fault", str(tmp_path), "kill", launcher=True,
                                 expect_ok=False)
    assert code != 0
    assert "finished all steps" not in out
    assert "mxcore-launch: the job failed" in out
    assert elapsed < 60


def test_hung_worker_times_out_with_a_clear_error(tmp_path):
    code, out, elapsed = run_mpi(3, "fault", str(tmp_path), "hang",
                                 env={"MXNET_KVSTORE_TIMEOUT": "3"}, expect_ok=False)
    assert code != 0
    assert "finished all steps" not in out
    assert "no answer from the other processes after 3s" in out
    assert elapsed < 60


def test_workers_with_different_shapes_get_a_clear_error(tmp_path):
    code, out, elapsed = run_mpi(2, "mismatch", str(tmp_path), expect_ok=False)
    assert code != 0
    assert "rank 1) has shape (3, 3)" in out and "rank 0 has shape (3, 2)" in out
    assert elapsed < 60


def test_resume_after_failure_matches_uninterrupted_run(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    whole.mkdir()
    broken.mkdir()
    run_mpi(2, "resume", str(whole), "6", "99", "0")
    code, _, _ = run_mpi(2, "resume", str(broken), "6", "4", "0", expect_ok=False)
    assert code != 0 and not (broken / "resume0-0.npz").exists()
    assert (broken / "ckpt-0004.params").exists() and not (broken / "ckpt-0005.params").exists()
    run_mpi(2, "resume", str(broken), "6", "99", "4")
    expected = np.load(whole / "resume0-0.npz")
    for rank in range(2):
        got = np.load(broken / f"resume4-{rank}.npz")
        for key in expected.files:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, atol=1e-7)


def test_distributed_example_trains_and_resumes(tmp_path):
    pytest.importorskip("sklearn", reason="the example reads scikit-learn's digits")
    example = os.path.join(os.path.dirname(WORKER), "..", "..", "examples",
                           "dist_gluon_mlp_digits.py")
    mpiexec = _mpiexec()
    prefix = str(tmp_path / "ckpt" / "digits")

    def run(*args):
        proc = subprocess.run([mpiexec, "-n", "2", sys.executable, example, "--optimizer",
                               "sgd", *args], capture_output=True, text=True,
                              timeout=LIMIT_S, env=dict(os.environ, OMP_NUM_THREADS="1"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.count("final test accuracy") == 1  # rank 0 reports
        return float(proc.stdout.split("final test accuracy")[1].split()[0])

    whole = run("--epochs", "2")
    assert whole > 0.8
    run("--epochs", "1", "--checkpoint", prefix)
    assert run("--epochs", "2", "--checkpoint", prefix, "--resume", "1") == whole


def test_bench_kvstore_smoke():
    """bench/bench_kvstore.py runs on tiny sizes and reports correct sums (no timing)."""
    _mpiexec()
    bench_dir = os.path.join(os.path.dirname(WORKER), "..", "..", "bench")
    sys.path.insert(0, bench_dir)
    try:
        import bench_kvstore
    finally:
        sys.path.remove(bench_dir)
    res = bench_kvstore.bench_pushpull(2, [0.01, 0.02], repeat=2, timeout=LIMIT_S)
    assert res["ranks"] == 2 and len(res["rows"]) == 2
    for row in res["rows"]:
        assert row["correct"] and row["raw_s"] > 0 and row["kvstore_s"] > 0
