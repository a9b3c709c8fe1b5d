"""gluon.loss: loss functions as HybridBlocks.

Each loss is called as ``loss(pred, label[, sample_weight])`` and returns one value per sample
(the mean over every axis but ``batch_axis``), scaled by ``weight`` and ``sample_weight``.

Every ``hybrid_forward`` here uses ``F`` operators only (no ``.shape`` or values of its
arrays), so each loss traces under ``hybridize()``; input checks that need shapes run in
``forward`` on the NDArrays before dispatch.
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any, Optional

from .. import ndarray as nd
from ..base import MXNetTypeError, MXNetValueError
from ..ndarray import NDArray
from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss",
           "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss",
           "KLDivLoss", "CTCLoss", "HuberLoss", "HingeLoss", "SquaredHingeLoss",
           "LogisticLoss", "TripletLoss", "PoissonNLLLoss", "CosineEmbeddingLoss", "SDMLLoss"]


def _check_weight(owner: str, weight: Any) -> None:
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, Number)):
        raise MXNetTypeError(f"{owner}: weight must be a number or None, got {weight!r}")


def _apply_weighting(F: Any, loss: Any, weight: Optional[float] = None,
                     sample_weight: Any = None) -> Any:
    """Scale ``loss`` by the broadcastable ``sample_weight`` and the scalar ``weight``."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        _check_weight("Loss", weight)
        loss = loss * weight
    return loss


def _reshape_like(F: Any, x: Any, y: Any) -> Any:
    """``x`` with ``y``'s shape (same number of elements); ``F.reshape_like`` when traced."""
    if F is nd:
        return x if x.shape == y.shape else F.reshape(x, shape=y.shape)
    return F.reshape_like(x, y)


class Loss(HybridBlock):
    """Base class of losses: holds the scalar ``weight`` and the ``batch_axis``.

    Example::

        >>> import mxcore as mx
        >>> loss = mx.gluon.loss.L1Loss()
        >>> loss(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([[1, 1], [1, 1]])).asnumpy()
        array([0.5, 2.5], dtype=float32)
    """

    def __init__(self, weight: Optional[float], batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_weight(type(self).__name__, weight)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _per_sample(self, F: Any, loss: Any) -> Any:
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward()")


class L2Loss(Loss):
    """Half the squared error: ``L = 0.5 * (label - pred)^2``, averaged per sample."""

    def __init__(self, weight: Optional[float] = 1., batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        half = 0.5 if self._weight is None else self._weight / 2
        return self._per_sample(F, _apply_weighting(F, loss, half, sample_weight))


class L1Loss(Loss):
    """Absolute error: ``L = |label - pred|``, averaged per sample."""

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


def _softplus_neg_abs(F: Any, x: Any) -> Any:
    """``log(1 + exp(-|x|))``, never overflowing."""
    return F.Activation(-F.abs(x), act_type="softrelu")


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy on logits (``from_sigmoid=False``, computed stably) or on
    probabilities; optional ``pos_weight`` (broadcastable to pred) scales the positive term.

    Called as ``loss(pred, label, sample_weight=None, pos_weight=None)``.
    """

    def __init__(self, from_sigmoid: bool = False, weight: Optional[float] = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                # max(x, 0) - x*z + log(1 + exp(-|x|))
                loss = F.relu(pred) - pred * label + _softplus_neg_abs(F, pred)
            else:
                # (1 - z) * x + (1 + (pw - 1) * z) * (log(1 + exp(-|x|)) + max(-x, 0))
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (
                    _softplus_neg_abs(F, pred) + F.relu(-pred))
        else:
            eps = 1e-12
            positive = F.log(pred + eps) * label
            if pos_weight is not None:
                positive = F.broadcast_mul(positive, pos_weight)
            loss = -(positive + F.log(1. - pred + eps) * (1. - label))
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of ``softmax(pred)`` along ``axis`` with integer labels
    (``sparse_label=True``; label shape is pred's without ``axis``) or with a distribution of
    pred's shape. ``from_logits=True`` means pred already holds log-probabilities."""

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: Optional[float] = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``label * (log(label) - pred)``; pred holds
    log-probabilities (``from_logits=True``) or logits normalised along ``axis``."""

    def __init__(self, from_logits: bool = True, axis: int = -1,
                 weight: Optional[float] = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


class CTCLoss(Loss):
    """Connectionist Temporal Classification loss; the blank is the last class.

    ``layout`` is 'NTC' or 'TNC' for pred (activations before softmax, ``alphabet_size``
    including the blank), ``label_layout`` 'NT' or 'TN'; labels are 0-based and padded with
    -1. Called as ``loss(pred, label, pred_lengths=None, label_lengths=None,
    sample_weight=None)``; returns shape (batch_size,).
    """

    def __init__(self, layout: str = "NTC", label_layout: str = "NT",
                 weight: Optional[float] = None, **kwargs: Any) -> None:
        if layout not in ("NTC", "TNC"):
            raise MXNetValueError(
                f"CTCLoss: only 'NTC' and 'TNC' layouts for pred are supported, got {layout!r}")
        if label_layout not in ("NT", "TN"):
            raise MXNetValueError("CTCLoss: only 'NT' and 'TN' layouts for label are "
                                  f"supported, got {label_layout!r}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None,
                       sample_weight=None):
        if self._layout == "NTC":
            pred = F.swapaxes(pred, dim1=0, dim2=1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, dim1=0, dim2=1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None,
                         blank_label="last")
        return _apply_weighting(F, loss, self._weight, sample_weight)


class HuberLoss(Loss):
    """Smoothed L1: ``0.5/rho * err^2`` where ``|err| <= rho``, else ``|err| - 0.5*rho``."""

    def __init__(self, rho: float = 1, weight: Optional[float] = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        err = F.abs(label - pred)
        loss = F.where(err > self._rho, err - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(err))
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


class _MarginLoss(Loss):
    """``max(0, margin - pred * label)``, squared when ``_squared``, for labels -1/1."""

    _squared = False

    def __init__(self, margin: float = 1, weight: Optional[float] = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        if self._squared:
            loss = F.square(loss)
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


class HingeLoss(_MarginLoss):
    """SVM hinge loss ``max(0, margin - pred * label)`` for labels -1/1."""


class SquaredHingeLoss(_MarginLoss):
    """Soft-margin SVM loss ``max(0, margin - pred * label)^2`` for labels -1/1."""

    _squared = True


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))`` for labels -1/1 (``label_format='signed'``) or 0/1
    (``'binary'``), computed stably."""

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0,
                 label_format: str = "signed", **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise MXNetValueError(
                f"LogisticLoss: label_format can only be 'signed' or 'binary', got "
                f"{label_format!r}")
        self._label_format = label_format

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0
        loss = F.relu(pred) - pred * label + _softplus_neg_abs(F, pred)
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


class TripletLoss(Loss):
    """``max(0, |positive - pred|^2 - |negative - pred|^2 + margin)``, the squared distances
    summed over every axis but ``batch_axis``. Called as ``loss(pred, positive, negative,
    sample_weight=None)``."""

    def __init__(self, margin: float = 1, weight: Optional[float] = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative, sample_weight=None):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred),
                     axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, sample_weight)


