"""Output heads (MXNet 1.x): ``SoftmaxOutput`` (alias ``Softmax``), ``LinearRegressionOutput``,
``LogisticRegressionOutput``, ``MAERegressionOutput`` and ``MakeLoss``.

The forward pass is the prediction (softmax, identity, sigmoid). The backward pass is the
gradient of the matching loss with respect to ``data``: it ignores the head gradient (except
``SoftmaxOutput(out_grad=True)``, which multiplies by it) and reads the label; the label gets
no gradient. So ``out.backward()`` on a head trains the network below it, as in MXNet.

Gradients, with ``p`` the forward output:

* SoftmaxOutput, class-index label: ``(p - one_hot(label)) * grad_scale / norm``; rows whose
  label equals ``ignore_label`` are 0 when ``use_ignore``; ``smooth_alpha`` moves ``alpha``
  from the label's class to the others. ``norm`` is 1 / the label count / the count of labels
  other than ``ignore_label`` (at least 1) for normalization ``null`` / ``batch`` / ``valid``;
  with ``multi_output`` the spatial size multiplies ``norm`` unless it is ``valid``, as MXNet.
  A label with the data's shape holds probabilities: ``(p - label) * grad_scale``.
* Linear and logistic regression: ``(p - label) * grad_scale / m``, MAE:
  ``(1 if p > label else -1) * grad_scale / m``, where ``m = label.size / label.shape[0]``.
* MakeLoss: ``grad_scale / norm`` everywhere, ``norm`` being 1, ``data.shape[0]`` or the count
  of elements above ``valid_thresh`` (at least 1).
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ._helpers import prod
from .elemwise import _sigmoid
from .registry import OpDef, Param, one_of, register_op, to_bool, to_float

AREA = "output"
_NORMALIZATIONS = ("null", "batch", "valid")


def _require_float(dtypes) -> None:
    if np.dtype(dtypes[0]).kind != "f":
        raise TypeError(f"data must be a floating-point array, got {np.dtype(dtypes[0])}")


# -- SoftmaxOutput -----------------------------------------------------------------------------
_SOFTMAX_PARAMS = (
    Param("grad_scale", to_float, 1.0, "scale the gradient by this factor"),
    Param("ignore_label", to_float, -1.0,
          "label value whose rows get no gradient when use_ignore is True"),
    Param("multi_output", to_bool, False,
          "softmax over axis 1; the label has one class index per (sample, position)"),
    Param("use_ignore", to_bool, False, "zero the gradient of rows labelled ignore_label"),
    Param("preserve_shape", to_bool, False, "softmax over the last axis (else the data is "
                                            "flattened to (batch, -1))"),
    Param("normalization", one_of(*_NORMALIZATIONS), "null",
          "divide the gradient by 1 ('null'), the label count ('batch') or the count of "
          "labels other than ignore_label ('valid')"),
    Param("out_grad", to_bool, False, "multiply the gradient by the head gradient"),
    Param("smooth_alpha", to_float, 0.0,
          "label smoothing: alpha of the label's weight spread over the other classes"),
)


def _multi_label_shapes(data: Tuple[int, ...]) -> Tuple[Tuple[int, ...], ...]:
    """Label shapes SoftmaxOutput(multi_output=True) accepts for class indices."""
    n, spatial = data[0], tuple(data[2:])
    with_channel = (n, 1) + spatial
    return ((n, prod(spatial)), (n,) + spatial, with_channel)


def _softmax_output_check(shapes, dtypes, multi_output, preserve_shape, smooth_alpha, **_):
    _require_float(dtypes)
    data, label = tuple(shapes[0]), tuple(shapes[1])
    if len(data) < 2:
        raise ValueError(f"data must have at least 2 dimensions, got shape {data}")
    if not 0.0 <= smooth_alpha <= 1.0:
        raise ValueError(f"smooth_alpha must lie in [0, 1], got {smooth_alpha}")
    if label == data:
        return  # probabilities
    allowed = _multi_label_shapes(data) if multi_output else (data[:-1],)
    if label not in allowed:
        raise ValueError(f"label shape {label} does not fit data shape {data}; expected "
                         f"{' or '.join(str(s) for s in allowed)} (class indices) or {data} "
                         "(probabilities)")


def _softmax_along(K, x, axis: int):
    e = K.exp(K.subtract(x, K.max(x, (axis,), True)))
    return K.divide(e, K.sum(e, (axis,), True))


def _softmax_layout(shape: Tuple[int, ...], multi_output: bool, preserve_shape: bool):
    """(working shape, class axis) the softmax runs on."""
    if multi_output:
        n, k = shape[0], shape[1]
        return (n, k, prod(shape[2:])), 1
    if preserve_shape:
        return (prod(shape[:-1]), shape[-1]), 1
    return (shape[0], prod(shape[1:])), 1


def _softmax_output(K, data, label, multi_output, preserve_shape, **_):
    if data.size == 0:
        return K.copy(data)
    work, axis = _softmax_layout(data.shape, multi_output, preserve_shape)
    return K.reshape(_softmax_along(K, K.reshape(data, work), axis), data.shape)


def _backward_check(shapes, dtypes, multi_output, preserve_shape, smooth_alpha, **attrs):
    _softmax_output_check(shapes, dtypes, multi_output, preserve_shape, smooth_alpha)
    data, label = tuple(shapes[0]), tuple(shapes[1])
    if label != data and not multi_output:
        rows = _softmax_layout(data, False, preserve_shape)[0][0]
        if prod(label) != rows:
            raise ValueError(f"label shape {label} has {prod(label)} labels for {rows} rows of "
                             f"data shape {data}; use preserve_shape or multi_output")


def _softmax_output_grad(K, out, label, grad_scale, ignore_label, multi_output, use_ignore,
                         preserve_shape, normalization, out_grad, smooth_alpha):
    """d loss / d data for a head gradient of ones (out is the forward output)."""
    dt = out.dtype
    t = dt.type
    lab = label if label.dtype == dt else K.cast(label, dt)
    if tuple(label.shape) == tuple(out.shape):
        return K.multiply(K.subtract(out, lab), t(grad_scale))
    if out.size == 0:
        return K.copy(out)
    work, _ = _softmax_layout(out.shape, multi_output, preserve_shape)
    rows, k = work[0], work[1]
    prob = K.reshape(out, work)
    if multi_output:
        index = K.reshape(lab, (rows, 1, work[2]))
        classes = K.reshape(K.arange(0, k, 1, dt), (1, k, 1))
    else:
        index = K.reshape(lab, (label.size,))
        index = K.reshape(K.slice(index, (slice(0, rows),)), (rows, 1))
        classes = K.reshape(K.arange(0, k, 1, dt), (1, k))
    index = K.trunc(index)  # MXNet casts labels to int
    hot = K.equal(index, classes)
    if smooth_alpha == 0.0:
        grad = K.subtract(prob, K.cast(hot, dt))
    else:
        other = smooth_alpha / (k - 1) if k > 1 else float("inf")
        grad = K.where(hot, K.add(prob, t(smooth_alpha - 1.0)), K.subtract(prob, t(other)))
    ignored = K.equal(K.trunc(lab), t(np.trunc(ignore_label)))
    if use_ignore:
        keep = K.logical_not(K.equal(index, t(np.trunc(ignore_label))))
        grad = K.where(keep, grad, t(0))
    spatial = work[2] if multi_output else 1
    if normalization == "valid":
        valid = K.subtract(K.full((), label.size, dt), K.sum(K.cast(ignored, dt), None, False))
        scale = K.divide(K.full((), grad_scale, dt), K.maximum(valid, t(1)))
        grad = K.multiply(grad, scale)
    else:
        # 'batch' counts the labels: one per row, or (multi_output) one per sample
        count = 1
        if normalization == "batch":
            count = rows if multi_output else label.size
        grad = K.multiply(grad, t(grad_scale / spatial / count))
    return K.reshape(grad, out.shape)


def _softmax_output_gradient(F, inputs, outputs, out_grads, **attrs):
    grad = F._backward_SoftmaxOutput(outputs[0], inputs[1], **attrs)
    if attrs["out_grad"]:
        grad = grad * out_grads[0]
    return [grad, None]


register_op(OpDef(
    "SoftmaxOutput", ("data", "label"), _SOFTMAX_PARAMS,
    compute=_softmax_output, gradient=_softmax_output_gradient, check=_softmax_output_check,
    aliases=("Softmax",), area=AREA,
    doc="Softmax output head: forward is the softmax (over the flattened non-batch axes, "
        "axis 1 with multi_output, the last axis with preserve_shape); backward is the "
        "cross-entropy gradient against label (class indices, or probabilities of the data's "
        "shape), ignoring the head gradient unless out_grad."))

register_op(OpDef(
    "_backward_SoftmaxOutput", ("data", "label"), _SOFTMAX_PARAMS,
    compute=_softmax_output_grad, check=_backward_check, area=AREA,
    doc="Gradient of SoftmaxOutput with respect to its data, given its output (as data) and "
        "label, for a head gradient of ones."))


# -- regression outputs ------------------------------------------------------------------------
_GRAD_SCALE = Param("grad_scale", to_float, 1.0, "scale the gradient by this factor")


def _regression_check(shapes, dtypes, grad_scale):
    _require_float(dtypes)
    data, label = tuple(shapes[0]), tuple(shapes[1])
    if not data or not label or label[0] != data[0] or prod(label) != prod(data):
        raise ValueError(f"label shape {label} does not fit data shape {data}: both need the "
                         "same batch size and element count")


def _regression_gradient(kind: str):
    def gradient(F, inputs, outputs, out_grads, grad_scale):
        out, label = outputs[0], inputs[1]
        if label.dtype != out.dtype:
            label = F.Cast(label, dtype=out.dtype)
        if label.shape != out.shape:
            label = F.reshape_like(label, out)
        diff = out - label
        if kind == "mae":
            diff = (diff > 0) * 2.0 - 1.0
        per_sample = label.size // label.shape[0] if label.shape[0] else 1
        return [diff * (grad_scale / max(per_sample, 1)), None]

    return gradient


def _register_regression(name: str, kind: str, forward, doc: str) -> None:
    register_op(OpDef(
        name, ("data", "label"), (_GRAD_SCALE,),
        compute=lambda K, data, label, grad_scale: forward(K, data),
        gradient=_regression_gradient(kind), check=_regression_check, area=AREA, doc=doc))


_register_regression(
    "LinearRegressionOutput", "linear", lambda K, x: K.copy(x),
    "Linear regression head: forward is the identity; the gradient is "
    "(out - label) * grad_scale / (label.size / batch).")
_register_regression(
    "LogisticRegressionOutput", "logistic", _sigmoid,
    "Logistic regression head: forward is sigmoid(data); the gradient is "
    "(out - label) * grad_scale / (label.size / batch).")
_register_regression(
    "MAERegressionOutput", "mae", lambda K, x: K.copy(x),
    "Mean absolute error head: forward is the identity; the gradient is "
    "(1 where out > label, else -1) * grad_scale / (label.size / batch).")


# -- MakeLoss ----------------------------------------------------------------------------------
def _make_loss_gradient(F, inputs, outputs, out_grads, grad_scale, valid_thresh, normalization):
    x = inputs[0]
    grad = F.ones_like(x) * grad_scale
    if normalization == "batch":
        return [grad / max(x.shape[0], 1) if x.ndim else grad]
    if normalization == "valid":
        count = F.sum(x > valid_thresh)
        count = F.reshape(F.maximum(count, 1.0), shape=(1,) * max(x.ndim, 1))
        return [F.broadcast_div(grad, count) if x.ndim else grad / count]
    return [grad]


def _make_loss(K: Any, data, **_):
    return K.copy(data)


register_op(OpDef(
    "MakeLoss", ("data",), (
        _GRAD_SCALE,
        Param("valid_thresh", to_float, 0.0,
              "with normalization 'valid', elements above this count as valid"),
        Param("normalization", one_of(*_NORMALIZATIONS), "null",
              "divide the gradient by 1 ('null'), the batch size ('batch') or the count of "
              "elements above valid_thresh ('valid')")),
    compute=_make_loss, gradient=_make_loss_gradient,
    check=lambda shapes, dtypes, **_: _require_float(dtypes), area=AREA,
    doc="Marks data as a loss: forward is the identity; the gradient is grad_scale (divided "
        "as normalization says) whatever the head gradient."))
