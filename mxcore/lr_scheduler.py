"""Learning-rate schedulers (``mx.lr_scheduler``), as in MXNet 1.x.

A scheduler is called with the number of updates done so far and returns the learning rate;
optimizers call ``lr_scheduler(num_update)``. Every scheduler can start with a warmup of
``warmup_steps`` updates that goes from ``warmup_begin_lr`` to ``base_lr`` (``'linear'``) or
stays at ``warmup_begin_lr`` (``'constant'``).

Example::

    >>> import mxcore as mx
    >>> sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    >>> [sched(n) for n in range(1, 7)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
"""

from __future__ import annotations

import logging
import math
from typing import List

from .base import MXNetValueError

__all__ = ["LRScheduler", "FactorScheduler", "MultiFactorScheduler", "PolyScheduler",
           "CosineScheduler"]

_LOG = logging.getLogger(__name__)
_WARMUP_MODES = ("linear", "constant")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class LRScheduler:
    """Base class: holds ``base_lr`` and the warmup; subclasses implement ``__call__``."""

    def __init__(self, base_lr: float = 0.01, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0, warmup_mode: str = "linear"):
        if not _is_int(warmup_steps):
            raise MXNetValueError(f"warmup_steps must be an int, got {warmup_steps!r}")
        if warmup_steps < 0:
            raise MXNetValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
        if warmup_begin_lr > base_lr:
            raise MXNetValueError(f"base_lr ({base_lr}) must not be lower than "
                                  f"warmup_begin_lr ({warmup_begin_lr})")
        if warmup_mode not in _WARMUP_MODES:
            raise MXNetValueError(f"warmup_mode must be one of {list(_WARMUP_MODES)}, got "
                                  f"{warmup_mode!r}")
        self.base_lr = base_lr
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update: int) -> float:
        """The learning rate during warmup (``num_update < warmup_steps``)."""
        if num_update >= self.warmup_steps:
            raise MXNetValueError(f"get_warmup_lr: update {num_update} is past the "
                                  f"{self.warmup_steps} warmup steps")
        if self.warmup_mode == "constant":
            return self.warmup_begin_lr
        span = self.warmup_final_lr - self.warmup_begin_lr
        return self.warmup_begin_lr + span * float(num_update) / float(self.warmup_steps)

    def __call__(self, num_update: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")


class FactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` every ``step`` updates, never below
    ``stop_factor_lr``: ``base_lr * factor ** ((num_update - 1) // step)``."""

    def __init__(self, step: int, factor: float = 1, stop_factor_lr: float = 1e-8,
                 base_lr: float = 0.01, warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear"):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise MXNetValueError(f"step must be >= 1 update, got {step}")
        if factor > 1.0:
            raise MXNetValueError(f"factor must be <= 1 so the rate decreases, got {factor}")
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # a loop, not a test: training may resume at a later update
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                _LOG.info("Update[%d]: learning rate reached %0.5e and stays there",
                          num_update, self.base_lr)
            else:
                _LOG.info("Update[%d]: learning rate changed to %0.5e", num_update,
                          self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` after each update count listed in ``step``."""

    def __init__(self, step: List[int], factor: float = 1, base_lr: float = 0.01,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear"):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, list) or not step:
            raise MXNetValueError(f"step must be a non-empty list of update counts, got "
                                  f"{step!r}")
        for i, s in enumerate(step):
            if s < 1:
                raise MXNetValueError(f"every step must be >= 1 update, got {step}")
            if i and s <= step[i - 1]:
                raise MXNetValueError(f"step must be strictly increasing, got {step}")
        if factor > 1.0:
            raise MXNetValueError(f"factor must be <= 1 so the rate decreases, got {factor}")
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step) and num_update > self.step[self.cur_step_ind]:
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            _LOG.info("Update[%d]: learning rate changed to %0.5e", num_update, self.base_lr)
        return self.base_lr


def _check_max_update(max_update: object) -> None:
    if not _is_int(max_update):
        raise MXNetValueError(f"max_update must be an int, got {max_update!r}")
    if max_update < 1:
        raise MXNetValueError(f"max_update must be >= 1, got {max_update}")


def _fraction_done(steps: int, max_steps: int) -> float:
    """Fraction of the decay done (1 when the warmup takes every update)."""
    return float(steps) / float(max_steps) if max_steps > 0 else 1.0


class _DecayScheduler(LRScheduler):
    """Decay from ``base_lr_orig`` to ``final_lr`` over the ``max_steps`` updates after the
    warmup; subclasses give the shape as :meth:`_decayed` of the fraction done."""

    def _set_decay(self, max_update: int, final_lr: float) -> None:
        _check_max_update(max_update)
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def _decayed(self, done: float) -> float:
        raise NotImplementedError

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = self._decayed(
                _fraction_done(num_update - self.warmup_steps, self.max_steps))
        return self.base_lr


class PolyScheduler(_DecayScheduler):
    """Polynomial decay from ``base_lr`` to ``final_lr`` over ``max_update`` updates:
    ``final_lr + (base_lr - final_lr) * (1 - n / max_steps) ** pwr`` (n counted after the
    warmup)."""

    def __init__(self, max_update: int, base_lr: float = 0.01, pwr: float = 2,
                 final_lr: float = 0, warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear"):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self._set_decay(max_update, final_lr)

    def _decayed(self, done: float) -> float:
        return self.final_lr + (self.base_lr_orig - self.final_lr) * pow(1 - done, self.power)


class CosineScheduler(_DecayScheduler):
    """Cosine decay from ``base_lr`` to ``final_lr`` over ``max_update`` updates."""

    def __init__(self, max_update: int, base_lr: float = 0.01, final_lr: float = 0,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear"):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.base_lr_orig = base_lr
        self._set_decay(max_update, final_lr)

    def _decayed(self, done: float) -> float:
        return (self.final_lr + (self.base_lr_orig - self.final_lr)
                * (1 + math.cos(math.pi * done)) / 2)
