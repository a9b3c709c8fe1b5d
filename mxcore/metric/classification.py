"""Classification metrics: Accuracy, TopKAccuracy, F1 and MCC."""

from __future__ import annotations

import math
import numbers
from typing import Any, List, Optional

import numpy

from ..base import MXNetValueError
from .base import EvalMetric, _as_numpy, _mismatch, alias, check_label_shapes, register

__all__ = ["Accuracy", "TopKAccuracy", "F1", "MCC"]


@alias("acc")
class Accuracy(EvalMetric):
    """Fraction of correct predictions. Predictions of the labels' shape are predicted labels;
    otherwise they are class scores and the class is their argmax along ``axis``.

    Example::

        >>> m = Accuracy()
        >>> m.update(numpy.array([1, 0]), numpy.array([1, 1]))
        >>> m.get()
        ('accuracy', 0.5)
    """

    def __init__(self, axis: int = 1, name: str = "accuracy",
                 output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label_np, pred_np = _as_numpy(label), _as_numpy(pred)
            if pred_np.shape != label_np.shape:
                if pred_np.ndim == 0:
                    raise _mismatch(self.name, label, pred, "predictions have no class axis")
                pred_np = numpy.argmax(pred_np, axis=self.axis)
            pred_flat = pred_np.astype(numpy.int64).ravel()
            label_flat = label_np.astype(numpy.int64).ravel()
            if pred_flat.size != label_flat.size:
                raise _mismatch(self.name, label, pred,
                                f"{pred_flat.size} predicted labels for {label_flat.size} "
                                "labels")
            self._add(int((pred_flat == label_flat).sum()), pred_flat.size)


@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest-scored classes.

    MXNet requires ``top_k > 1``; here ``top_k=1`` is allowed and equals Accuracy. 1-d
    predictions are taken as predicted labels.

    Example::

        >>> m = TopKAccuracy(top_k=2)
        >>> m.update([numpy.array([2])], [numpy.array([[0.1, 0.5, 0.4]])])
        >>> m.get()
        ('top_k_accuracy_2', 1.0)
    """

    def __init__(self, top_k: int = 1, name: str = "top_k_accuracy",
                 output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k < 1:
            raise MXNetValueError(f"TopKAccuracy: top_k must be a positive int, got {top_k!r}")
        self.top_k = int(top_k)
        self.name += f"_{self.top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label_np = _as_numpy(label).astype(numpy.int64).ravel()
            pred_np = _as_numpy(pred)
            if pred_np.ndim > 2:
                raise _mismatch(self.name, label, pred, "predictions must have at most 2 dims")
            if pred_np.shape[:1] != label_np.shape:
                raise _mismatch(self.name, label, pred, "one label per prediction row needed")
            if pred_np.ndim <= 1:
                correct = int((pred_np.astype(numpy.int64) == label_np).sum())
            else:
                num_classes = pred_np.shape[1]
                top_k = min(num_classes, self.top_k)
                best = numpy.argsort(-pred_np.astype(numpy.float64), axis=1,
                                     kind="stable")[:, :top_k]
                correct = int((best == label_np[:, None]).any(axis=1).sum())
            self._add(correct, label_np.shape[0])


class _BinaryStats:
    """True/false positive/negative counts (local and global) for binary classification."""

    def __init__(self) -> None:
        self.local = numpy.zeros(4, dtype=numpy.int64)  # tp, fp, fn, tn
        self.glob = numpy.zeros(4, dtype=numpy.int64)

    def update(self, metric: str, label: Any, pred: Any) -> None:
        label_np = _as_numpy(label).ravel().astype(numpy.int64)
        pred_np = _as_numpy(pred)
        if pred_np.ndim != 2 or pred_np.shape[0] != label_np.size:
            raise _mismatch(metric, label, pred,
                            "predictions must be (batch, classes) scores, one row per label")
        if numpy.unique(label_np).size > 2:
            raise MXNetValueError(f"{metric}: only binary classification is supported; got "
                                  f"labels {sorted(numpy.unique(label_np).tolist())}")
        pred_true = numpy.argmax(pred_np, axis=1) == 1
        label_true = label_np == 1
        counts = numpy.array([(pred_true & label_true).sum(), (pred_true & ~label_true).sum(),
                              (~pred_true & label_true).sum(), (~pred_true & ~label_true).sum()],
                             dtype=numpy.int64)
        self.local += counts
        self.glob += counts

    def reset(self) -> None:
        self.local[:] = 0
        self.glob[:] = 0

    def reset_local(self) -> None:
        self.local[:] = 0

    @staticmethod
    def fscore(counts: numpy.ndarray) -> float:
        tp, fp, fn, _ = (float(c) for c in counts)
        precision = tp / (tp + fp) if tp + fp > 0 else 0.0
        recall = tp / (tp + fn) if tp + fn > 0 else 0.0
        if precision + recall == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)

    @staticmethod
    def mcc(counts: numpy.ndarray) -> float:
        tp, fp, fn, tn = (float(c) for c in counts)
        if tp + fp + fn + tn == 0:
            return 0.0
        denom = 1.0
        for term in (tp + fp, tp + fn, tn + fp, tn + fn):
            if term != 0:  # MXNet's convention: a zero margin leaves the product unchanged
                denom *= term
        return (tp * tn - fp * fn) / math.sqrt(denom)


class _BinaryMetric(EvalMetric):
    """F1 and MCC: 'macro' averages the score of each update, 'micro' scores all samples."""

    def __init__(self, name: str, output_names: Optional[List[str]],
                 label_names: Optional[List[str]], average: str) -> None:
        if average not in ("macro", "micro"):
            raise MXNetValueError(f"{type(self).__name__}: average must be 'macro' or "
                                  f"'micro', got {average!r}")
        self.average = average
        self._stats = _BinaryStats()
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _score(self, counts: numpy.ndarray) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._stats.update(self.name, label, pred)
        stats = self._stats
        if self.average == "macro":
            self._add(self._score(stats.local), 1)
            stats.reset()
        else:
            self.sum_metric = self._score(stats.local) * int(stats.local.sum())
            self.num_inst = int(stats.local.sum())
            self.global_sum_metric = self._score(stats.glob) * int(stats.glob.sum())
            self.global_num_inst = int(stats.glob.sum())

    def reset(self) -> None:
        super().reset()
        self._stats.reset()

    def reset_local(self) -> None:
        super().reset_local()
        self._stats.reset_local()


@register
class F1(_BinaryMetric):
    """F1 score of binary classification (class 1 positive; predictions are (batch, 2)
    scores).

    Example::

        >>> m = F1()
        >>> m.update([numpy.array([1, 0, 1])], [numpy.array([[0.2, 0.8], [0.6, 0.4], [0.9, 0.1]])])
        >>> round(m.get()[1], 4)
        0.6667
    """

    def __init__(self, name: str = "f1", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts: numpy.ndarray) -> float:
        return _BinaryStats.fscore(counts)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of binary classification.

    Example::

        >>> m = MCC()
        >>> m.update([numpy.array([1, 0])], [numpy.array([[0.2, 0.8], [0.6, 0.4]])])
        >>> m.get()
        ('mcc', 1.0)
    """

    def __init__(self, name: str = "mcc", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts: numpy.ndarray) -> float:
        return _BinaryStats.mcc(counts)
