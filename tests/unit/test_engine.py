"""Engines: NaiveEngine and ThreadedEngine give the same results; async errors surface at
sync points and leave the engine usable; independent work on different devices overlaps."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import mxcore as mx
from mxcore.engine import NaiveEngine, ThreadedEngine


def _drain():
    """Collect errors other tests left pending, so they do not surface here."""
    try:
        mx.nd.waitall()
    except mx.MXNetError:
        pass


def _finishes(fn, timeout=60.0):
    """Run ``fn`` in a thread: a deadlocked engine fails the test instead of hanging it."""
    outcome = {}

    def target():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        # abandon the stuck engine (without waiting for it) so teardown does not hang too
        mx.engine._Current.engine = NaiveEngine()
        mx.engine._Current.is_async = False
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not finish in {timeout} s (deadlock?)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def threaded_engine():
    return ThreadedEngine()  # one per test: a stuck engine cannot hang the next test


@pytest.fixture(params=["NaiveEngine", "ThreadedEngine"])
def engine(request, threaded_engine):
    """Run a test under each engine, restoring the previous one afterwards."""
    chosen = threaded_engine if request.param == "ThreadedEngine" else NaiveEngine()
    _drain()
    previous = mx.engine.set_engine(chosen)
    try:
        yield chosen
    finally:
        _drain()
        mx.engine.set_engine(previous)


@pytest.fixture
def threaded(threaded_engine):
    _drain()
    previous = mx.engine.set_engine(threaded_engine)
    try:
        yield threaded_engine
    finally:
        _drain()
        mx.engine.set_engine(previous)


def test_default_engine_and_set_engine():
    _drain()
    assert type(mx.engine.get()).__name__ == os.environ.get("MXNET_ENGINE_TYPE",
                                                            "NaiveEngine")
    previous = mx.engine.set_engine("ThreadedEngine")
    try:
        assert isinstance(mx.engine.get(), ThreadedEngine)
        assert mx.engine.get().is_async
    finally:
        assert mx.engine.set_engine(previous).name == "ThreadedEngine"
    assert mx.engine.get() is previous


def test_unknown_engine_name():
    with pytest.raises(mx.MXNetError, match="NoSuchEngine"):
        mx.engine.set_engine("NoSuchEngine")


def _workload():
    """Arithmetic, in-place updates, assignment, copies and autograd, returned as NumPy."""
    a = mx.nd.array(np.arange(12).reshape(3, 4))
    b = mx.nd.array([1, 2, 3, 4])
    c = (a + b) * 2 - a / 4
    c += 1
    c[1] = 5
    d = c.copyto(mx.cpu(1)) * 3
    e = d.as_in_context(mx.cpu(0)) + c
    x = mx.nd.array([1.0, 2.0, 3.0])
    w = mx.nd.array([0.5, -1.0, 2.0])
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.exp(x * w) * x + w
    y.backward()
    return [c.asnumpy(), e.asnumpy(), y.asnumpy(), x.grad.asnumpy(), w.grad.asnumpy()]


def test_engines_give_equal_results(threaded_engine):
    results = {}
    _drain()
    for chosen in (NaiveEngine(), threaded_engine):
        previous = mx.engine.set_engine(chosen)
        try:
            results[chosen.name] = _finishes(_workload)
        finally:
            mx.engine.set_engine(previous)
    for naive, threaded in zip(results["NaiveEngine"], results["ThreadedEngine"]):
        np.testing.assert_array_equal(naive, threaded)
    x = np.array([1.0, 2.0, 3.0])
    w = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(results["NaiveEngine"][3], np.exp(x * w) * (1 + x * w),
                               rtol=1e-6)


def test_engine_env_variable_in_subprocess():
    code = textwrap.dedent("""
        import numpy as np
        import mxcore as mx
        a = mx.nd.array(np.arange(6).reshape(2, 3))
        x = mx.nd.array([1.0, 2.0, 3.0]); x.attach_grad()
        with mx.autograd.record():
            y = mx.nd.sin(a * x) * x
        y.backward()
        mx.nd.waitall()
        print(type(mx.engine.get()).__name__)
        print(repr(y.asnumpy().tolist()), repr(x.grad.asnumpy().tolist()))
    """)
    outputs = {}
    for name in ("NaiveEngine", "ThreadedEngine", "ThreadedEnginePerDevice"):
        env = dict(os.environ, MXNET_ENGINE_TYPE=name)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        engine_name, values = proc.stdout.splitlines()
        outputs[name] = values
        expected = "NaiveEngine" if name == "NaiveEngine" else "ThreadedEngine"
        assert engine_name == expected
    assert len(set(outputs.values())) == 1


def test_error_surfaces_at_sync_points_and_engine_recovers(threaded):
    a = mx.nd.ones((3,))
    b = mx.nd.ones((2,))

    def program():
        bad = a + b  # (3,) and (2,) do not broadcast: kept, raised where the value is needed
        with pytest.raises(mx.MXNetError, match="broadcast_add"):
            bad.wait_to_read()
        with pytest.raises(mx.MXNetError, match="broadcast_add"):
            bad.asnumpy()
        dependent = bad * 2  # work depending on a failed result fails too
        with pytest.raises(mx.MXNetError, match="broadcast_add"):
            dependent.asnumpy()
        mx.nd.broadcast_add(a, b)
        with pytest.raises(mx.MXNetError, match="broadcast_add"):
            mx.nd.waitall()
        mx.nd.waitall()  # each error is reported once; the engine is usable again
        return (a + a).asnumpy(), (b * 3).asnumpy()

    total, tripled = _finishes(program)
    np.testing.assert_array_equal(total, [2, 2, 2])
    np.testing.assert_array_equal(tripled, [3, 3])


def test_error_raised_by_naive_engine_at_call_site():
    _drain()
    previous = mx.engine.set_engine(NaiveEngine())
    try:
        with pytest.raises(mx.MXNetError, match="broadcast_add"):
            mx.nd.ones((3,)) + mx.nd.ones((2,))
    finally:
        mx.engine.set_engine(previous)


def test_dot_shape_error_surfaces_at_sync(engine):
    a = mx.nd.ones((3, 4))
    b = mx.nd.ones((5, 6))
    with pytest.raises(mx.MXNetError, match="dot"):
        mx.nd.dot(a, b).asnumpy()
    with pytest.raises(mx.MXNetError, match="dot"):
        mx.nd.dot(a, b).wait_to_read()
    with pytest.raises(mx.MXNetError, match="dot"):
        mx.nd.dot(a, b)  # raises at once (NaiveEngine) or when waited for (ThreadedEngine)
        mx.nd.waitall()
    mx.nd.waitall()
    np.testing.assert_array_equal(mx.nd.dot(a, a.T).asnumpy(), np.full((3, 3), 4.0))


def test_error_inside_pushed_function_is_reported_and_worker_survives(threaded):
    target = mx.nd.zeros((1,))

    def fail():
        raise ValueError("custom failure")

    threaded.push(fail, mx.cpu(0), [], [target])
    with pytest.raises(ValueError, match="custom failure"):
        target.wait_to_read()
    mx.nd.waitall()
    np.testing.assert_array_equal((mx.nd.ones((2,)) * 4).asnumpy(), [4, 4])


def test_ops_keep_program_order_under_threaded_engine(threaded):
    def program():
        x = mx.nd.zeros((4,))
        for i in range(50):
            x += 1
            x[0] = i
        y = x * 2
        x += 100  # later writes must not change an earlier result
        return y.asnumpy(), x.asnumpy()

    y, x = _finishes(program)
    np.testing.assert_array_equal(y, [98, 100, 100, 100])
    np.testing.assert_array_equal(x, [149, 150, 150, 150])


def test_push_returns_before_work_runs(threaded):
    gate = threading.Event()
    ran = threading.Event()
    out = mx.nd.zeros((1,))

    def blocked():
        gate.wait(timeout=10)
        ran.set()

    threaded.push(blocked, mx.cpu(0), [], [out])
    assert not ran.is_set()  # push did not wait for the function
    gate.set()
    out.wait_to_read()
    assert ran.is_set()


def test_independent_devices_overlap(threaded):
    """Work on cpu(1) completes while cpu(0)'s queue is blocked (no timing involved)."""
    gate = threading.Event()
    released = []  # True when the gate opened, False when the wait gave up
    blocker = mx.nd.zeros((1,), ctx=mx.cpu(0))
    threaded.push(lambda: released.append(gate.wait(timeout=10)), mx.cpu(0), [], [blocker])
    try:
        a = mx.nd.array([1, 2, 3], ctx=mx.cpu(1))
        b = (a * 2 + 1).copyto(mx.cpu(2)) * a.as_in_context(mx.cpu(2))
        np.testing.assert_array_equal(b.asnumpy(), [3, 10, 21])
    finally:
        gate.set()
    blocker.wait_to_read()
    # had cpu(1)/cpu(2) waited behind cpu(0), the blocker would have timed out first
    assert released == [True]
    queued = blocker + 1  # queued behind the blocked task, runs once it is released
    np.testing.assert_array_equal(queued.asnumpy(), [1])


