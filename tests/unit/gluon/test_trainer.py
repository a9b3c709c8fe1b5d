"""gluon.Trainer on real Parameters: steps, batch scaling, contexts and kvstore modes,
allreduce_grads/update, learning rate, grad_req='null', deferred init and saved states."""

import os

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon
from mxcore.base import MXNetError, MXNetValueError
from mxcore.gluon import Parameter, ParameterDict, Trainer

CTXS = [mx.cpu(0), mx.cpu(1)]


def _param(name="w", value=(1.0, 2.0, 3.0), ctx=None, **kwargs):
    p = Parameter(name, shape=(len(value),), **kwargs)
    p.initialize(init=mx.init.Constant(0), ctx=ctx)
    p.set_data(mx.nd.array(value))
    return p


def _set_grads(param, *grads):
    """Write one gradient per context and mark it fresh, as backward would."""
    for g, buf, data in zip(grads, param.list_grad(), param.list_data()):
        buf[:] = mx.nd.array(g)
        data._ag.fresh = True


def _backward(param, coef):
    """loss = sum(coef * w) on every context: grad = coef."""
    for ctx in param.list_ctx():
        with autograd.record():
            loss = (param.data(ctx) * mx.nd.array(coef, ctx=ctx)).sum()
        loss.backward()


def test_sgd_step_scales_by_batch_size():
    p = _param()
    trainer = Trainer([p], "sgd", {"learning_rate": 0.1})
    _backward(p, [1.0, -2.0, 4.0])
    trainer.step(batch_size=2)
    np.testing.assert_allclose(p.data().asnumpy(), [1 - 0.05, 2 + 0.1, 3 - 0.2], rtol=1e-6)
    assert trainer.optimizer.rescale_grad == 0.5
    _backward(p, [1.0, -2.0, 4.0])  # the same gradient again
    trainer.step(batch_size=4)
    np.testing.assert_allclose(p.data().asnumpy(), [0.95 - 0.025, 2.1 + 0.05, 2.8 - 0.1],
                               rtol=1e-6)


def test_rescale_grad_from_optimizer_params_is_kept():
    p = _param()
    trainer = Trainer([p], "sgd", {"learning_rate": 1.0, "rescale_grad": 2.0})
    _set_grads(p, [1.0, 1.0, 1.0])
    trainer.step(4)
    np.testing.assert_allclose(p.data().asnumpy(), [0.5, 1.5, 2.5])


@pytest.mark.parametrize("kind", ["list", "tuple", "dict", "ParameterDict"])
def test_params_forms(kind):
    a, b = _param("a"), _param("b", (5.0,))
    if kind == "ParameterDict":
        params = ParameterDict()
        params.update({"a": a, "b": b})
    elif kind == "dict":
        params = {"b": b, "a": a}
    else:
        params = [a, b] if kind == "list" else (a, b)
    trainer = Trainer(params, "sgd", {"learning_rate": 1.0})
    assert trainer._params == [a, b]  # dicts are ordered by sorted key, as MXNet
    _set_grads(a, [1, 1, 1])
    _set_grads(b, [2])
    trainer.step(1)
    np.testing.assert_allclose(a.data().asnumpy(), [0, 1, 2])
    np.testing.assert_allclose(b.data().asnumpy(), [3])


def test_block_collect_params_and_shared_parameter_once():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.One())
    params = list(net.collect_params().values())
    trainer = Trainer(params + params[:1], "sgd", {"learning_rate": 0.5})
    assert len(trainer._params) == 2
    with autograd.record():
        loss = net(mx.nd.ones((1, 3))).sum()
    loss.backward()
    trainer.step(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.full((2, 3), 0.5))
    np.testing.assert_allclose(net.bias.data().asnumpy(), [-0.5, -0.5])  # bias starts at 0


@pytest.mark.parametrize("params", [5, "w", [1.0], [mx.nd.ones((2,))]])
def test_bad_params(params):
    with pytest.raises(MXNetValueError, match="list or dict of Parameters"):
        Trainer(params, "sgd")


def test_uninitialized_parameter_is_an_error():
    with pytest.raises(MXNetError, match="not been initialized"):
        Trainer([Parameter("w", shape=(2,))], "sgd")


def test_grad_req_null_is_skipped():
    p, frozen = _param("p"), _param("frozen", grad_req="null")
    trainer = Trainer([p, frozen], "sgd", {"learning_rate": 1.0, "wd": 0.5})
    _set_grads(p, [1, 1, 1])
    trainer.step(1)
    np.testing.assert_allclose(frozen.data().asnumpy(), [1, 2, 3])
    np.testing.assert_allclose(p.data().asnumpy(), [0.5 - 1, 1 - 1, 1.5 - 1])


