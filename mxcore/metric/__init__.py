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

from .base import (
    CompositeEvalMetric,
    CustomMetric,
    EvalMetric,
    alias,
    check_label_shapes,
    create,
    np,
    register,
)
from .classification import F1, MCC, Accuracy, TopKAccuracy
from .probabilistic import Caffe, CrossEntropy, Loss, NegativeLogLikelihood, Perplexity, Torch
from .regression import MAE, MSE, RMSE, PearsonCorrelation

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC",
           "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood",
           "PearsonCorrelation", "Loss", "Torch", "Caffe", "CustomMetric", "np", "create",
           "register", "alias", "check_label_shapes"]
