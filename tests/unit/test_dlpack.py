"""DLPack exchange (mxcore/ndarray/dlpack.py): zero-copy both ways with NumPy and PyTorch."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError

try:
    import torch
except ImportError:  # the PyTorch checks need it; the NumPy ones do not
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def test_numpy_views_an_ndarray_without_copy():
    x = mx.nd.arange(6).reshape((2, 3))
    view = np.from_dlpack(x)
    assert x.__dlpack_device__() == (1, 0)
    view[0, 0] = 42
    np.testing.assert_array_equal(x.asnumpy()[0], [42, 1, 2])


def test_from_dlpack_of_a_numpy_array_shares_memory():
    source = np.arange(4.0, dtype=np.float32)
    y = mx.nd.from_dlpack(source)
    assert y.context == mx.cpu(0) and y.dtype == np.float32
    y += 1  # in place: the producer sees it
    np.testing.assert_array_equal(source, [1, 2, 3, 4])


def test_capsules_round_trip_for_write_and_read():
    x = mx.nd.zeros((3,))
    y = mx.nd.from_dlpack(x.to_dlpack_for_write())
    y[:] = 7  # a legacy capsule is imported writable, as MXNet shared it
    np.testing.assert_array_equal(x.asnumpy(), [7, 7, 7])
    z = mx.nd.from_dlpack(mx.nd.to_dlpack_for_read(x))
    np.testing.assert_array_equal(z.asnumpy(), [7, 7, 7])


def test_a_capsule_imports_once():
    capsule = mx.nd.ones((2,)).to_dlpack_for_read()
    mx.nd.from_dlpack(capsule)
    with pytest.raises(mx.MXNetError, match="already consumed"):
        mx.nd.from_dlpack(capsule)


def test_export_waits_for_pending_work():
    previous = mx.engine.set_engine("ThreadedEngine")
    try:
        x = mx.nd.ones((50, 50))
        for _ in range(5):
            x = mx.nd.dot(x, mx.nd.ones((50, 50))) / 50
        view = np.from_dlpack(x)
        np.testing.assert_allclose(view, np.ones((50, 50)), rtol=1e-6)
    finally:
        mx.engine.set_engine(previous)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(TypeError, match="DLPack protocol"):
        mx.nd.from_dlpack([1, 2, 3])
    with pytest.raises(MXNetError, match="int16 is not supported by backend 'cpu_numpy'"):
        mx.nd.from_dlpack(np.zeros(3, dtype=np.int16))
    sparse = mx.nd.sparse.zeros("row_sparse", (3, 2))
    with pytest.raises(TypeError, match="only dense arrays"):
        mx.nd.to_dlpack_for_read(sparse)


@needs_torch
def test_torch_and_mxcore_share_memory_both_ways():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    t = torch.from_dlpack(x)
    t.mul_(10)
    np.testing.assert_array_equal(x.asnumpy(), [[10, 20], [30, 40]])

    source = torch.arange(10, dtype=torch.float32)[::2]  # strided
    y = mx.nd.from_dlpack(source)
    np.testing.assert_array_equal(y.asnumpy(), [0, 2, 4, 6, 8])
    y[:] = 1
    assert source.tolist() == [1, 1, 1, 1, 1]


@needs_torch
def test_torch_capsule_is_writable_and_outlives_the_tensor():
    tensor = torch.zeros(3)
    y = mx.nd.from_dlpack(torch.utils.dlpack.to_dlpack(tensor))
    y[:] = 5
    assert tensor.tolist() == [5, 5, 5]
    del tensor  # the capsule keeps the memory alive
    np.testing.assert_array_equal(y.asnumpy(), [5, 5, 5])


@needs_torch
def test_unsupported_torch_dtype_is_reported():
    with pytest.raises(MXNetError, match="could not import"):
        mx.nd.from_dlpack(torch.ones(2, dtype=torch.bfloat16))
