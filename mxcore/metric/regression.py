"""Regression metrics: MAE, MSE, RMSE and PearsonCorrelation."""

from __future__ import annotations

import math
from typing import Any, List, Optional, Tuple

import numpy

from ..base import MXNetValueError
from .base import (
    EvalMetric,
    _as_numpy,
    _mismatch,
    _shape_of,
    alias,
    check_label_shapes,
    register,
)

__all__ = ["MAE", "MSE", "RMSE", "PearsonCorrelation"]


class _Regression(EvalMetric):
    """MAE, MSE, RMSE: the batch's mean error, averaged over updates (MXNet's convention)."""

    def __init__(self, name: str, output_names: Optional[List[str]],
                 label_names: Optional[List[str]]) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _error(self, diff: numpy.ndarray) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label_np = _as_numpy(label).astype(numpy.float64)
            pred_np = _as_numpy(pred).astype(numpy.float64)
            if label_np.ndim == 1:
                label_np = label_np.reshape(label_np.shape[0], 1)
            if pred_np.ndim == 1:
                pred_np = pred_np.reshape(pred_np.shape[0], 1)
            if label_np.shape != pred_np.shape:
                if label_np.size != pred_np.size:
                    raise _mismatch(self.name, label, pred,
                                    "labels and predictions differ in size")
                label_np = label_np.reshape(pred_np.shape)
            self._add(self._error(label_np - pred_np), 1)


@register
class MAE(_Regression):
    """Mean absolute error.

    Example::

        >>> m = MAE()
        >>> m.update([numpy.array([1.0, 2.0])], [numpy.array([1.5, 2.5])])
        >>> m.get()
        ('mae', 0.5)
    """

    def __init__(self, name: str = "mae", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> float:
        return float(numpy.abs(diff).mean()) if diff.size else 0.0


@register
class MSE(_Regression):
    """Mean squared error.

    Example::

        >>> m = MSE()
        >>> m.update([numpy.array([1.0, 2.0])], [numpy.array([2.0, 2.0])])
        >>> m.get()
        ('mse', 0.5)
    """

    def __init__(self, name: str = "mse", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> float:
        return float((diff ** 2).mean()) if diff.size else 0.0


@register
class RMSE(_Regression):
    """Root mean squared error (of each update, averaged over updates).

    Example::

        >>> m = RMSE()
        >>> m.update([numpy.array([0.0, 0.0])], [numpy.array([3.0, 4.0])])
        >>> round(m.get()[1], 4)
        3.5355
    """

    def __init__(self, name: str = "rmse", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> float:
        return float(numpy.sqrt((diff ** 2).mean())) if diff.size else 0.0


@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels: 'macro' averages each update's
    coefficient, 'micro' correlates all samples seen.

    Example::

        >>> m = PearsonCorrelation()
        >>> m.update([numpy.array([1.0, 2.0, 3.0])], [numpy.array([2.0, 4.0, 6.5])])
        >>> round(m.get()[1], 4)
        0.9979
    """

    def __init__(self, name: str = "pearsonr", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, average: str = "macro") -> None:
        if average not in ("macro", "micro"):
            raise MXNetValueError(f"PearsonCorrelation: average must be 'macro' or 'micro', "
                                  f"got {average!r}")
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def reset(self) -> None:
        super().reset()
        self._moments = _CoMoments()
        self._global_moments = _CoMoments()

    def reset_local(self) -> None:
        super().reset_local()
        self._moments = _CoMoments()

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            if _shape_of(label) != _shape_of(pred):
                raise _mismatch(self.name, label, pred, "labels and predictions differ in "
                                "shape")
            label_np = _as_numpy(label).ravel().astype(numpy.float64)
            pred_np = _as_numpy(pred).ravel().astype(numpy.float64)
            if self.average == "macro":
                self._add(_pearson(label_np, pred_np), 1)
            else:
                self._moments.add(label_np, pred_np)
                self._global_moments.add(label_np, pred_np)
                self._add(0.0, 1)

    def get(self) -> Tuple[str, float]:
        if self.num_inst == 0:
            return self.name, float("nan")
        if self.average == "macro":
            return super().get()
        return self.name, self._moments.correlation()

    def get_global(self) -> Tuple[str, float]:
        if self.global_num_inst == 0:
            return self.name, float("nan")
        if self.average == "macro":
            return super().get_global()
        return self.name, self._global_moments.correlation()


def _pearson(x: numpy.ndarray, y: numpy.ndarray) -> float:
    moments = _CoMoments()
    moments.add(x, y)
    return moments.correlation()


class _CoMoments:
    """Count, means and (co)moments of two samples, merged batch by batch (Chan et al.)."""

    def __init__(self) -> None:
        self.n = 0
        self.mean_x = self.mean_y = 0.0
        self.m_xx = self.m_yy = self.m_xy = 0.0

    def add(self, x: numpy.ndarray, y: numpy.ndarray) -> None:
        nb = x.size
        if nb == 0:
            return
        mx, my = float(x.mean()), float(y.mean())
        dx, dy = x - mx, y - my
        bxx, byy, bxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
        n = self.n + nb
        ddx, ddy = mx - self.mean_x, my - self.mean_y
        weight = self.n * nb / n
        self.m_xx += bxx + ddx * ddx * weight
        self.m_yy += byy + ddy * ddy * weight
        self.m_xy += bxy + ddx * ddy * weight
        self.mean_x += ddx * nb / n
        self.mean_y += ddy * nb / n
        self.n = n

    def correlation(self) -> float:
        denom = math.sqrt(self.m_xx * self.m_yy)
        if self.n < 2 or denom == 0:
            return float("nan")
        return self.m_xy / denom
