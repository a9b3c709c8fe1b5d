"""mx.optimizer: every optimizer against a float64 NumPy implementation of its update rule
over several steps, multipliers, multi-precision, the registry and the Updater's states."""

import math
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetValueError
from mxcore.optimizer import OptimizerWarning

SHAPE = (3, 4)
STEPS = 4


def _clip(x, c):
    return np.clip(x, -c, c) if c is not None else x


def _grad(g, k):
    return _clip(g * k.get("rescale_grad", 1.0), k.get("clip_gradient"))


# -- NumPy references: (weight, grad, state dict, t, lr, wd, kwargs) -> new weight --------------
def ref_sgd(w, g, s, t, lr, wd, k):
    mu = k.get("momentum", 0.0)
    mom = mu * s.get("mom", 0.0) - lr * wd * w - lr * _grad(g, k)
    s["mom"] = mom
    return w + mom


def ref_nag(w, g, s, t, lr, wd, k):
    mu = k.get("momentum", 0.0)
    gg = _grad(g, k) + wd * w
    if mu == 0:
        return w - lr * gg
    s["mom"] = mu * s.get("mom", 0.0) + gg
    return w - lr * (mu * s["mom"] + gg)


def _moments(s, g, b1, b2):
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    return s["m"], s["v"]


def ref_adam(w, g, s, t, lr, wd, k):
    b1, b2, eps = k.get("beta1", 0.9), k.get("beta2", 0.999), k.get("epsilon", 1e-8)
    gg = _clip(g * k.get("rescale_grad", 1.0) + wd * w, k.get("clip_gradient"))
    m, v = _moments(s, gg, b1, b2)
    lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - lr_t * m / (np.sqrt(v) + eps)


def ref_adamw(w, g, s, t, lr, wd, k):
    b1, b2, eps = k.get("beta1", 0.9), k.get("beta2", 0.999), k.get("epsilon", 1e-8)
    m, v = _moments(s, _grad(g, k), b1, b2)
    lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - lr_t * (m / (np.sqrt(v) + eps) + wd * w)


def ref_adamax(w, g, s, t, lr, wd, k):
    b1, b2 = k.get("beta1", 0.9), k.get("beta2", 0.999)
    gg = _clip(g * k.get("rescale_grad", 1.0) + wd * w, k.get("clip_gradient"))
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * gg
    s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(gg))
    return w - lr / (1 - b1 ** t) * s["m"] / s["u"]


def ref_nadam(w, g, s, t, lr, wd, k):
    b1, b2, eps, decay = 0.9, 0.999, 1e-8, k.get("schedule_decay", 0.004)
    gg = _clip(g * k.get("rescale_grad", 1.0) + wd * w, k.get("clip_gradient"))
    mu_t = b1 * (1 - 0.5 * 0.96 ** (t * decay))
    mu_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * decay))
    s["sched"] = s.get("sched", 1.0) * mu_t
    m, v = _moments(s, gg, b1, b2)
    m_bar = (1 - mu_t) * gg / (1 - s["sched"]) + mu_t1 * m / (1 - s["sched"] * mu_t1)
    return w - lr * m_bar / (np.sqrt(v / (1 - b2 ** t)) + eps)


def ref_rmsprop(w, g, s, t, lr, wd, k):
    g1, g2, eps = k.get("gamma1", 0.9), k.get("gamma2", 0.9), k.get("epsilon", 1e-8)
    gg = _clip(g * k.get("rescale_grad", 1.0) + wd * w, k.get("clip_gradient"))
    s["n"] = (1 - g1) * gg * gg + g1 * s.get("n", 0.0)
    if not k.get("centered"):
        new = w - lr * gg / np.sqrt(s["n"] + eps)
    else:
        s["g"] = (1 - g1) * gg + g1 * s.get("g", 0.0)
        s["d"] = g2 * s.get("d", 0.0) - lr * gg / np.sqrt(s["n"] - s["g"] ** 2 + eps)
        new = w + s["d"]
    return _clip(new, k.get("clip_weights"))


def ref_adagrad(w, g, s, t, lr, wd, k):
    gg = _grad(g, k)
    s["h"] = s.get("h", 0.0) + gg * gg
    return w - lr * (gg / np.sqrt(s["h"] + k.get("eps", 1e-7)) + wd * w)


