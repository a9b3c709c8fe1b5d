"""Contexts as a user meets them: ``mx.cpu(i)``, ``mx.gpu(i)``, ``with ctx:``, device types."""

from __future__ import annotations

import importlib
import pickle
import threading

import numpy as np
import pytest

import mxcore as mx
from mxcore.backend import Backend, hookimpl
from mxcore.backend.xp_kernels import make_kernels

# the module (``mxcore.backend.registry`` the attribute is a function)
backend_registry = importlib.import_module("mxcore.backend.registry")


def test_cpu_context_str_repr_and_fields():
    ctx = mx.cpu()
    assert str(ctx) == "cpu(0)"
    assert repr(mx.cpu(3)) == "cpu(3)"
    assert ctx.device_type == "cpu"
    assert ctx.device_id == 0
    assert ctx.device_typeid == 1
    assert mx.gpu(1).device_typeid == 2
    assert str(mx.gpu(2)) == "gpu(2)"
    assert mx.Context("cpu", 1) == mx.cpu(1)


def test_context_equality_and_hash():
    assert mx.cpu() == mx.cpu(0)
    assert mx.cpu(0) != mx.cpu(1)
    assert mx.cpu(0) != mx.gpu(0)
    assert hash(mx.cpu(1)) == hash(mx.Context("cpu", 1))
    table = {mx.cpu(0): "a", mx.cpu(1): "b", mx.gpu(0): "c"}
    assert table[mx.Context("cpu", 1)] == "b"
    assert len({mx.cpu(), mx.cpu(0), mx.Context("cpu")}) == 1
    assert mx.Context(mx.cpu(1)) == mx.cpu(1)


def test_context_pickles():
    assert pickle.loads(pickle.dumps(mx.cpu(2))) == mx.cpu(2)


@pytest.mark.parametrize("bad", [("", 0), ("cpu", -1), ("cpu", 1.5), ("cpu", True), (3, 0)])
def test_invalid_context_raises(bad):
    with pytest.raises(mx.MXNetError):
        mx.Context(*bad)


def test_default_context_and_with_statement():
    assert mx.current_context() == mx.cpu(0)
    assert mx.nd.zeros((2,)).context == mx.cpu(0)
    with mx.cpu(1) as ctx:
        assert ctx == mx.cpu(1)
        assert mx.current_context() == mx.cpu(1)
        a = mx.nd.ones((2,))
        b = mx.nd.array([1, 2])
        with mx.Context("cpu", 2):
            assert mx.current_context() == mx.cpu(2)
            assert mx.nd.zeros((1,)).context == mx.cpu(2)
        assert mx.current_context() == mx.cpu(1)
        c = a + b
    assert (a.context, b.context, c.context) == (mx.cpu(1),) * 3
    assert mx.current_context() == mx.cpu(0)
    np.testing.assert_array_equal(c.asnumpy(), [2.0, 3.0])


def test_with_statement_restores_after_exception():
    with pytest.raises(RuntimeError):
        with mx.cpu(5):
            raise RuntimeError("boom")
    assert mx.current_context() == mx.cpu(0)


def test_default_context_is_per_thread():
    seen = []
    with mx.cpu(3):
        thread = threading.Thread(target=lambda: seen.append(mx.current_context()))
        thread.start()
        thread.join()
    assert seen == [mx.cpu(0)]


def test_ctx_argument_places_arrays():
    for make in (lambda c: mx.nd.zeros((2,), ctx=c), lambda c: mx.nd.ones((2,), ctx=c),
                 lambda c: mx.nd.array([1, 2], ctx=c), lambda c: mx.nd.full((2,), 7, ctx=c),
                 lambda c: mx.nd.empty((2,), ctx=c), lambda c: mx.nd.arange(3, ctx=c)):
        assert make(mx.cpu(1)).context == mx.cpu(1)


