"""The OpenCL backend (mxcore-opencl): registration, device selection, capabilities,
cross-context copies, program caching and asynchrony. Skips when PyOpenCL or an OpenCL
platform is absent."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd
from mxcore.backend.registry import registry
from mxcore.base import MXNetError, UnsupportedByDevice

cl = pytest.importorskip("pyopencl", reason="the OpenCL backend needs PyOpenCL")
mxcore_opencl = pytest.importorskip("mxcore_opencl", reason="mxcore-opencl is not installed")

from mxcore_opencl import device as cl_device  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def backend():
    found = registry().get("opencl")
    if not found.available:
        pytest.skip(f"no usable OpenCL device: {found.unavailable_reason}")
    return found


@pytest.fixture
def ctx(backend):
    return mx.opencl(0)


# -- registration and availability ---------------------------------------------------------
def test_registered_under_device_type_opencl(backend):
    rows = {r["name"]: r for r in mx.backend.list_backends()}
    assert rows["opencl"]["device_type"] == "opencl"
    assert rows["opencl"]["available"]
    assert mx.Context("opencl", 0).backend is backend
    assert mx.opencl(0) is mx.Context("opencl", 0)
    assert backend.device_count() == 1


def test_every_primitive_has_a_kernel(backend):
    from mxcore.backend.primitives import PRIMITIVES

    assert sorted(set(PRIMITIVES) - set(backend.kernels)) == []


def test_no_platform_registers_unavailable_with_reason(monkeypatch):
    monkeypatch.setattr(cl, "get_platforms", lambda: [])
    unavailable = cl_device.OpenCLBackend()
    assert not unavailable.available
    assert "no OpenCL platform" in unavailable.unavailable_reason
    assert unavailable.device_count() == 0
    assert unavailable.kernels == {}
    assert "unavailable" in repr(unavailable)


def test_platform_query_error_is_the_reason(monkeypatch):
    def broken():
        raise cl.LogicError("clGetPlatformIDs failed: PLATFORM_NOT_FOUND_KHR")

    monkeypatch.setattr(cl, "get_platforms", broken)
    reason = cl_device.OpenCLBackend().unavailable_reason
    assert "no OpenCL platform" in reason and "PLATFORM_NOT_FOUND" in reason


def test_missing_pyopencl_is_the_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopencl", None)
    reason = cl_device.OpenCLBackend().unavailable_reason
    assert "PyOpenCL is not importable" in reason


# -- device selection ----------------------------------------------------------------------
def test_select_by_index_and_by_name(backend):
    platforms = cl.get_platforms()
    first = platforms[0].get_devices()[0]
    assert cl_device._match(platforms, "0:0") == first
    assert cl_device._match(platforms, "0") == first
    assert cl_device._match(platforms, platforms[0].name.split()[0]) == first
    with pytest.raises(LookupError, match="platform 99"):
        cl_device._match(platforms, "99:0")
    with pytest.raises(LookupError, match="no OpenCL device matches"):
        cl_device._match(platforms, "no-such-device-name")


def test_environment_selects_the_device(monkeypatch, backend):
    monkeypatch.delenv("PYOPENCL_CTX", raising=False)
    monkeypatch.setenv("MXCORE_OPENCL_DEVICE", "0:0")
    device, reason = cl_device.probe()
    assert reason is None and device == cl.get_platforms()[0].get_devices()[0]
    monkeypatch.setenv("MXCORE_OPENCL_DEVICE", "0:99")
    device, reason = cl_device.probe()
    assert device is None and "device selection failed" in reason
    monkeypatch.delenv("MXCORE_OPENCL_DEVICE")
    monkeypatch.setenv("PYOPENCL_CTX", "0:99")  # PyOpenCL's variable is honoured too
    assert cl_device.probe()[0] is None


def test_select_device_api_wins_over_environment(monkeypatch, backend):
    monkeypatch.setenv("MXCORE_OPENCL_DEVICE", "0:99")
    try:
        mxcore_opencl.select_device("0:0")
        device, reason = cl_device.probe()
    finally:
        cl_device._REQUESTED.clear()
    assert reason is None and device is not None


# -- capabilities --------------------------------------------------------------------------
def test_dtypes_follow_device_extensions(backend):
    extensions = backend.rt.device.extensions.split()
    assert ("float64" in backend.dtypes) == ("cl_khr_fp64" in extensions
                                             or backend.rt.device.double_fp_config != 0)
    assert ("float16" in backend.dtypes) == ("cl_khr_fp16" in extensions)
    assert {"float32", "int32", "int64", "uint8", "int8", "bool"} <= backend.dtypes


def test_unsupported_dtype_is_a_clear_error(backend, ctx):
    missing = [d for d in ("float16", "float64") if d not in backend.dtypes]
    if not missing:
        pytest.skip("this device supports every dtype")
    with pytest.raises(UnsupportedByDevice, match=f"{missing[0]} is unsupported"):
        mx.nd.array(np.zeros(3), ctx=ctx, dtype=missing[0])
    x = mx.nd.ones((3,), ctx=ctx)
    with pytest.raises(UnsupportedByDevice, match="backend opencl"):
        x.astype(missing[0]).wait_to_read()


# -- arrays, copies, views -----------------------------------------------------------------
def test_cross_context_copies(ctx):
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = mx.nd.array(host, ctx=mx.cpu())
    b = a.as_in_context(ctx)
    assert b.context == ctx and b.as_in_context(ctx) is b
    np.testing.assert_array_equal(b.asnumpy(), host)
    back = (b * 2).copyto(mx.cpu())
    assert back.context == mx.cpu()
    np.testing.assert_array_equal(back.asnumpy(), host * 2)
    target = mx.nd.zeros((3, 4), ctx=mx.cpu())
    b.T.T.copyto(target)
    np.testing.assert_array_equal(target.asnumpy(), host)
    into = mx.nd.zeros((3, 4), ctx=ctx)
    a.copyto(into)
    np.testing.assert_array_equal(into.asnumpy(), host)


def test_gradient_flows_through_a_cross_context_copy(ctx):
    x = mx.nd.array([1.0, 2.0, 3.0], ctx=mx.cpu())
    x.attach_grad()
    with autograd.record():
        y = (x.as_in_context(ctx) * x.as_in_context(ctx)).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0, 6.0])


def test_views_and_in_place_writes(ctx):
    host = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = mx.nd.array(host, ctx=ctx)
    np.testing.assert_array_equal(x[:, 1:, ::-2].asnumpy(), host[:, 1:, ::-2])
    np.testing.assert_array_equal(x.transpose((2, 0, 1)).reshape((4, 6)).asnumpy(),
                                  host.transpose(2, 0, 1).reshape(4, 6))
    x[1, :, 1:3] = 7.0
    host[1, :, 1:3] = 7.0
    x[0, [0, 2], 1] = mx.nd.array([-1.0, -2.0], ctx=ctx)
    host[0, [0, 2], 1] = [-1.0, -2.0]
    np.testing.assert_array_equal(x.asnumpy(), host)


def test_scalar_conversion_of_device_arrays(backend, ctx):
    k = backend.kernels
    data = mx.nd.array([3.0, -1.0, 2.0], ctx=ctx)._data
    assert int(k["max"](data, None, False)) == 3
    assert float(k["min"](data, None, False)) == -1.0
    with pytest.raises(ValueError):
        int(data)


def test_memory_stats_and_pool(backend, ctx):
    x = mx.nd.ones((1000,), ctx=ctx)
    x.wait_to_read()
    stats = backend.memory_stats(0)
    assert stats["total_bytes"] > 0 and stats["pool_active_blocks"] >= 1
    del x
    ctx.empty_cache()
    assert backend.memory_stats(0)["pool_held_blocks"] == 0


# -- compilation cache ---------------------------------------------------------------------
def test_programs_are_built_once_per_process(backend, ctx):
    x = mx.nd.array(np.arange(6, dtype=np.int32), ctx=ctx)
    (x * 3 + 1).wait_to_read()
    built = backend.rt.builds
    y = mx.nd.array(np.arange(9, dtype=np.int32), ctx=ctx)
    np.testing.assert_array_equal((y * 3 + 1).asnumpy(), np.arange(9) * 3 + 1)
    assert backend.rt.builds == built


def test_binaries_are_cached_on_disk(backend, tmp_path):
    """MXCORE_OPENCL_CACHE holds the built binaries (PoCL's kernel cache on PoCL, whose
    builds PyOpenCL leaves to it; PyOpenCL's binary cache elsewhere)."""
    script = ("import numpy as np, mxcore as mx\n"
              "x = mx.nd.array(np.arange(5), ctx=mx.opencl(0), dtype='int32')\n"
              "print(int((x * 7 + 3).asnumpy().sum()))\n")
    env = dict(os.environ, MXCORE_OPENCL_CACHE=str(tmp_path))
    env.pop("POCL_CACHE_DIR", None)

    def run() -> str:
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert run() == str(7 * 10 + 15)

    def binaries() -> list:
        return sorted(p for p in tmp_path.rglob("*")
                      if p.is_file() and p.suffix in (".bc", ".so", ".bin", ""))

    cached = [p for p in binaries() if not p.name.startswith(("tempfile", "last_"))]
    assert cached, "no binary was written into MXCORE_OPENCL_CACHE"
    assert run() == str(7 * 10 + 15)  # a second process reads the cache
    again = [p for p in binaries() if not p.name.startswith(("tempfile", "last_"))]
    assert again == cached


# -- asynchrony ----------------------------------------------------------------------------
def test_host_runs_ahead_until_a_sync_point(backend, ctx):
    x = mx.nd.ones((256,), ctx=ctx)
    (x + 1).wait_to_read()  # build the kernels first
    gate = cl.UserEvent(backend.rt.context)
    cl.enqueue_marker(backend.rt.queue, wait_for=[gate])  # holds the in-order queue
    opened = []
    timer = threading.Timer(0.5, lambda: (opened.append(time.perf_counter()),
                                          gate.set_status(cl.command_execution_status.COMPLETE)))
    timer.start()
    try:
        y = x + 1
        z = y * 3
        queued = time.perf_counter()
        assert not opened, "queuing work waited for the device"
        z.wait_to_read()  # a sync point
        assert opened, "wait_to_read returned before the device finished"
        result = z.asnumpy()
    finally:
        timer.join()
    assert queued < opened[0]
    np.testing.assert_array_equal(result, np.full(256, 6.0, np.float32))


def test_random_streams_are_reproducible_per_seed(ctx):
    mx.random.seed(7, ctx=ctx)
    a = mx.nd.random.uniform(shape=(1000,), ctx=ctx).asnumpy()
    mx.random.seed(7, ctx=ctx)
    b = mx.nd.random.uniform(shape=(1000,), ctx=ctx).asnumpy()
    c = mx.nd.random.uniform(shape=(1000,), ctx=ctx).asnumpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
    assert 0.0 < a.min() and a.max() < 1.0 and abs(a.mean() - 0.5) < 0.05


def test_kernel_errors_name_op_and_backend(ctx):
    a = mx.nd.ones((2, 3), ctx=ctx)
    with pytest.raises(MXNetError, match=r"dot.*\[backend opencl\]"):
        mx.nd.dot(a, a).wait_to_read()


# -- training end to end -------------------------------------------------------------------
def test_gluon_hybridized_training_matches_cpu(ctx):
    from mxcore import gluon
    from mxcore.gluon import nn

    rng = np.random.default_rng(0)
    data = rng.standard_normal((16, 8)).astype(np.float32)
    label = rng.integers(0, 3, size=16).astype(np.float32)

    def run(device):
        mx.random.seed(1)
        net = nn.HybridSequential()
        net.add(nn.Dense(16, activation="relu"), nn.Dense(3))
        net.initialize(mx.init.Xavier(), ctx=mx.cpu())
        net.hybridize()
        net(mx.nd.array(data))
        net.collect_params().reset_ctx(device)
        trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        x, y = mx.nd.array(data, ctx=device), mx.nd.array(label, ctx=device)
        losses = []
        for _ in range(5):
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(16)
            losses.append(float(loss.mean().asscalar()))
        return losses

    cpu_losses, cl_losses = run(mx.cpu()), run(ctx)
    np.testing.assert_allclose(cl_losses, cpu_losses, rtol=1e-4, atol=1e-5)
    assert cl_losses[-1] < cl_losses[0]


def _example(script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("MXNET_ENGINE_TYPE", None)
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args],
                          capture_output=True, text=True, env=env, timeout=600)


def _final_accuracy(proc: subprocess.CompletedProcess) -> float:
    assert proc.returncode == 0, proc.stderr
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("final test accuracy")]
    assert line, proc.stdout
    return float(line[-1].split()[-1])


@pytest.mark.parametrize("script", ["gluon_mlp_digits.py", "module_mlp.py"])
def test_digits_examples_on_opencl_match_cpu(backend, script):
    pytest.importorskip("sklearn", reason="the examples read scikit-learn's digits")
    on_cl = _final_accuracy(_example(script, "--epochs", "2", "--ctx", "opencl"))
    on_cpu = _final_accuracy(_example(script, "--epochs", "2", "--ctx", "cpu"))
    assert on_cl > 0.85
    assert abs(on_cl - on_cpu) <= 0.03