def test_parameter_lr_mult_and_wd_mult():
    a = _param("a", lr_mult=2.0)
    b = _param("b", wd_mult=0.0)
    trainer = Trainer([a, b], "sgd", {"learning_rate": 0.1, "wd": 1.0})
    _set_grads(a, [1, 1, 1])
    _set_grads(b, [1, 1, 1])
    trainer.step(1)
    np.testing.assert_allclose(a.data().asnumpy(), np.array([1, 2, 3]) * 0.8 - 0.2,
                               rtol=1e-6)
    np.testing.assert_allclose(b.data().asnumpy(), np.array([1, 2, 3]) - 0.1, rtol=1e-6)


def test_optimizer_instance():
    p = _param()
    sgd = mx.optimizer.SGD(learning_rate=0.1)
    trainer = Trainer([p], sgd)
    assert trainer.optimizer is sgd and sgd.param_dict == {0: p}
    with pytest.raises(MXNetValueError, match="optimizer_params must be None"):
        Trainer([p], mx.optimizer.SGD(), {"learning_rate": 0.1})
    with pytest.raises(MXNetValueError, match="Cannot find optimizer"):
        Trainer([p], "no_such_optimizer")


def test_learning_rate():
    p = _param()
    trainer = Trainer([p], "adam", {"learning_rate": 0.01})
    assert trainer.learning_rate == 0.01
    trainer.set_learning_rate(0.5)
    assert trainer.learning_rate == 0.5 and trainer.optimizer.lr == 0.5
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    t2 = Trainer([_param("q")], "sgd", {"lr_scheduler": sched})
    with pytest.raises(UserWarning):
        t2.set_learning_rate(0.1)
    q = t2._params[0]
    for expected_lr in (1.0, 0.5, 0.25):
        before = q.data().asnumpy().copy()
        _set_grads(q, [1, 1, 1])
        t2.step(1)
        np.testing.assert_allclose(before - q.data().asnumpy(), expected_lr, rtol=1e-6)
    assert t2.learning_rate == 0.25


def test_batch_size_zero():
    trainer = Trainer([_param()], "sgd")
    with pytest.raises(MXNetValueError, match="batch_size"):
        trainer.step(0)


# -- contexts and kvstore modes ------------------------------------------------------------------
G0, G1 = [1.0, 2.0, -1.0], [3.0, -2.0, 0.5]


def _numpy_momentum(w, grads, lr=0.1, mu=0.9, batch=2):
    w, mom = np.array(w, np.float64), 0.0
    for g in grads:
        mom = mu * mom - lr * np.asarray(g) / batch
        w = w + mom
    return w


@pytest.mark.parametrize("kvstore,update_on_kvstore", [
    ("device", None), ("device", True), ("device", False), ("local", False)])
def test_multi_context_sums_gradients(kvstore, update_on_kvstore):
    p = _param(ctx=CTXS)
    trainer = Trainer([p], "sgd", {"learning_rate": 0.1, "momentum": 0.9}, kvstore=kvstore,
                      update_on_kvstore=update_on_kvstore)
    for _ in range(3):
        _set_grads(p, G0, G1)
        trainer.step(2)
    want = _numpy_momentum([1, 2, 3], [np.add(G0, G1)] * 3)
    for arr in p.list_data():
        np.testing.assert_allclose(arr.asnumpy(), want, rtol=1e-5)
    assert trainer._kvstore == kvstore
    assert trainer._update_on_kvstore is (update_on_kvstore is not False)


def test_multi_context_without_kvstore_uses_own_gradients():
    p = _param(ctx=CTXS)
    trainer = Trainer([p], "sgd", {"learning_rate": 0.1, "momentum": 0.9}, kvstore=None)
    for _ in range(2):
        _set_grads(p, G0, G1)
        trainer.step(2)
    np.testing.assert_allclose(p.data(CTXS[0]).asnumpy(), _numpy_momentum([1, 2, 3], [G0] * 2),
                               rtol=1e-5)
    np.testing.assert_allclose(p.data(CTXS[1]).asnumpy(), _numpy_momentum([1, 2, 3], [G1] * 2),
                               rtol=1e-5)
    assert trainer.optimizer.num_update == 2  # counted per device