def test_ops_across_contexts_raise():
    a = mx.nd.ones((2,), ctx=mx.cpu(0))
    b = mx.nd.ones((2,), ctx=mx.cpu(1))
    with pytest.raises(mx.MXNetError, match="context"):
        mx.nd.broadcast_add(a, b)


def test_num_gpus_is_zero_without_gpu():
    assert mx.num_gpus() == 0
    assert mx.context.num_gpus() == 0


def test_gpu_without_gpu_backend_errors_clearly():
    ctx = mx.gpu(0)  # creating the context is fine, as in MXNet
    assert str(ctx) == "gpu(0)"
    with pytest.raises(mx.MXNetError) as info:
        mx.nd.zeros((2,), ctx=ctx)
    message = str(info.value)
    assert "gpu" in message
    # the user is told which package serves GPUs, or why the installed one cannot run
    assert "mxcore-cuda-cupy" in message or "cuda" in message.lower()
    with pytest.raises(mx.MXNetError):
        mx.nd.array([1, 2], ctx=mx.gpu())
    with pytest.raises(mx.MXNetError):
        mx.nd.ones((2,)).as_in_context(mx.gpu(0))


# -- a third-party device type served by a backend registered at run time -------------------
class _AccelBackend(Backend):
    """A NumPy-backed backend for an invented device type with two devices."""

    name = "test_accel"
    device_type = "testaccel"
    version = "9.9"
    dtypes = frozenset(["float32", "float64", "int32"])
    array_type = np.ndarray

    def __init__(self):
        self.kernels = make_kernels(np)

    def device_count(self):
        return 2

    def empty(self, shape, dtype, device_id):
        return np.empty(shape, dtype=dtype)

    def from_host(self, array, device_id):
        return np.array(array, copy=True)

    def to_host(self, array):
        return np.array(array, copy=True)

    def copy(self, array, device_id):
        return np.array(array, copy=True)

    def seed(self, seed, device_id):
        pass

    def rng(self, device_id):
        return np.random.default_rng(0)


class _AccelPlugin:
    @hookimpl
    def mxcore_backends(self):
        return [_AccelBackend()]


@pytest.fixture
def accel_registry(monkeypatch):
    """The global registry replaced by one holding only the test backend."""
    monkeypatch.setattr(backend_registry.hookspecs, "ENTRY_POINT_GROUP",
                        "mxcore.tests.no_such_group")
    fresh = backend_registry.BackendRegistry()
    monkeypatch.setattr(backend_registry, "_REGISTRY", fresh)
    backend_registry._notify_selection_changed()
    mx.backend.register(_AccelPlugin(), name="test_accel_plugin")
    yield fresh
    monkeypatch.undo()
    backend_registry._notify_selection_changed()


def test_third_party_device_type(accel_registry):
    ctx = mx.Context("testaccel", 1)
    assert str(ctx) == "testaccel(1)"
    assert ctx.backend.name == "test_accel"
    assert "testaccel" in mx.context.list_device_types()
    assert ctx.device_typeid >= 16  # a fresh id, not one of MXNet's
    a = mx.nd.array([1, 2, 3], ctx=ctx)
    b = mx.nd.ones((3,), ctx=ctx)
    c = a * b + 1
    assert c.context == ctx
    assert repr(c) == "\n[2. 3. 4.]\n<NDArray 3 @testaccel(1)>"
    with ctx:
        d = mx.nd.zeros((2,))
    assert d.context == ctx
    back = c.copyto(mx.Context("testaccel", 0))
    assert back.context == mx.Context("testaccel", 0)
    np.testing.assert_array_equal(back.asnumpy(), [2, 3, 4])


def test_third_party_device_id_out_of_range(accel_registry):
    with pytest.raises(mx.MXNetError, match="2 device"):
        mx.nd.zeros((1,), ctx=mx.Context("testaccel", 2))


def test_unknown_device_type_errors(accel_registry):
    with pytest.raises(mx.MXNetError, match="nosuchdevice"):
        mx.nd.zeros((1,), ctx=mx.Context("nosuchdevice", 0))
