"""gluon.utils: split_data, split_and_load, clip_global_norm, check_sha1."""

import hashlib

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.gluon.utils import check_sha1, clip_global_norm, split_and_load, split_data


def _arange(*shape):
    return mx.nd.array(np.arange(np.prod(shape)).reshape(shape))


def test_split_data_even_and_uneven():
    x = _arange(6, 2)
    parts = split_data(x, 3)
    assert [p.asnumpy().tolist() for p in parts] == [[[0, 1], [2, 3]], [[4, 5], [6, 7]],
                                                     [[8, 9], [10, 11]]]
    uneven = split_data(_arange(7, 2), 3, even_split=False)
    assert [p.shape[0] for p in uneven] == [2, 2, 3]
    tiny = split_data(_arange(2, 2), 4, even_split=False)  # fewer samples than slices
    assert [p.shape[0] for p in tiny] == [1, 1]
    with pytest.raises(MXNetError, match="cannot be evenly split into 4 slices"):
        split_data(_arange(6, 2), 4)


def test_split_data_other_axes():
    x = _arange(2, 6)
    parts = split_data(x, 2, batch_axis=1)
    np.testing.assert_array_equal(parts[1].asnumpy(), x.asnumpy()[:, 3:])
    parts = split_data(x, 4, batch_axis=-1, even_split=False)
    assert [p.shape for p in parts] == [(2, 1), (2, 1), (2, 1), (2, 3)]
    np.testing.assert_array_equal(parts[3].asnumpy(), x.asnumpy()[:, 3:])
    assert len(split_data(x, 1, batch_axis=1)) == 1
    with pytest.raises(MXNetError, match="batch_axis 2"):
        split_data(x, 2, batch_axis=2)
    with pytest.raises(MXNetError, match="num_slice"):
        split_data(x, 0)


def test_split_and_load():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    parts = split_and_load(np.arange(8).reshape(4, 2), ctxs)
    assert [p.context for p in parts] == ctxs
    assert parts[1].asnumpy().tolist() == [[4.0, 5.0], [6.0, 7.0]]
    single = split_and_load(_arange(3, 2), [mx.cpu(1)])
    assert len(single) == 1 and single[0].context == mx.cpu(1) and single[0].shape == (3, 2)
    assert [p.shape for p in split_and_load(_arange(2, 5), ctxs, batch_axis=1,
                                            even_split=False)] == [(2, 2), (2, 3)]
    with pytest.raises(MXNetError):
        split_and_load(_arange(3, 2), ctxs)


def test_clip_global_norm_scales_above_max():
    rng = np.random.default_rng(0)
    hosts = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    arrays = [mx.nd.array(h) for h in hosts]
    norm = np.sqrt(sum((h ** 2).sum() for h in hosts))
    out = clip_global_norm(arrays, 1.0)
    assert isinstance(out, float) and out == pytest.approx(norm, rel=1e-5)
    for array, host in zip(arrays, hosts):
        np.testing.assert_allclose(array.asnumpy(), host / norm, rtol=1e-5)
    clipped = np.sqrt(sum((a.asnumpy().astype(np.float64) ** 2).sum() for a in arrays))
    assert clipped == pytest.approx(1.0, rel=1e-5)


def test_clip_global_norm_leaves_small_arrays_and_can_skip_sync():
    arrays = [mx.nd.array([0.3, 0.4]), mx.nd.array([0.0], ctx=mx.cpu(1))]
    out = clip_global_norm(arrays, 10.0, check_isfinite=False)
    assert isinstance(out, mx.nd.NDArray) and out.shape == (1,)
    assert float(out.asscalar()) == pytest.approx(0.5, rel=1e-6)
    np.testing.assert_allclose(arrays[0].asnumpy(), [0.3, 0.4], rtol=1e-6)
    assert arrays[1].context == mx.cpu(1)


def test_clip_global_norm_warns_on_nan_and_rejects_empty():
    with pytest.warns(UserWarning, match="nan or inf"):
        clip_global_norm([mx.nd.array([np.nan, 1.0])], 1.0)
    with pytest.raises(MXNetError, match="empty"):
        clip_global_norm([], 1.0)


def test_check_sha1(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(b"mxcore" * 1000)
    digest = hashlib.sha1(b"mxcore" * 1000).hexdigest()
    assert check_sha1(str(path), digest)
    assert not check_sha1(str(path), "0" * 40)
