"""``mx.callback``: callbacks for ``Module.fit`` that log through :mod:`logging`, as MXNet 1.x.

Batch-end callbacks are called with a :data:`mxcore.model.BatchEndParam` (``epoch``,
``nbatch``, ``eval_metric``, ``locals``); epoch-end callbacks with ``(epoch, symbol,
arg_params, aux_params)``.

Example::

    >>> import mxcore as mx
    >>> metric = mx.metric.create('acc')
    >>> speed = mx.callback.Speedometer(batch_size=32, frequent=2)
    >>> for nbatch in range(5):
    ...     speed(mx.model.BatchEndParam(epoch=0, nbatch=nbatch, eval_metric=metric,
    ...                                  locals=None))
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable

from .base import MXNetValueError
from .model import BatchEndParam, save_checkpoint

__all__ = ["BatchEndParam", "module_checkpoint", "do_checkpoint", "log_train_metric",
           "Speedometer", "ProgressBar", "LogValidationMetricsCallback"]

EpochEndCallback = Callable[[int, Any, dict, dict], None]
BatchEndCallback = Callable[[BatchEndParam], None]


def _check_period(who: str, period: Any) -> int:
    try:
        return max(1, int(period))
    except (TypeError, ValueError):
        raise MXNetValueError(f"{who}: period must be an integer, got {period!r}") from None


def module_checkpoint(mod: Any, prefix: str, period: int = 1,
                      save_optimizer_states: bool = False) -> EpochEndCallback:
    """Epoch-end callback: ``mod.save_checkpoint(prefix, epoch + 1, ...)`` every ``period``
    epochs."""
    period = _check_period("module_checkpoint", period)

    def _callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)

    return _callback


def do_checkpoint(prefix: str, period: int = 1) -> EpochEndCallback:
    """Epoch-end callback writing :func:`mx.model.save_checkpoint` files for epoch
    ``iter_no + 1`` every ``period`` epochs."""
    period = _check_period("do_checkpoint", period)

    def _callback(iter_no: int, sym: Any, arg: dict, aux: dict) -> None:
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)

    return _callback


def log_train_metric(period: int, auto_reset: bool = False) -> BatchEndCallback:
    """Batch-end callback logging the training metric every ``period`` batches (and
    resetting its local part when ``auto_reset``)."""
    period = _check_period("log_train_metric", period)

    def _callback(param: BatchEndParam) -> None:
        if param.nbatch % period != 0 or param.eval_metric is None:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info("Iter[%d] Batch[%d] Train-%s=%f", param.epoch, param.nbatch, name,
                         value)
        if auto_reset:
            param.eval_metric.reset_local()

    return _callback


class Speedometer:
    """Batch-end callback logging samples per second (and the metric) every ``frequent``
    batches; with ``auto_reset`` the metric's local part is reset after each log, so each line
    covers only the batches since the previous one."""

    def __init__(self, batch_size: int, frequent: int = 50, auto_reset: bool = True) -> None:
        self.batch_size = batch_size
        self.frequent = _check_period("Speedometer", frequent)
        self.auto_reset = auto_reset
        self.init = False
        self.tic = 0.0
        self.last_count = 0

    def __call__(self, param: BatchEndParam) -> None:
        count = param.nbatch
        if self.last_count > count:  # a new epoch started
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float("inf")
        if param.eval_metric is None:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count,
                         speed)
        else:
            pairs = param.eval_metric.get_name_value()
            flat = [item for pair in pairs for item in pair]
            fields = "\t%s=%f" * len(pairs)
            if self.auto_reset:
                param.eval_metric.reset_local()
                logging.info("Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec" + fields,
                             param.epoch, count - self.frequent, count, speed, *flat)
            else:
                logging.info("Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec" + fields,
                             param.epoch, count, speed, *flat)
        self.tic = time.time()


class ProgressBar:
    """Batch-end callback logging a text bar of ``length`` characters: ``nbatch`` of
    ``total`` batches done."""

    def __init__(self, total: int, length: int = 80) -> None:
        if int(total) <= 0:
            raise MXNetValueError(f"ProgressBar: total must be positive, got {total!r}")
        self.total = int(total)
        self.bar_len = int(length)

    def __call__(self, param: BatchEndParam) -> None:
        fraction = param.nbatch / float(self.total)
        filled = min(self.bar_len, int(round(self.bar_len * fraction)))
        percent = math.ceil(100.0 * fraction)
        bar = "=" * filled + "-" * (self.bar_len - filled)
        logging.info("[%s] %s%s\r", bar, percent, "%")


class LogValidationMetricsCallback:
    """Eval-end callback logging each validation metric as ``Epoch[e] Validation-name=v``."""

    def __call__(self, param: BatchEndParam) -> None:
        if param.eval_metric is None:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info("Epoch[%d] Validation-%s=%f", param.epoch, name, value)
