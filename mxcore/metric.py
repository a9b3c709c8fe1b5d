"""Evaluation metrics (``mx.metric``, also ``mx.gluon.metric``), as in MXNet 1.x.

A metric accumulates ``update(labels, preds)`` calls (lists of NDArrays, single NDArrays or
NumPy arrays) and reports ``get() -> (name, value)``. Every metric keeps a local tally
(``reset_local``) and a global one (``reset`` clears both; ``get_global`` reads it).

Example::

    >>> import mxcore as mx
    >>> acc = mx.metric.create('acc')
    >>> acc.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.7, 0.3], [0.2, 0.8], [0.9, 0.1]])])
    >>> acc.get()
    ('accuracy', 0.6666666666666666)
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

import numpy

from .base import MXNetTypeError, MXNetValueError
from .ndarray.ndarray import NDArray

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC",
           "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood",
           "PearsonCorrelation", "Loss", "Torch", "Caffe", "CustomMetric", "np", "create",
           "register", "alias", "check_label_shapes"]

_T = TypeVar("_T", bound=type)
_REGISTRY: Dict[str, type] = {}


# -- input handling ------------------------------------------------------------------------------
def _as_numpy(x: Any) -> numpy.ndarray:
    """An NDArray, NumPy array or nested list as a NumPy array."""
    if isinstance(x, NDArray):
        return x.asnumpy()
    if isinstance(x, numpy.ndarray):
        return x
    if isinstance(x, (list, tuple, numbers.Number, numpy.generic)):
        return numpy.asarray(x)
    raise MXNetTypeError(f"metric: expected NDArray or numpy.ndarray, got {type(x).__name__}")


def _as_list(x: Any) -> list:
    """One array becomes a one-element list; a list or tuple of arrays stays as it is."""
    if isinstance(x, (NDArray, numpy.ndarray)):
        return [x]
    if isinstance(x, (list, tuple)):
        return list(x)
    raise MXNetTypeError(f"metric: labels and preds must be NDArrays, numpy arrays or lists "
                         f"of them, got {type(x).__name__}")


def _shape_of(x: Any) -> tuple:
    return tuple(getattr(x, "shape", numpy.shape(x)))


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False,
                       shape: bool = False) -> Tuple[Any, Any]:
    """Raise MXNetValueError unless labels and preds agree in count (or, with ``shape``, in
    shape); with ``wrap`` single arrays come back as one-element lists."""
    if shape:
        label_shape, pred_shape = _shape_of(labels), _shape_of(preds)
    else:
        label_shape, pred_shape = len(_as_list(labels)), len(_as_list(preds))
    if label_shape != pred_shape:
        raise MXNetValueError(f"metric: shape of labels {label_shape} does not match shape "
                              f"of predictions {pred_shape}")
    if wrap:
        labels, preds = _as_list(labels), _as_list(preds)
    return labels, preds


def _mismatch(metric: str, label: Any, pred: Any, why: str) -> MXNetValueError:
    return MXNetValueError(f"{metric}: {why}; got shapes {_shape_of(label)} (labels), "
                           f"{_shape_of(pred)} (predictions)")


# -- base class ----------------------------------------------------------------------------------
class EvalMetric:
    """Base class: subclasses implement ``update`` and add to ``sum_metric``/``num_inst``.

    Example::

        >>> class Count(EvalMetric):
        ...     def update(self, labels, preds):
        ...         self._add(len(_as_list(preds)), 1)
        >>> m = Count('count')
        >>> m.update([1], [2])
        >>> m.get()
        ('count', 1.0)
    """

    def __init__(self, name: str, output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, **kwargs: Any) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> Dict[str, Any]:
        """The arguments that recreate this metric with :func:`create`."""
        config = dict(self._kwargs)
        config.update({"metric": type(self).__name__, "name": self.name,
                       "output_names": self.output_names, "label_names": self.label_names})
        return config

    def update_dict(self, label: Dict[str, Any], pred: Dict[str, Any]) -> None:
        """Update from dicts of named outputs/labels, picking ``output_names``/``label_names``."""
        if self.output_names is not None:
            preds = [pred[name] for name in self.output_names]
        else:
            preds = list(pred.values())
        if self.label_names is not None:
            labels = [label[name] for name in self.label_names]
        else:
            labels = list(label.values())
        self.update(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        """Accumulate one batch of labels and predictions."""
        raise NotImplementedError(f"{type(self).__name__} must implement update")

    def _add(self, value: float, count: float) -> None:
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def reset(self) -> None:
        """Clear the local and global tallies."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clear the local tally only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self) -> Tuple[Any, Any]:
        """``(name, value)`` over the updates since the last reset (NaN before any)."""
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, float(self.sum_metric / self.num_inst)

    def get_global(self) -> Tuple[Any, Any]:
        """``(name, value)`` over the updates since the last full ``reset``."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, float(self.global_sum_metric / self.global_num_inst)

    def get_name_value(self) -> List[Tuple[str, float]]:
        """``get()`` as a list of ``(name, value)`` pairs."""
        return _pairs(*self.get())

    def get_global_name_value(self) -> List[Tuple[str, float]]:
        """``get_global()`` as a list of ``(name, value)`` pairs."""
        return _pairs(*self.get_global())


def _pairs(name: Any, value: Any) -> List[Tuple[str, float]]:
    names = name if isinstance(name, list) else [name]
    values = value if isinstance(value, list) else [value]
    return list(zip(names, values))


# -- registry ------------------------------------------------------------------------------------
def register(klass: _T) -> _T:
    """Register an EvalMetric subclass under its lower-cased class name (a decorator)."""
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise MXNetTypeError(f"mx.metric.register: can only register EvalMetric subclasses, "
                             f"got {klass!r}")
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*aliases: str) -> Callable[[_T], _T]:
    """Also register the decorated metric under each of ``aliases``."""

    def decorate(klass: _T) -> _T:
        register(klass)
        for name in aliases:
            _REGISTRY[name.lower()] = klass
        return klass

    return decorate


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a registered name, an instance, a list (a composite), a dict holding the
    key ``metric`` (``get_config()``'s form) or a callable ``feval(label, pred)``.

    Example::

        >>> create(['acc', 'mse']).get()
        (['accuracy', 'mse'], [nan, nan])
    """
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise MXNetValueError(f"mx.metric.create: {type(metric).__name__} is already an "
                                  "instance; extra arguments are not accepted")
        return metric
    if isinstance(metric, (list, tuple)):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, dict):
        spec = dict(metric)
        if "metric" not in spec:
            raise MXNetValueError(f"mx.metric.create: a dict needs the key 'metric', got keys "
                                  f"{sorted(spec)}")
        return create(spec.pop("metric"), *args, **{**spec, **kwargs})
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if not isinstance(metric, str):
        raise MXNetTypeError(f"mx.metric.create: expected a name, a metric, a list or a "
                             f"callable, got {type(metric).__name__}")
    klass = _REGISTRY.get(metric.lower())
    if klass is None:
        raise MXNetValueError(f"mx.metric.create: unknown metric {metric!r}; known: "
                              f"{', '.join(sorted(_REGISTRY))}")
    try:
        return klass(*args, **kwargs)
    except TypeError as exc:
        raise MXNetTypeError(f"mx.metric.create: bad arguments for {klass.__name__}: "
                             f"{exc}") from exc


