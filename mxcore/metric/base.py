"""The metric base class, the registry (``create``, ``register``, ``alias``), the composite
and custom metrics, and the input helpers every metric shares."""

from __future__ import annotations

import numbers
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

import numpy

from ..base import MXNetTypeError, MXNetValueError
from ..ndarray.ndarray import NDArray
from ..registry import ClassRegistry

__all__ = ["EvalMetric", "CompositeEvalMetric", "CustomMetric", "np", "create", "register",
           "alias", "check_label_shapes"]

_T = TypeVar("_T", bound=type)


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
_REGISTRY = ClassRegistry(EvalMetric, "metric")
#: register an EvalMetric subclass under its lower-cased class name (a decorator)
register = _REGISTRY.register
#: also register the decorated metric under each of the given aliases
alias = _REGISTRY.alias


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
    return _REGISTRY.create(metric, "mx.metric.create", *args, **kwargs)


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


# -- custom --------------------------------------------------------------------------------------
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
