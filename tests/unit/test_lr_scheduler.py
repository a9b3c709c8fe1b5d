"""mx.lr_scheduler: schedules and warmups as in MXNet 1.x."""

import math

import pytest

import mxcore as mx
from mxcore.base import MXNetValueError

lrs = mx.lr_scheduler


def test_factor_scheduler():
    s = lrs.FactorScheduler(step=3, factor=0.5, base_lr=1.0)
    got = [s(n) for n in range(0, 11)]
    assert got == [1.0] * 4 + [0.5] * 3 + [0.25] * 3 + [0.125]


def test_factor_scheduler_stop_and_resume():
    s = lrs.FactorScheduler(step=1, factor=0.1, stop_factor_lr=1e-3, base_lr=1.0)
    assert s(100) == 1e-3  # jumping ahead (resuming) applies every missed step
    assert s(101) == 1e-3


def test_multi_factor_scheduler():
    s = lrs.MultiFactorScheduler(step=[2, 5], factor=0.1, base_lr=1.0)
    got = [s(n) for n in range(1, 8)]
    assert got == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01])
    assert s.cur_step_ind == 2 and s.count == 5


def test_poly_scheduler():
    s = lrs.PolyScheduler(max_update=10, base_lr=1.0, pwr=2, final_lr=0.1)
    for n in (0, 3, 10):
        assert s(n) == pytest.approx(0.1 + 0.9 * (1 - n / 10) ** 2)
    assert s(20) == pytest.approx(0.1)  # stays at the final rate


def test_cosine_scheduler():
    s = lrs.CosineScheduler(max_update=8, base_lr=2.0, final_lr=0.0)
    for n in (0, 2, 4, 8):
        assert s(n) == pytest.approx(2.0 * (1 + math.cos(math.pi * n / 8)) / 2)
    assert s(9) == pytest.approx(0.0)


@pytest.mark.parametrize("make", [
    lambda **w: lrs.FactorScheduler(step=100, base_lr=1.0, **w),
    lambda **w: lrs.MultiFactorScheduler(step=[100], base_lr=1.0, **w),
    lambda **w: lrs.PolyScheduler(max_update=100, base_lr=1.0, **w),
    lambda **w: lrs.CosineScheduler(max_update=100, base_lr=1.0, **w),
])
def test_warmup_linear_and_constant(make):
    s = make(warmup_steps=4, warmup_begin_lr=0.2)
    assert [s(n) for n in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert s(4) == pytest.approx(1.0)
    c = make(warmup_steps=4, warmup_begin_lr=0.2, warmup_mode="constant")
    assert [c(n) for n in range(4)] == [0.2] * 4


def test_decay_counts_updates_after_warmup():
    s = lrs.PolyScheduler(max_update=12, base_lr=1.0, pwr=1, warmup_steps=2)
    assert s(2) == pytest.approx(1.0)
    assert s(7) == pytest.approx(0.5)
    assert s(12) == pytest.approx(0.0)
    edge = lrs.CosineScheduler(max_update=3, base_lr=1.0, warmup_steps=3)
    assert edge(3) == pytest.approx(0.0)  # no decay steps left: the final rate


@pytest.mark.parametrize("make,match", [
    (lambda: lrs.FactorScheduler(step=0), "step"),
    (lambda: lrs.FactorScheduler(step=2, factor=1.5), "factor"),
    (lambda: lrs.MultiFactorScheduler(step=[3, 2]), "increasing"),
    (lambda: lrs.MultiFactorScheduler(step=[0, 2]), ">= 1"),
    (lambda: lrs.MultiFactorScheduler(step=5), "list"),
    (lambda: lrs.PolyScheduler(max_update=0), "max_update"),
    (lambda: lrs.CosineScheduler(max_update=2.5), "max_update"),
    (lambda: lrs.FactorScheduler(step=2, warmup_steps=-1), "warmup_steps"),
    (lambda: lrs.FactorScheduler(step=2, warmup_steps=2.0), "warmup_steps"),
    (lambda: lrs.FactorScheduler(step=2, base_lr=0.1, warmup_begin_lr=0.5), "warmup_begin_lr"),
    (lambda: lrs.FactorScheduler(step=2, warmup_mode="cubic"), "warmup_mode"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(MXNetValueError, match=match):
        make()


def test_base_class():
    s = lrs.LRScheduler(base_lr=0.5, warmup_steps=2)
    with pytest.raises(NotImplementedError):
        s(0)
    with pytest.raises(MXNetValueError):
        s.get_warmup_lr(5)


def test_optimizer_calls_scheduler_with_num_update():
    calls = []

    class Recording(lrs.LRScheduler):
        def __call__(self, num_update):
            calls.append(num_update)
            return self.base_lr

    opt = mx.optimizer.SGD(lr_scheduler=Recording(base_lr=0.1))
    up = mx.optimizer.get_updater(opt)
    w = mx.nd.ones((1,))
    for _ in range(3):
        up(0, mx.nd.ones((1,)), w)
    assert calls == [1, 2, 3]
    assert w.asnumpy()[0] == pytest.approx(0.7)