def test_multi_context_with_real_backward():
    net = gluon.nn.Dense(1, in_units=2)
    net.initialize(mx.init.One(), ctx=CTXS)
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1},
                      update_on_kvstore=False)
    xs = [mx.nd.array([[1.0, 2.0]], ctx=CTXS[0]), mx.nd.array([[3.0, -1.0]], ctx=CTXS[1])]
    with autograd.record():
        losses = [net(x).sum() for x in xs]
    autograd.backward(losses)
    trainer.step(2)
    for ctx in CTXS:
        np.testing.assert_allclose(net.weight.data(ctx).asnumpy(), [[0.8, 0.95]], rtol=1e-6)
        np.testing.assert_allclose(net.bias.data(ctx).asnumpy(), [-0.1], rtol=1e-6)


def test_allreduce_grads_then_update():
    p = _param(ctx=CTXS)
    trainer = Trainer([p], "sgd", {"learning_rate": 1.0}, update_on_kvstore=False)
    _set_grads(p, G0, G1)
    trainer.allreduce_grads()
    for g in p.list_grad():
        np.testing.assert_allclose(g.asnumpy(), np.add(G0, G1))
        g[:] = g * 0.5  # gradient manipulation between the two calls
    trainer.update(batch_size=1)
    for arr in p.list_data():
        np.testing.assert_allclose(arr.asnumpy(), np.array([1, 2, 3]) - np.add(G0, G1) / 2)


def test_allreduce_and_update_refused_when_updating_on_kvstore():
    p = _param(ctx=CTXS)
    trainer = Trainer([p], "sgd")  # several contexts: update_on_kvstore by default
    with pytest.raises(MXNetValueError, match="update_on_kvstore"):
        trainer.allreduce_grads()
    with pytest.raises(MXNetValueError, match="update_on_kvstore"):
        trainer.update(1)


def test_single_context_allreduce_and_update():
    p = _param()
    trainer = Trainer([p], "sgd", {"learning_rate": 1.0})
    _set_grads(p, [1, 1, 1])
    trainer.allreduce_grads()
    trainer.update(1)
    np.testing.assert_allclose(p.data().asnumpy(), [0, 1, 2])
    assert trainer._kvstore is None  # one context: no store, as MXNet


@pytest.mark.parametrize("kvstore", ["horovod", "dist_foo", 3])
def test_unsupported_kvstore(kvstore):
    with pytest.raises(MXNetValueError, match="unknown kvstore"):
        Trainer([_param()], "sgd", kvstore=kvstore)


def test_compression_needs_kvstore_support():
    p = _param(ctx=CTXS)
    trainer = Trainer([p], "sgd", kvstore="local",
                      compression_params={"type": "2bit", "threshold": 0.5})
    with pytest.raises(MXNetValueError, match="compression"):
        trainer.step(1)
    # 'device' (the default) quantises each context's gradient to -t/0/+t before the sum
    p = _param(ctx=CTXS)
    trainer = Trainer([p], "sgd", {"learning_rate": 1.0},
                      compression_params={"type": "2bit", "threshold": 0.5})
    _set_grads(p, [0.6, 0.2, -0.7], [0.6, 0.2, 0.0])
    trainer.step(1)
    for data in p.list_data():
        np.testing.assert_allclose(data.asnumpy(), [0.0, 2.0, 3.5])
    # one context: no store, the setting is unused (as MXNet)
    Trainer([_param()], "sgd", compression_params={"type": "2bit"}).step(
        1, ignore_stale_grad=True)
    with pytest.raises(MXNetError):
        Trainer([_param()], "sgd", compression_params="2bit")


def test_contexts_must_match():
    with pytest.raises(MXNetValueError, match="same set of contexts"):
        Trainer([_param("a"), _param("b", ctx=CTXS)], "sgd")


def test_set_data_resets_the_store():
    p = _param(ctx=CTXS)
    trainer = Trainer([p], "sgd", {"learning_rate": 1.0})
    _set_grads(p, [1, 1, 1], [1, 1, 1])
    trainer.step(1)
    p.set_data(mx.nd.array([10.0, 10.0, 10.0]))
    assert not trainer._kv_initialized
    _set_grads(p, [1, 1, 1], [1, 1, 1])
    trainer.step(1)
    for arr in p.list_data():
        np.testing.assert_allclose(arr.asnumpy(), [8, 8, 8])


def test_deferred_initialization():
    net = gluon.nn.Dense(2)
    net.initialize(mx.init.One())
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        loss = net(mx.nd.ones((1, 3))).sum()
    loss.backward()
    trainer.step(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.full((2, 3), 0.9), rtol=1e-6)


