"""In-process kvstores (``local``, ``device``, ``nccl``): MXNet 1.x's KVStore API."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError
from mxcore.kvstore.compression import TwoBitCompression, pack_2bit, unpack_2bit

CTXS = [mx.cpu(0), mx.cpu(1)]


def _np(x):
    return x.asnumpy()


@pytest.mark.parametrize("name", ["local", "device", "local_allreduce_cpu"])
def test_create_and_properties(name):
    kv = mx.kv.create(name)
    assert (kv.type, kv.rank, kv.num_workers) == (name, 0, 1)
    assert isinstance(kv, mx.kv.KVStore)
    kv.barrier()  # nothing to wait for


@pytest.mark.parametrize("name, exc", [("horovod", MXNetValueError), (3, MXNetTypeError)])
def test_create_rejects_unknown(name, exc):
    with pytest.raises(exc, match="kvstore"):
        mx.kv.create(name)


def test_nccl_needs_cupy():
    try:
        from cupy.cuda import nccl  # noqa: F401
    except ImportError:
        with pytest.raises(MXNetError, match="nccl"):
            mx.kv.create("nccl")
    else:
        pytest.skip("cupy with NCCL is installed; the NCCL path needs a GPU test")


@pytest.mark.parametrize("key", [3, "w"])
def test_init_push_pull_sums_devices(key):
    kv = mx.kv.create("local")
    kv.init(key, mx.nd.ones((2, 3)))
    out = mx.nd.zeros((2, 3))
    kv.pull(key, out=out)
    np.testing.assert_array_equal(_np(out), np.ones((2, 3)))
    kv.push(key, [mx.nd.ones((2, 3), ctx=c) * (i + 1) for i, c in enumerate(CTXS)])
    outs = [mx.nd.zeros((2, 3), ctx=c) for c in CTXS]
    kv.pull(key, out=outs)
    for o in outs:
        np.testing.assert_array_equal(_np(o), np.full((2, 3), 3.0))


def test_lists_of_keys():
    kv = mx.kv.create("device")
    kv.init(["a", "b"], [mx.nd.zeros((2,)), mx.nd.zeros((3,))])
    kv.push(["a", "b"], [[mx.nd.ones((2,)), mx.nd.ones((2,))], mx.nd.ones((3,)) * 5])
    a, b = mx.nd.zeros((2,)), mx.nd.zeros((3,))
    kv.pull(["a", "b"], out=[a, b])
    np.testing.assert_array_equal(_np(a), [2, 2])
    np.testing.assert_array_equal(_np(b), [5, 5, 5])


def test_pushpull_in_place_and_to_out():
    kv = mx.kv.create("local")
    kv.init(0, mx.nd.zeros((2,)))
    grads = [mx.nd.array([1, 2]), mx.nd.array([3, 4])]
    kv.pushpull(0, grads)
    for g in grads:
        np.testing.assert_array_equal(_np(g), [4, 6])
    out = mx.nd.zeros((2,))
    kv.pushpull(0, mx.nd.array([1, 1]), out=out)
    np.testing.assert_array_equal(_np(out), [1, 1])


def test_broadcast():
    kv = mx.kv.create("local")
    outs = [mx.nd.zeros((3,), ctx=c) for c in CTXS]
    kv.broadcast("x", mx.nd.arange(3), out=outs)
    for o in outs:
        np.testing.assert_array_equal(_np(o), [0, 1, 2])


def test_set_optimizer_updates_on_push():
    kv = mx.kv.create("local")
    kv.set_optimizer(mx.optimizer.create("sgd", learning_rate=0.5))
    kv.init(1, mx.nd.ones((2,)))
    kv.push(1, [mx.nd.ones((2,)), mx.nd.ones((2,))])
    out = mx.nd.zeros((2,))
    kv.pull(1, out=out)
    np.testing.assert_allclose(_np(out), [0.0, 0.0])  # 1 - 0.5 * (1 + 1)


def test_custom_updater_sees_key_grad_and_weight():
    kv = mx.kv.create("local")
    seen = []

    def updater(key, grad, weight):
        seen.append((key, _np(grad).tolist()))
        weight[:] = weight + grad * 10

    kv._set_updater(updater)
    kv.init("k", mx.nd.zeros((2,)))
    kv.push("k", [mx.nd.ones((2,)), mx.nd.ones((2,))])
    out = mx.nd.zeros((2,))
    kv.pull("k", out=out)
    assert seen == [("k", [2.0, 2.0])]
    np.testing.assert_array_equal(_np(out), [20, 20])


def test_save_and_load_optimizer_states(tmp_path):
    def run(kv, steps):
        for _ in range(steps):
            kv.push(0, mx.nd.ones((3,)))

    kv = mx.kv.create("local")
    kv.set_optimizer(mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9))
    kv.init(0, mx.nd.ones((3,)))
    run(kv, 2)
    path = tmp_path / "kv.states"
    kv.save_optimizer_states(str(path))
    saved_weight = mx.nd.zeros((3,))
    kv.pull(0, out=saved_weight)
    run(kv, 2)
    expected = mx.nd.zeros((3,))
    kv.pull(0, out=expected)

    def resumed(load):
        kv2 = mx.kv.create("local")
        kv2.set_optimizer(mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9))
        kv2.init(0, saved_weight)
        if load:
            kv2.load_optimizer_states(str(path))
        run(kv2, 2)
        got = mx.nd.zeros((3,))
        kv2.pull(0, out=got)
        return _np(got)

    np.testing.assert_allclose(resumed(True), _np(expected), rtol=1e-6)
    assert not np.allclose(resumed(False), _np(expected))  # the momentum matters


def test_optimizer_states_need_an_optimizer(tmp_path):
    kv = mx.kv.create("local")
    with pytest.raises(MXNetValueError, match="set_optimizer"):
        kv.save_optimizer_states(str(tmp_path / "x"))
    with pytest.raises(MXNetError, match="cannot read"):
        kv.load_optimizer_states(str(tmp_path / "missing"))


def test_row_sparse_pull():
    kv = mx.kv.create("local")
    kv.init("emb", mx.nd.arange(12).reshape((4, 3)))
    out = mx.nd.sparse.zeros("row_sparse", (4, 3))
    kv.row_sparse_pull("emb", out=out, row_ids=mx.nd.array([3, 1, 3]))
    np.testing.assert_array_equal(_np(out.indices), [1, 3])
    expected = np.zeros((4, 3))
    expected[[1, 3]] = np.arange(12).reshape(4, 3)[[1, 3]]
    np.testing.assert_array_equal(_np(out), expected)
    with pytest.raises(MXNetValueError, match="out of range"):
        kv.row_sparse_pull("emb", out=out, row_ids=mx.nd.array([4]))
    with pytest.raises(MXNetTypeError, match="RowSparseNDArray"):
        kv.row_sparse_pull("emb", out=mx.nd.zeros((4, 3)), row_ids=mx.nd.array([0]))


def test_errors_name_the_problem():
    kv = mx.kv.create("local")
    kv.init(0, mx.nd.zeros((2,)))
    with pytest.raises(MXNetValueError, match="already initialized"):
        kv.init(0, mx.nd.zeros((2,)))
    with pytest.raises(MXNetValueError, match="not been initialized"):
        kv.push(5, mx.nd.zeros((2,)))
    with pytest.raises(MXNetValueError, match="shape"):
        kv.push(0, mx.nd.zeros((3,)))
    with pytest.raises(MXNetValueError, match="shape"):
        kv.pull(0, out=mx.nd.zeros((3,)))
    with pytest.raises(MXNetValueError, match="out must be given"):
        kv.pull(0)
    with pytest.raises(MXNetTypeError, match="keys must be int or str"):
        kv.push(1.5, mx.nd.zeros((2,)))
    with pytest.raises(MXNetTypeError, match="NDArrays"):
        kv.push(0, np.zeros(2))
    with pytest.raises(MXNetValueError, match="2 keys"):
        kv.push([0, 1], [mx.nd.zeros((2,))])
    with pytest.raises(MXNetTypeError, match="Optimizer"):
        kv.set_optimizer("sgd")


# -- gradient compression --------------------------------------------------------------------
def _quantise(residual, grad, t):
    residual += grad
    sent = np.where(residual >= t, t, np.where(residual <= -t, -t, 0.0))
    residual -= sent
    return sent


def test_compression_only_for_device_and_dist():
    with pytest.raises(MXNetValueError, match="not supported"):
        mx.kv.create("local").set_gradient_compression({"type": "2bit"})
    kv = mx.kv.create("device")
    with pytest.raises(MXNetValueError, match="unsupported type"):
        kv.set_gradient_compression({"type": "1bit"})
    with pytest.raises(MXNetValueError, match="threshold"):
        kv.set_gradient_compression({"type": "2bit", "threshold": -1})
    with pytest.raises(MXNetValueError, match="unknown keys"):
        kv.set_gradient_compression({"type": "2bit", "thresh": 1})
    with pytest.raises(MXNetTypeError, match="dict"):
        kv.set_gradient_compression("2bit")


def test_device_compression_matches_the_scheme_with_error_feedback():
    t = 0.5
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": t})
    kv.init("g", mx.nd.zeros((5,)))
    rng = np.random.RandomState(0)
    residuals = [np.zeros(5), np.zeros(5)]
    for _ in range(6):
        grads = [rng.uniform(-0.8, 0.8, size=5).astype(np.float32) for _ in CTXS]
        kv.push("g", [mx.nd.array(g, ctx=c) for g, c in zip(grads, CTXS)])
        out = mx.nd.zeros((5,))
        kv.pull("g", out=out)
        expected = sum(_quantise(r, g.astype(np.float64), t) for r, g in zip(residuals, grads))
        np.testing.assert_allclose(_np(out), expected, atol=1e-6)
        assert set(np.round(_np(out) / t).tolist()) <= {-2.0, -1.0, 0.0, 1.0, 2.0}


def test_two_bit_compression_small_gradients_accumulate():
    c = TwoBitCompression(1.0)
    sent = [_np(c.quantize("k", mx.nd.array([0.4, -0.3]))).tolist() for _ in range(4)]
    assert sent == [[0, 0], [0, 0], [1, 0], [0, -1]]


def test_pack_unpack_2bit_roundtrip():
    values = np.array([0.5, 0, -0.5, -0.5, 0.5, 0, 0], dtype=np.float32)
    packed = pack_2bit(values)
    assert packed.dtype == np.uint8 and packed.size == 2
    np.testing.assert_array_equal(unpack_2bit(packed, values.size, 0.5, np.float32), values)