def ref_adadelta(w, g, s, t, lr, wd, k):
    rho, eps = k.get("rho", 0.9), k.get("epsilon", 1e-5)
    gg = _grad(g, k)
    s["ag"] = rho * s.get("ag", 0.0) + (1 - rho) * gg * gg
    d = np.sqrt(s.get("ad", 0.0) + eps) / np.sqrt(s["ag"] + eps) * gg
    s["ad"] = rho * s.get("ad", 0.0) + (1 - rho) * d * d
    return w - (d + wd * w)


def ref_ftrl(w, g, s, t, lr, wd, k):
    l1, beta = k.get("lamda1", 0.01), k.get("beta", 1.0)
    gg = _grad(g, k)
    n = s.get("n", np.zeros_like(w))
    s["z"] = s.get("z", 0.0) + gg - (np.sqrt(n + gg * gg) - np.sqrt(n)) * w / lr
    s["n"] = n + gg * gg
    z = s["z"]
    new = (np.sign(z) * l1 - z) / ((beta + np.sqrt(s["n"])) / lr + wd)
    return np.where(np.abs(z) > l1, new, 0.0)


def ref_signum(w, g, s, t, lr, wd, k):
    mu, wd_lh = k.get("momentum", 0.9), k.get("wd_lh", 0.0)
    if mu == 0:
        return (1 - lr * wd) * w - lr * np.sign(g)
    s["mom"] = mu * s.get("mom", 0.0) - (1 - mu) * (wd * w + _grad(g, k))
    return (1 - lr * wd_lh) * w + lr * np.sign(s["mom"])


def ref_lamb(w, g, s, t, lr, wd, k):
    b1, b2, eps = k.get("beta1", 0.9), k.get("beta2", 0.999), k.get("epsilon", 1e-6)
    m, v = _moments(s, _grad(g, k), b1, b2)
    if k.get("bias_correction", True):
        m, v = m / (1 - b1 ** t), v / (1 - b2 ** t)
    r = m / (np.sqrt(v) + eps) + wd * w
    r1, r2 = np.linalg.norm(w), np.linalg.norm(r)
    if k.get("lower_bound"):
        r1 = max(r1, k["lower_bound"])
    if k.get("upper_bound"):
        r1 = min(r1, k["upper_bound"])
    ratio = 1.0 if r1 == 0 or r2 == 0 else r1 / r2
    return w - lr * ratio * r


CONFIGS = [
    ("sgd", ref_sgd, {}),
    ("sgd", ref_sgd, {"momentum": 0.9, "wd": 0.01}),
    ("sgd", ref_sgd, {"momentum": 0.5, "rescale_grad": 0.5, "clip_gradient": 0.3,
                      "lazy_update": False}),
    ("sgd", ref_sgd, {"wd": 0.1, "clip_gradient": 0.2}),
    ("nag", ref_nag, {"momentum": 0.9, "wd": 0.01}),
    ("nag", ref_nag, {"wd": 0.05, "clip_gradient": 0.4}),
    ("adam", ref_adam, {}),
    ("adam", ref_adam, {"wd": 0.1, "beta1": 0.8, "clip_gradient": 0.5, "rescale_grad": 2.0}),
    ("adamw", ref_adamw, {"wd": 0.1}),
    ("adamw", ref_adamw, {"wd": 0.01, "clip_gradient": 0.3, "epsilon": 1e-6}),
    ("adamax", ref_adamax, {"wd": 0.01}),
    ("adamax", ref_adamax, {"clip_gradient": 0.3, "rescale_grad": 0.5}),
    ("nadam", ref_nadam, {"wd": 0.01}),
    ("nadam", ref_nadam, {"clip_gradient": 0.2, "schedule_decay": 0.1}),
    ("rmsprop", ref_rmsprop, {"wd": 0.01}),
    ("rmsprop", ref_rmsprop, {"centered": True, "wd": 0.01, "clip_gradient": 0.5}),
    ("rmsprop", ref_rmsprop, {"clip_weights": 0.3, "gamma1": 0.8}),
    ("adagrad", ref_adagrad, {"wd": 0.01}),
    ("adagrad", ref_adagrad, {"eps": 1e-3, "clip_gradient": 0.3}),
    ("adadelta", ref_adadelta, {"wd": 0.01}),
    ("adadelta", ref_adadelta, {"rho": 0.5, "clip_gradient": 0.3}),
    ("ftrl", ref_ftrl, {"wd": 0.01}),
    ("ftrl", ref_ftrl, {"lamda1": 0.1, "beta": 2.0, "clip_gradient": 0.5}),
    ("signum", ref_signum, {"wd": 0.01, "wd_lh": 0.05}),
    ("signum", ref_signum, {"momentum": 0.0, "wd": 0.01}),
    ("lamb", ref_lamb, {"wd": 0.01}),
    ("lamb", ref_lamb, {"bias_correction": False, "lower_bound": 0.5, "upper_bound": 1.0,
                        "clip_gradient": 0.5}),
]