class PoissonNLLLoss(Loss):
    """Poisson negative log-likelihood: ``exp(pred) - target * pred`` (``from_logits``) or
    ``pred - target * log(pred + epsilon)``; ``compute_full`` adds Stirling's approximation
    of ``log(target!)`` for targets above 1. Called as ``loss(pred, target,
    sample_weight=None, epsilon=1e-08)``."""

    def __init__(self, weight: Optional[float] = None, from_logits: bool = True,
                 batch_axis: int = 0, compute_full: bool = False, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            # evaluated at max(target, 1) so targets <= 1 (masked out) give no NaN
            safe = F._maximum_scalar(target, scalar=1.0)
            stirling = safe * F.log(safe) - safe + 0.5 * F.log(2 * math.pi * safe)
            loss = loss + stirling * (target > 1)
        return self._per_sample(F, _apply_weighting(F, loss, self._weight, sample_weight))


class CosineEmbeddingLoss(Loss):
    """``1 - cos(input1, input2)`` where label is 1, ``max(0, cos - margin)`` where label is
    -1 (cosine along the last axis). Called as ``loss(input1, input2, label,
    sample_weight=None)``; returns shape (batch_size, 1), as MXNet does."""

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0,
                 margin: float = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = F.reshape(label, shape=(-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        dissimilar = F.relu((label == -1) * (cos_sim - self._margin))
        return _apply_weighting(F, similar + dissimilar, self._weight, sample_weight)

    @staticmethod
    def _cosine_similarity(F: Any, x: Any, y: Any, axis: int = -1) -> Any:
        x_norm = F.reshape(F.norm(x, axis=axis), shape=(-1, 1))
        y_norm = F.reshape(F.norm(y, axis=axis), shape=(-1, 1))
        x_dot_y = F.reshape(F.sum(x * y, axis=axis), shape=(-1, 1))
        return x_dot_y / F._maximum_scalar(x_norm * y_norm, scalar=1e-12)


class SDMLLoss(Loss):
    """Batch-wise Smoothed Deep Metric Learning loss for aligned minibatches ``x1``, ``x2``
    of shape (batch_size, dim): each row of x2 is the positive for the same row of x1, every
    other row a negative. Returns shape (batch_size,)."""

    def __init__(self, smoothing_parameter: float = 0.3, weight: Optional[float] = 1.,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def forward(self, x1: Any, x2: Any) -> Any:
        if isinstance(x1, NDArray) and isinstance(x2, NDArray) and \
                (x1.ndim != 2 or x1.shape != x2.shape):
            raise MXNetValueError(f"SDMLLoss: x1 and x2 must both be (batch_size, dim); got "
                                  f"shapes {x1.shape} and {x2.shape}")
        return super().forward(x1, x2)

    def hybrid_forward(self, F, x1, x2):
        diffs = F.expand_dims(x1, axis=1) - F.expand_dims(x2, axis=0)  # broadcast (N, N, D)
        distances = F.sum(F.square(diffs), axis=2)
        # the batch size only through operators, so the graph fits any batch size
        gold = F.diag(F.diag(F.ones_like(distances)))  # (N, N) identity
        batch = F.sum(gold)  # (1,)
        s = self.smoothing_parameter
        off = F.broadcast_div(F.ones_like(batch) * s, F._maximum_scalar(batch - 1, scalar=1.0))
        labels = gold * (1 - s) + F.broadcast_mul(1 - gold, off)
        log_probs = F.log_softmax(-distances, axis=1)
        # KLDivLoss averages over classes; scale back to a sum
        kl = F.broadcast_mul(self.kl_loss(log_probs, labels), batch)
        return _apply_weighting(F, kl, self._weight)
