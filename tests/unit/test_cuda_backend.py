"""The CUDA backend registers everywhere; without CuPy or a GPU it is unavailable, with why."""

import importlib.util

import pytest

import mxcore as mx
from mxcore.base import BackendUnavailableError

HAVE_PLUGIN = importlib.util.find_spec("mxcore_cuda_cupy") is not None
pytestmark = pytest.mark.skipif(not HAVE_PLUGIN, reason="mxcore-cuda-cupy is not installed")


def _row():
    rows = {r["name"]: r for r in mx.backend.list_backends()}
    return rows["cuda_cupy"]


def test_plugin_registers_for_gpu_device_type():
    row = _row()
    assert row["device_type"] == "gpu"
    assert row["version"]


def test_unavailable_backend_reports_reason_and_gpu_context_errors_clearly():
    row = _row()
    if row["available"]:
        pytest.skip("a GPU is present: covered by the GPU conformance run")
    assert row["reason"]
    assert mx.num_gpus() == 0
    with pytest.raises(BackendUnavailableError, match="cuda_cupy"):
        mx.nd.zeros((2,), ctx=mx.gpu(0))
    # the CPU keeps working
    assert mx.nd.ones((2,)).asnumpy().tolist() == [1.0, 1.0]


def test_available_backend_round_trips_data():
    row = _row()
    if not row["available"]:
        pytest.skip(f"no GPU: {row['reason']}")
    x = mx.nd.array([1, 2, 3], ctx=mx.gpu(0))
    assert (x + 1).asnumpy().tolist() == [2.0, 3.0, 4.0]
    assert x.copyto(mx.cpu()).context == mx.cpu()