def test_multi_precision_float16_parameter():
    p = Parameter("w", shape=(3,), dtype="float16")
    p.initialize(init=mx.init.One())
    trainer = Trainer([p], "sgd", {"learning_rate": 1e-3, "momentum": 0.9,
                                   "multi_precision": True})
    for _ in range(3):
        _set_grads(p, [1.0, 1.0, 1.0])
        trainer.step(1)
    master = trainer._updaters[0].states[0][1]
    assert master.dtype == np.float32 and p.data().dtype == np.float16
    want = _numpy_momentum([1, 1, 1], [[1.0] * 3] * 3, lr=1e-3, batch=1)
    np.testing.assert_allclose(master.asnumpy(), want, rtol=1e-6)


# -- saved states ------------------------------------------------------------------------------
def _train(trainer, p, grads, ctxs=1):
    for g in grads:
        _set_grads(p, *([g] * ctxs))
        trainer.step(1)


@pytest.mark.parametrize("ctx,kwargs", [(None, {}), (CTXS, {}),
                                        (CTXS, {"update_on_kvstore": False})])
def test_save_and_load_states_resume_exactly(tmp_path, ctx, kwargs):
    grads = [[0.5, -1.0, 2.0], [1.0, 1.0, -0.5], [0.2, 0.3, 0.1], [-1.0, 0.0, 1.0]]
    n = len(ctx or [None])
    ref = _param(ctx=ctx)
    t_ref = Trainer([ref], "adam", {"learning_rate": 0.1, "wd": 0.01}, **kwargs)
    _train(t_ref, ref, grads, n)

    p = _param(ctx=ctx)
    trainer = Trainer([p], "adam", {"learning_rate": 0.1, "wd": 0.01}, **kwargs)
    _train(trainer, p, grads[:2], n)
    fname = str(tmp_path / "trainer.states")
    trainer.save_states(fname)
    assert os.listdir(tmp_path) == ["trainer.states"]  # no temporary left behind
    with open(fname, "rb") as f:
        assert b"pickle" not in f.read()

    resumed = _param(ctx=ctx)
    resumed.set_data(p.data(p.list_ctx()[0]))
    t2 = Trainer([resumed], "sgd", {"learning_rate": 5.0}, **kwargs)
    t2.load_states(fname)
    assert isinstance(t2.optimizer, mx.optimizer.Adam) and t2.learning_rate == 0.1
    assert t2.optimizer.param_dict == {0: resumed}
    assert all(u.optimizer is t2.optimizer for u in t2._updaters)
    _train(t2, resumed, grads[2:], n)
    for a, b in zip(ref.list_data(), resumed.list_data()):
        np.testing.assert_allclose(b.asnumpy(), a.asnumpy(), rtol=1e-6)


def test_save_states_is_atomic_and_errors_are_clear(tmp_path):
    p = _param()
    trainer = Trainer([p], "sgd", {"momentum": 0.9})
    _set_grads(p, [1, 1, 1])
    trainer.step(1)
    fname = tmp_path / "s.states"
    trainer.save_states(str(fname))
    good = fname.read_bytes()
    trainer._updaters[0].states[0] = object()  # cannot be serialised: nothing is written
    with pytest.raises(MXNetError, match="cannot serialise"):
        trainer.save_states(str(fname))
    assert fname.read_bytes() == good
    trainer._updaters[0].states[0] = None
    with pytest.raises(MXNetError, match="cannot write"):
        trainer.save_states(str(tmp_path / "missing_dir" / "s.states"))
    with pytest.raises(MXNetError, match="cannot read"):
        trainer.load_states(str(tmp_path / "nope.states"))
    (tmp_path / "junk").write_bytes(b"junk")
    with pytest.raises(MXNetError):
        trainer.load_states(str(tmp_path / "junk"))


def test_stale_gradients_raise_or_are_skipped():
    p = _param()
    trainer = Trainer([p], "sgd", {"learning_rate": 1.0}, kvstore=None)
    _backward(p, [1.0, 1.0, 1.0])
    trainer.step(1)
    np.testing.assert_allclose(p.data().asnumpy(), [0, 1, 2])
    with pytest.raises(MXNetError, match="has not been updated by backward"):
        trainer.step(1)
    trainer.step(1, ignore_stale_grad=True)  # the stale gradient is skipped
    np.testing.assert_allclose(p.data().asnumpy(), [0, 1, 2])
    _backward(p, [2.0, 2.0, 2.0])
    trainer.update(1)
    np.testing.assert_allclose(p.data().asnumpy(), [-2, -1, 0])