def _data(seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    w = rng.uniform(-1, 1, SHAPE).astype(np.float32)
    grads = [rng.uniform(-1, 1, SHAPE).astype(np.float32) for _ in range(steps)]
    return w, grads


def _run_reference(ref, w, grads, lr, wd, kwargs):
    w, state = w.astype(np.float64), {}
    out = []
    for t, g in enumerate(grads, start=1):
        w = ref(w, g.astype(np.float64), state, t, lr, wd, kwargs)
        out.append(w)
    return out


@pytest.mark.parametrize("name,ref,kwargs", CONFIGS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
def test_matches_numpy_reference(name, ref, kwargs):
    lr = 0.1
    w0, grads = _data()
    opt = mx.optimizer.create(name, learning_rate=lr, **kwargs)
    updater = mx.optimizer.get_updater(opt)
    weight = mx.nd.array(w0)
    expected = _run_reference(ref, w0, grads, lr, kwargs.get("wd", 0.0), kwargs)
    for step, (g, want) in enumerate(zip(grads, expected), start=1):
        updater(0, mx.nd.array(g), weight)
        np.testing.assert_allclose(weight.asnumpy(), want, rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name} step {step}")
    assert opt.num_update == STEPS


def test_adamax_zero_gradient_is_no_step():
    opt = mx.optimizer.Adamax(learning_rate=0.1)
    w = mx.nd.array([1.0, 2.0])
    mx.optimizer.get_updater(opt)(0, mx.nd.array([0.0, 1.0]), w)
    out = w.asnumpy()
    assert out[0] == 1.0 and np.isfinite(out).all() and out[1] < 2.0


# -- multipliers ----------------------------------------------------------------------------------
class _FakeParam:
    def __init__(self, lr_mult=1.0, wd_mult=1.0):
        self.lr_mult, self.wd_mult = lr_mult, wd_mult


def _one_step(opt, index, w=1.0, g=0.5):
    weight = mx.nd.array([w])
    mx.optimizer.get_updater(opt)(index, mx.nd.array([g]), weight)
    return float(weight.asnumpy()[0])


def test_lr_and_wd_mult_from_param_dict():
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.1,
                           param_dict={0: _FakeParam(lr_mult=2.0, wd_mult=0.0)})
    assert opt._get_lr(0) == pytest.approx(0.2) and opt._get_wd(0) == 0.0
    assert _one_step(opt, 0) == pytest.approx(1.0 - 0.2 * 0.5)


def test_set_lr_mult_and_wd_mult_by_name_and_index():
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.1,
                           param_idx2name={0: "fc_weight", 1: "fc_bias", 2: "bn_gamma"})
    # MXNet: named parameters that are not weights or gammas get no weight decay
    assert opt._get_wd(0) == pytest.approx(0.1)
    assert opt._get_wd(1) == 0.0
    assert opt._get_wd(2) == pytest.approx(0.1)
    opt.set_lr_mult({"fc_weight": 3.0, 2: 0.5})
    opt.set_wd_mult({"fc_bias": 2.0})
    assert opt._get_lr(0) == pytest.approx(0.3)
    assert opt._get_lr(2) == pytest.approx(0.05)
    assert opt._get_lr(1) == pytest.approx(0.1)
    assert opt._get_wd(1) == pytest.approx(0.2)
    assert _one_step(opt, 0, g=1.0) == pytest.approx((1 - 0.3 * 0.1) - 0.3)


# -- multi-precision ------------------------------------------------------------------------------
@pytest.mark.parametrize("name,ref,kwargs", [
    ("sgd", ref_sgd, {"momentum": 0.9, "wd": 0.01}),
    ("sgd", ref_sgd, {"wd": 0.01}),
    ("nag", ref_nag, {"momentum": 0.9}),
    ("adam", ref_adam, {"wd": 0.01}),
    ("lamb", ref_lamb, {"wd": 0.01}),
])
def test_multi_precision_float16(name, ref, kwargs):
    lr = 0.01
    w0, grads = _data(1)
    w0 = w0.astype(np.float16)
    opt = mx.optimizer.create(name, learning_rate=lr, multi_precision=True, **kwargs)
    updater = mx.optimizer.get_updater(opt)
    weight = mx.nd.array(w0, dtype="float16")
    expected = _run_reference(ref, w0.astype(np.float32), [g.astype(np.float16)
                                                           for g in grads], lr,
                              kwargs.get("wd", 0.0), kwargs)
    for g in grads:
        updater(0, mx.nd.array(g, dtype="float16"), weight)
    state = updater.states[0]
    master = state[1] if name in ("sgd", "nag") else state[0]
    assert master.dtype == np.float32 and weight.dtype == np.float16
    # the float32 master copy tracks the float64 reference closely; float16 steps of
    # lr * 0.5 would mostly round away
    np.testing.assert_allclose(master.asnumpy(), expected[-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(weight.asnumpy(), master.asnumpy().astype(np.float16))


def test_float16_without_multi_precision_warns():
    updater = mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))
    with pytest.warns(UserWarning, match="multi_precision"):
        updater(0, mx.nd.ones((2,), dtype="float16"), mx.nd.ones((2,), dtype="float16"))