# -- composite -----------------------------------------------------------------------------------
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns lists of names and values.

    Example::

        >>> m = CompositeEvalMetric(['acc', 'mae'])
        >>> [c.name for c in m.metrics]
        ['accuracy', 'mae']
    """

    def __init__(self, metrics: Optional[Sequence[Any]] = None, name: str = "composite",
                 output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics: List[EvalMetric] = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Add a child metric (anything :func:`create` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """The child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            raise MXNetValueError(f"CompositeEvalMetric: metric index {index} is out of range "
                                  f"[0, {len(self.metrics)})") from None

    def update_dict(self, labels: Dict[str, Any], preds: Dict[str, Any]) -> None:
        if self.label_names is not None:
            labels = OrderedDict(i for i in labels.items() if i[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(i for i in preds.items() if i[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self) -> None:
        super().reset()
        for metric in getattr(self, "metrics", []):
            metric.reset()

    def reset_local(self) -> None:
        super().reset_local()
        for metric in self.metrics:
            metric.reset_local()

    def _collect(self, results: List[Tuple[Any, Any]]) -> Tuple[List[str], List[float]]:
        names: List[str] = []
        values: List[float] = []
        for name, value in results:
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get(self) -> Tuple[List[str], List[float]]:
        return self._collect([m.get() for m in self.metrics])

    def get_global(self) -> Tuple[List[str], List[float]]:
        return self._collect([m.get_global() for m in self.metrics])

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


# -- classification ------------------------------------------------------------------------------
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


# -- regression ----------------------------------------------------------------------------------
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


# -- loss and custom -----------------------------------------------------------------------------
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


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays, returning a value (counted once)
    or ``(sum_metric, num_inst)``.

    Example::

        >>> m = CustomMetric(lambda label, pred: float((label == pred).mean()), name='same')
        >>> m.update([numpy.array([1, 2])], [numpy.array([1, 3])])
        >>> m.get()
        ('same', 0.5)
    """

    def __init__(self, feval: Callable[[Any, Any], Any], name: Optional[str] = None,
                 allow_extra_outputs: bool = False, output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        if not callable(feval):
            raise MXNetTypeError(f"CustomMetric: feval must be callable, got "
                                 f"{type(feval).__name__}")
        if name is None:
            name = getattr(feval, "__name__", "custom")
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        if self._allow_extra_outputs:
            labels, preds = _as_list(labels), _as_list(preds)
        else:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            result = self._feval(_as_numpy(label), _as_numpy(pred))
            if isinstance(result, tuple):
                if len(result) != 2:
                    raise MXNetValueError(f"{self.name}: feval must return a value or "
                                          f"(sum_metric, num_inst), got {len(result)} values")
                self._add(result[0], result[1])
            else:
                self._add(result, 1)

    def get_config(self) -> Dict[str, Any]:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable[[Any, Any], Any], name: Optional[str] = None,
       allow_extra_outputs: bool = False) -> CustomMetric:
    """A CustomMetric from a function of NumPy ``(label, pred)`` (MXNet's ``mx.metric.np``).

    Example::

        >>> def err(label, pred):
        ...     return float(abs(label - pred).mean())
        >>> np(err).name
        'err'
    """

    def feval(label: Any, pred: Any) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = getattr(numpy_feval, "__name__", "custom")
    return CustomMetric(feval, name, allow_extra_outputs)
