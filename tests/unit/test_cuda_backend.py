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


def test_dlpack_shares_gpu_memory_with_cupy_and_torch():
    row = _row()
    if not row["available"]:
        pytest.skip(f"no GPU: {row['reason']}")
    import cupy

    x = mx.nd.array([1, 2, 3], ctx=mx.gpu(0))
    view = cupy.from_dlpack(x)
    view[0] = 10
    assert x.asnumpy().tolist() == [10.0, 2.0, 3.0]
    source = cupy.zeros(3, dtype=cupy.float32)
    y = mx.nd.from_dlpack(source)
    assert y.context == mx.gpu(0)
    y[:] = 4
    assert source.tolist() == [4.0, 4.0, 4.0]
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        t = torch.ones(2, device="cuda")
        z = mx.nd.from_dlpack(t)
        z[:] = 3
        assert t.tolist() == [3.0, 3.0]
        assert torch.from_dlpack(z).device.type == "cuda"