# -- learning rate, scheduler, counts -------------------------------------------------------------
def test_learning_rate_and_scheduler():
    opt = mx.optimizer.SGD(learning_rate=0.5)
    assert opt.learning_rate == 0.5
    opt.set_learning_rate(0.25)
    assert opt.learning_rate == 0.25 and opt.lr == 0.25
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    assert opt.learning_rate == 1.0  # the scheduler's base_lr is kept
    with pytest.raises(OptimizerWarning):
        opt.set_learning_rate(0.1)
    with pytest.raises(UserWarning):
        opt.set_learning_rate(0.1)
    updater = mx.optimizer.get_updater(opt)
    w = mx.nd.zeros((1,))
    seen = []
    for _ in range(5):
        updater(0, mx.nd.ones((1,)), w)
        seen.append(opt.learning_rate)
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25]
    # steps used lr 1, 1, 0.5, 0.5, 0.25
    assert w.asnumpy()[0] == pytest.approx(-3.25)


def test_learning_rate_overrides_scheduler_base_lr():
    sched = mx.lr_scheduler.FactorScheduler(step=10, base_lr=1.0)
    opt = mx.optimizer.SGD(learning_rate=0.3, lr_scheduler=sched)
    assert sched.base_lr == 0.3 and opt.learning_rate == 0.3


def test_update_counts_per_index_and_device():
    opt = mx.optimizer.Adam(begin_num_update=10)
    updater = mx.optimizer.get_updater(opt)
    a, b = mx.nd.ones((2,)), mx.nd.ones((2,))
    updater([0, 1], [mx.nd.ones((2,))] * 2, [a, b])
    assert opt._index_update_count == {0: 11, 1: 11} and opt.num_update == 11
    c = mx.nd.ones((2,), ctx=mx.cpu(1))
    # another device (its own updater, one shared optimizer, as gluon.Trainer does) counts
    # separately, so it takes the same step
    mx.optimizer.get_updater(opt)(0, mx.nd.ones((2,), ctx=mx.cpu(1)), c)
    assert opt._index_update_count == {0: 11} and opt.num_update == 11
    np.testing.assert_allclose(c.asnumpy(), a.asnumpy())


