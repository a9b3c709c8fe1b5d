"""mx.callback: Speedometer, checkpoints, metric logging and the progress bar."""

from __future__ import annotations

import logging

import pytest

import mxcore as mx


def _param(nbatch, metric=None, epoch=0):
    return mx.model.BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=metric, locals=None)


def _metric(correct=1.0):
    metric = mx.metric.create("acc")
    metric.update([mx.nd.array([0.0])], [mx.nd.array([[correct, 1 - correct]])])
    return metric


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def test_speedometer_logs_every_frequent_batches_and_resets(log):
    speed = mx.callback.Speedometer(batch_size=16, frequent=2)
    metric = _metric()
    for nbatch in range(5):
        speed(_param(nbatch, metric))
    lines = [r.getMessage() for r in log.records]
    assert len(lines) == 2
    assert lines[0].startswith("Epoch[0] Batch [0-2]\tSpeed: ")
    assert lines[0].endswith("samples/sec\taccuracy=1.000000")
    assert lines[1].startswith("Epoch[0] Batch [2-4]")
    assert metric.num_inst == 0 and metric.global_num_inst == 1  # local part reset


def test_speedometer_without_reset_and_without_metric(log):
    speed = mx.callback.Speedometer(batch_size=16, frequent=1, auto_reset=False)
    metric = _metric()
    speed(_param(0, metric))
    speed(_param(1, metric))
    speed(_param(0, None, epoch=1))  # a new epoch restarts the clock: no line
    speed(_param(1, None, epoch=1))
    lines = [r.getMessage() for r in log.records]
    assert lines[0].startswith("Epoch[0] Batch [0-1]")
    assert lines[1].startswith("Iter[1] Batch [1]\tSpeed: ")
    assert metric.num_inst == 1


def test_do_checkpoint_period(tmp_path):
    prefix = str(tmp_path / "ck")
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    callback = mx.callback.do_checkpoint(prefix, period=2)
    args = {"fc_weight": mx.nd.ones((2, 3)), "fc_bias": mx.nd.zeros((2,))}
    for epoch in range(4):
        callback(epoch, net, args, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ck-0002.params", "ck-0004.params", "ck-symbol.json"]


def test_module_checkpoint_calls_save_checkpoint():
    calls = []

    class FakeModule:
        def save_checkpoint(self, prefix, epoch, save_optimizer_states=False):
            calls.append((prefix, epoch, save_optimizer_states))

    callback = mx.callback.module_checkpoint(FakeModule(), "p", period=1,
                                             save_optimizer_states=True)
    callback(0)
    callback(1, None, {}, {})
    assert calls == [("p", 1, True), ("p", 2, True)]


def test_log_train_metric(log):
    metric = _metric()
    callback = mx.callback.log_train_metric(period=2, auto_reset=True)
    callback(_param(1, metric))
    assert not log.records
    callback(_param(2, metric, epoch=3))
    assert [r.getMessage() for r in log.records] == ["Iter[3] Batch[2] Train-accuracy=1.000000"]
    assert metric.num_inst == 0


def test_progress_bar(log):
    bar = mx.callback.ProgressBar(total=4, length=8)
    bar(_param(1))
    bar(_param(4))
    assert [r.getMessage() for r in log.records] == ["[==------] 25%\r", "[========] 100%\r"]
    with pytest.raises(mx.MXNetError, match="total"):
        mx.callback.ProgressBar(total=0)


def test_log_validation_metrics(log):
    mx.callback.LogValidationMetricsCallback()(_param(3, _metric(), epoch=2))
    assert [r.getMessage() for r in log.records] == ["Epoch[2] Validation-accuracy=1.000000"]
