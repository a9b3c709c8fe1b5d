"""The ``nccl`` store on CUDA GPUs (skipped, with the reason, without CuPy/NCCL or GPUs)."""

import numpy as np
import pytest

import mxcore as mx


def _gpus(needed):
    try:
        from cupy.cuda import nccl  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"cupy with NCCL is not installed ({exc})")
    count = mx.num_gpus()
    if count < needed:
        pytest.skip(f"needs {needed} GPU(s), found {count}")
    return [mx.gpu(i) for i in range(count)]


def test_nccl_sums_over_gpus_and_updates():
    ctxs = _gpus(1)
    kv = mx.kv.create("nccl")
    kv.init("w", mx.nd.ones((4, 3), ctx=ctxs[0]))
    grads = [mx.nd.ones((4, 3), ctx=c) * (i + 1) for i, c in enumerate(ctxs)]
    kv.push("w", grads)
    outs = [mx.nd.zeros((4, 3), ctx=c) for c in ctxs]
    kv.pull("w", out=outs)
    total = sum(range(1, len(ctxs) + 1))
    for o in outs:
        np.testing.assert_allclose(o.asnumpy(), np.full((4, 3), total))
    kv.set_optimizer(mx.optimizer.create("sgd", learning_rate=0.1))
    kv.pushpull("w", grads, out=outs)
    for o in outs:
        np.testing.assert_allclose(o.asnumpy(), np.full((4, 3), total - 0.1 * total),
                                   rtol=1e-6)


def test_trainer_with_nccl_matches_device():
    ctxs = _gpus(2)
    results = []
    for kvstore in ("device", "nccl"):
        p = mx.gluon.Parameter("w", shape=(3,), init=mx.init.One())
        p.initialize(ctx=ctxs)
        trainer = mx.gluon.Trainer([p], "sgd", {"learning_rate": 0.5}, kvstore=kvstore)
        with mx.autograd.record():
            losses = [(w * (i + 1)).sum() for i, w in enumerate(p.list_data())]
        mx.autograd.backward(losses)
        trainer.step(1)
        results.append([d.asnumpy() for d in p.list_data()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)