def test_cross_device_dependency_waits(threaded):
    gate = threading.Event()
    src = mx.nd.ones((3,), ctx=mx.cpu(0))
    threaded.push(lambda: gate.wait(timeout=10), mx.cpu(0), [], [src])
    late = src * 5  # pending on cpu(0)
    late_data = {}

    def release():
        late_data["released"] = True
        gate.set()

    timer = threading.Timer(0.05, release)
    timer.start()
    moved = late.copyto(mx.cpu(1)) + 1  # must wait for cpu(0)'s result, not read garbage
    np.testing.assert_array_equal(moved.asnumpy(), [6, 6, 6])
    assert late_data.get("released")
    timer.join()


def test_waitall_with_many_pending(threaded):
    def program():
        arrays = [mx.nd.full((8,), i, ctx=mx.cpu(i % 3)) * 2 for i in range(30)]
        mx.nd.waitall()
        return [arr.asnumpy() for arr in arrays]

    for i, arr in enumerate(_finishes(program)):
        np.testing.assert_array_equal(arr, np.full(8, 2.0 * i))


def test_properties_wait_for_pending_results(threaded):
    a = mx.nd.ones((2, 3)) + mx.nd.ones((1, 3))
    assert a.shape == (2, 3)
    assert a.dtype == np.float32
    assert a.size == 6
    assert float((a * 2).asnumpy().sum()) == 24.0