# -- registry -------------------------------------------------------------------------------------
def test_create_and_register():
    assert isinstance(mx.optimizer.create("SGD", momentum=0.9), mx.optimizer.SGD)
    assert isinstance(mx.optimizer.Optimizer.create_optimizer("rmsprop"),
                      mx.optimizer.RMSProp)
    for name in ("sgd", "nag", "adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad",
                 "adadelta", "ftrl", "signum", "lamb"):
        assert name in mx.optimizer.Optimizer.opt_registry
    with pytest.raises(MXNetValueError, match="Cannot find optimizer"):
        mx.optimizer.create("no_such_optimizer")

    @mx.optimizer.register
    class HalfStep(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            weight[:] = weight - 0.5 * self._get_lr(index) * grad

    try:
        opt = mx.optimizer.create("halfstep", learning_rate=1.0)
        assert _one_step(opt, 0, w=1.0, g=1.0) == 0.5
        with pytest.warns(UserWarning, match="overriding"):
            mx.optimizer.register(type("HalfStep", (mx.optimizer.Optimizer,), {}))
    finally:
        mx.optimizer.Optimizer.opt_registry.pop("halfstep", None)


def test_base_optimizer_update_is_abstract():
    with pytest.raises(NotImplementedError):
        mx.optimizer.Optimizer().update(0, mx.nd.ones((1,)), mx.nd.ones((1,)), None)


# -- Updater states -------------------------------------------------------------------------------
def _train(updater, weights, grads):
    for g in grads:
        for i, w in enumerate(weights):
            updater(i, mx.nd.array(g * (i + 1)), w)


@pytest.mark.parametrize("name,kwargs", [
    ("sgd", {"momentum": 0.9}), ("adam", {}), ("rmsprop", {"centered": True}),
    ("nadam", {}), ("ftrl", {}), ("sgd", {"momentum": 0.9, "multi_precision": True})])
def test_states_round_trip_continues_identically(name, kwargs):
    w0, grads = _data(2, steps=6)
    dtype = "float16" if kwargs.get("multi_precision") else "float32"
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.7, base_lr=0.05)
    full = mx.optimizer.get_updater(mx.optimizer.create(name, lr_scheduler=sched, **kwargs))
    w_full = [mx.nd.array(w0, dtype=dtype), mx.nd.array(-w0, dtype=dtype)]
    _train(full, w_full, grads)

    sched2 = mx.lr_scheduler.FactorScheduler(step=2, factor=0.7, base_lr=0.05)
    first = mx.optimizer.get_updater(mx.optimizer.create(name, lr_scheduler=sched2, **kwargs))
    w_half = [mx.nd.array(w0, dtype=dtype), mx.nd.array(-w0, dtype=dtype)]
    _train(first, w_half, grads[:3])
    blob = first.get_states(dump_optimizer=True)
    assert isinstance(blob, bytes) and b"pickle" not in blob
    resumed = mx.optimizer.get_updater(mx.optimizer.create("sgd"))
    resumed.set_states(blob)
    assert type(resumed.optimizer) is type(first.optimizer)
    assert resumed.optimizer.num_update == 3
    assert resumed.optimizer.lr_scheduler is not sched2
    _train(resumed, w_half, grads[3:])
    for a, b in zip(w_full, w_half):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_states_without_optimizer_and_context_sync():
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    up = mx.optimizer.get_updater(opt)
    w = mx.nd.ones((2,))
    up(0, mx.nd.ones((2,)), w)
    blob = up.get_states()
    other = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    other.set_states(blob)
    assert other.optimizer is not opt and set(other.states) == {0}
    assert other.states_synced == {0: False}
    w1 = mx.nd.array(w.asnumpy(), ctx=mx.cpu(1))
    other(0, mx.nd.ones((2,), ctx=mx.cpu(1)), w1)
    assert other.states[0].context == mx.cpu(1)
    up(0, mx.nd.ones((2,)), w)
    np.testing.assert_allclose(w1.asnumpy(), w.asnumpy())


def test_states_reject_untrusted_input():
    up = mx.optimizer.get_updater(mx.optimizer.SGD())
    import pickle

    with pytest.raises(MXNetValueError, match="not an mxcore optimizer-state"):
        up.set_states(pickle.dumps({0: None}))
    with pytest.raises(MXNetError):
        up.set_states(b"\x00" * 10)
    plain = mx.nd.ones((2,))
    import os
    import tempfile

    path = os.path.join(tempfile.mkdtemp(), "x.params")
    mx.nd.save(path, {"a": plain})
    with open(path, "rb") as f:
        with pytest.raises(MXNetValueError, match="no description"):
            up.set_states(f.read())
    with pytest.raises(MXNetError):
        up.set_states("not bytes")


def test_states_reject_unknown_classes():
    from mxcore.optimizer import _state_io as module

    up = mx.optimizer.get_updater(mx.optimizer.SGD())
    meta = {"format": module.FORMAT, "version": 1, "states": {"__dict__": []},
            "optimizer": {"class": "os.system", "attrs": {"__dict__": []}}}
    with pytest.raises(MXNetValueError, match="not registered"):
        up.set_states(module.pack(meta, {}))
    meta["optimizer"] = None
    meta["states"] = {"__dict__": [[0, {"__lr_scheduler__": "Popen", "attrs": {}}]]}
    with pytest.raises(MXNetValueError, match="unknown LR scheduler"):
        up.set_states(module.pack(meta, {}))
    meta["states"] = {"__dict__": [[0, {"__nd__": "a7"}]]}
    with pytest.raises(MXNetValueError, match="missing array"):
        up.set_states(module.pack(meta, {}))


def test_unserialisable_state_is_a_clear_error():
    up = mx.optimizer.get_updater(mx.optimizer.SGD())
    up.states[0] = object()
    with pytest.raises(MXNetError, match="cannot serialise"):
        up.get_states()


def test_no_warnings_in_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        up = mx.optimizer.get_updater(mx.optimizer.Adam())
        up(0, mx.nd.ones((2,)), mx.nd.ones((2,)))
