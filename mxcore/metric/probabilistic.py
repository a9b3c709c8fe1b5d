"""Metrics of predicted probabilities and losses: CrossEntropy, NegativeLogLikelihood,
Perplexity, and Loss with its MXNet aliases Torch and Caffe."""

from __future__ import annotations

import math
from typing import Any, List, Optional, Tuple

import numpy

from .base import EvalMetric, _as_list, _as_numpy, _mismatch, alias, check_label_shapes, register

__all__ = ["CrossEntropy", "NegativeLogLikelihood", "Perplexity", "Loss", "Torch", "Caffe"]


class _LogLoss(EvalMetric):
    """CrossEntropy and NegativeLogLikelihood: mean of ``-log(p[label] + eps)`` per sample."""

    def __init__(self, eps: float, name: str, output_names: Optional[List[str]],
                 label_names: Optional[List[str]]) -> None:
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label_np = _as_numpy(label).ravel()
            pred_np = _as_numpy(pred).astype(numpy.float64)
            if pred_np.ndim != 2 or pred_np.shape[0] != label_np.size:
                raise _mismatch(self.name, label, pred,
                                "predictions must be (batch, classes), one row per label")
            index = label_np.astype(numpy.int64)
            if index.size and (index.min() < 0 or index.max() >= pred_np.shape[1]):
                raise _mismatch(self.name, label, pred,
                                f"labels must lie in [0, {pred_np.shape[1]})")
            prob = pred_np[numpy.arange(index.size), index]
            self._add(float((-numpy.log(prob + self.eps)).sum()), index.size)


@alias("ce")
class CrossEntropy(_LogLoss):
    """Cross-entropy of class probabilities against integer labels.

    Example::

        >>> m = CrossEntropy()
        >>> m.update([numpy.array([0])], [numpy.array([[0.5, 0.5]])])
        >>> round(m.get()[1], 4)
        0.6931
    """

    def __init__(self, eps: float = 1e-12, name: str = "cross-entropy",
                 output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@alias("nll_loss")
class NegativeLogLikelihood(_LogLoss):
    """Negative log-likelihood of the labels under the predicted class probabilities.

    Example::

        >>> m = NegativeLogLikelihood()
        >>> m.update([numpy.array([1])], [numpy.array([[0.0, 1.0]])])
        >>> abs(m.get()[1]) < 1e-9
        True
    """

    def __init__(self, eps: float = 1e-12, name: str = "nll-loss",
                 output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
class Perplexity(EvalMetric):
    """``exp`` of the mean negative log-probability of the labels; labels equal to
    ``ignore_label`` are not counted (MXNet requires ``ignore_label``; here it defaults to
    None).

    Example::

        >>> m = Perplexity(ignore_label=None)
        >>> m.update([numpy.array([0, 1])], [numpy.array([[0.5, 0.5], [0.5, 0.5]])])
        >>> m.get()
        ('perplexity', 2.0)
    """

    def __init__(self, ignore_label: Optional[int] = None, axis: int = -1,
                 name: str = "perplexity", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        loss = 0.0
        num = 0
        for label, pred in zip(labels, preds):
            label_np = _as_numpy(label).ravel()
            pred_np = _as_numpy(pred).astype(numpy.float64)
            if pred_np.ndim == 0:
                raise _mismatch(self.name, label, pred, "predictions have no class axis")
            pred_np = numpy.moveaxis(pred_np, self.axis, -1)
            classes = pred_np.shape[-1]
            if classes == 0 or pred_np.size // classes != label_np.size:
                raise _mismatch(self.name, label, pred, "one label per probability vector "
                                "needed")
            index = numpy.clip(label_np.astype(numpy.int64), 0, classes - 1)
            prob = pred_np.reshape(-1, classes)[numpy.arange(label_np.size), index]
            if self.ignore_label is not None:
                ignore = label_np == self.ignore_label
                num -= int(ignore.sum())
                prob = numpy.where(ignore, 1.0, prob)
            loss -= float(numpy.log(numpy.maximum(1e-10, prob)).sum())
            num += prob.size
        self._add(loss, num)

    def get(self) -> Tuple[str, float]:
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, math.exp(self.sum_metric / self.num_inst)

    def get_global(self) -> Tuple[str, float]:
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, math.exp(self.global_sum_metric / self.global_num_inst)


@alias("loss")
class Loss(EvalMetric):
    """Mean of the given loss values (labels are ignored).

    Example::

        >>> m = Loss()
        >>> m.update(None, [numpy.array([1.0, 3.0])])
        >>> m.get()
        ('loss', 2.0)
    """

    def __init__(self, name: str = "loss", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _: Any, preds: Any) -> None:
        for pred in _as_list(preds):
            values = _as_numpy(pred)
            self._add(float(values.astype(numpy.float64).sum()), values.size)


@register
class Torch(Loss):
    """A dummy metric for torch criterions (MXNet's name for Loss)."""

    def __init__(self, name: str = "torch", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """A dummy metric for caffe criterions (MXNet's name for Loss)."""

    def __init__(self, name: str = "caffe", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)
