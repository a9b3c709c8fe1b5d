"""Conformance cases for :mod:`mxcore.ops.output` (output heads).

A head's gradient is not the derivative of its forward pass (it is the loss gradient built from
the label), so finite differences do not apply: every case has ``grad=False``. Instead the
``*_grad`` cases run the op under ``autograd.record()``, call ``backward`` with a head gradient
(which the heads ignore, except SoftmaxOutput with out_grad=True) and compare the forward
output and the data gradient with the formulas MXNet documents, written here as plain loops.
"""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .case import Case, ErrorCase, Input

CASES: list = []
ERROR_CASES: list = []


# -- references --------------------------------------------------------------------------------
def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_output_ref(data, label=None, multi_output=False, preserve_shape=False, **_):
    if data.size == 0:
        return data.copy()
    if multi_output:
        return _softmax(data, 1)
    if preserve_shape:
        return _softmax(data, data.ndim - 1)
    return _softmax(data.reshape(data.shape[0], -1), 1).reshape(data.shape)


def _vectors(prob: np.ndarray, label: np.ndarray, multi_output: bool, preserve_shape: bool):
    """(flat index into prob's class vectors, label) pairs, and the class count."""
    if multi_output:
        n, k = prob.shape[0], prob.shape[1]
        spatial = prob.size // max(n * k, 1)
        labels = label.reshape(n, spatial)
        return [((i, slice(None), s), labels[i, s]) for i in range(n)
                for s in range(spatial)], k, (n, k, spatial)
    if preserve_shape:
        rows, k = prob.size // prob.shape[-1], prob.shape[-1]
    else:
        rows, k = prob.shape[0], prob.size // max(prob.shape[0], 1)
    flat = label.reshape(-1)
    return [((r, slice(None)), flat[r]) for r in range(rows)], k, (rows, k)


def softmax_output_grad_ref(prob, label, grad_scale=1.0, ignore_label=-1.0, multi_output=False,
                            use_ignore=False, preserve_shape=False, normalization="null",
                            out_grad=False, smooth_alpha=0.0):
    """MXNet's SoftmaxOutput gradient for output ``prob`` (head gradient of ones)."""
    if label.shape == prob.shape:
        return (prob - label) * grad_scale
    if prob.size == 0:
        return prob.copy()
    pairs, k, work = _vectors(prob, label, multi_output, preserve_shape)
    p = prob.reshape(work)
    grad = np.zeros(work)
    for key, lab in pairs:
        cls = int(lab)  # truncates toward zero, as MXNet's cast to int
        vec = p[key]
        if smooth_alpha == 0.0:
            g = vec.copy()
            if 0 <= cls < k:
                g[cls] -= 1.0
        else:
            g = vec - smooth_alpha / (k - 1)
            if 0 <= cls < k:
                g[cls] = vec[cls] - 1.0 + smooth_alpha
        if use_ignore and cls == int(ignore_label):
            g = np.zeros_like(vec)
        grad[key] = g
    spatial = work[2] if multi_output else 1
    if normalization == "valid":
        valid = sum(int(v) != int(ignore_label) for v in label.reshape(-1))
        grad *= grad_scale / max(valid, 1)
    else:
        count = 1
        if normalization == "batch":
            count = work[0] if multi_output else label.size
        grad *= grad_scale / spatial / count
    return grad.reshape(prob.shape)


def _softmax_output_autograd_ref(data, label, head, **attrs):
    prob = softmax_output_ref(data, label, **attrs)
    grad = softmax_output_grad_ref(prob, label, **attrs)
    return prob, grad * head if attrs.get("out_grad") else grad


def _regression_ref(kind: str):
    def reference(data, label, head, grad_scale=1.0):
        out = 1.0 / (1.0 + np.exp(-data)) if kind == "logistic" else data.copy()
        diff = out - label.reshape(out.shape)
        if kind == "mae":
            diff = np.where(diff > 0, 1.0, -1.0)
        per_sample = label.size // label.shape[0] if label.shape[0] else 1
        return out, diff * grad_scale / per_sample

    return reference


def make_loss_ref(data, head=None, grad_scale=1.0, valid_thresh=0.0, normalization="null"):
    grad = np.full(data.shape, grad_scale)
    if normalization == "batch":
        grad /= data.shape[0]
    elif normalization == "valid":
        grad /= max(int((data > valid_thresh).sum()), 1)
    return data.copy() if head is None else (data.copy(), grad)


# -- helpers -----------------------------------------------------------------------------------
def _autograd_call(op: str):
    """Run ``op`` under record(), backward with the third input as head gradient; return
    (output, data gradient)."""

    def call(nd, data, *rest, **attrs):
        from .. import autograd

        *inputs, head = rest
        x = data.copy()
        x.attach_grad()
        with autograd.record():
            y = getattr(nd, op)(x, *inputs, **attrs)
        y.backward(head)
        return y, x.grad

    return call


def _labels(values) -> Input:
    return Input(np.asarray(values).shape, values=values, grad=False)


def _head(shape) -> Input:
    return Input(shape, 0.5, 2.0, grad=False)


def _grad_case(op: str, data: Input, label: Input, reference, attrs: Dict[str, Any],
               name: str, **kwargs) -> Case:
    return Case(op, [data, label, _head(data.shape)], reference, attrs, name=name + "_grad",
                call=_autograd_call(op), grad=False, **kwargs)


_X = Input((4, 5), -2.0, 2.0)
_LAB = _labels([0, 4, 2, 1])
_LAB_IGNORE = _labels([0, -1, 3, -1])
_MULTI = Input((2, 3, 4), -2.0, 2.0)
_MULTI_LAB = _labels([[0, 1, 2, 1], [2, -1, 0, -1]])

# -- SoftmaxOutput forward ---------------------------------------------------------------------
CASES += [
    Case("SoftmaxOutput", [_X, _LAB], softmax_output_ref, name="2d", grad=False),
    Case("Softmax", [_X, _LAB], softmax_output_ref, name="alias", grad=False),
    Case("SoftmaxOutput", [Input((2, 3, 4)), _labels([[0, 1, 2], [3, 0, 1]])],
         softmax_output_ref, {"preserve_shape": True}, name="preserve_shape", grad=False),
    Case("SoftmaxOutput", [_MULTI, _MULTI_LAB], softmax_output_ref, {"multi_output": True},
         name="multi_output", grad=False),
    Case("SoftmaxOutput", [Input((2, 3, 2, 2)), _labels(np.zeros((2, 2, 2)))],
         softmax_output_ref, {"multi_output": True}, name="multi_output_4d", grad=False),
    Case("SoftmaxOutput", [Input((4, 5), noncontiguous=True), _LAB], softmax_output_ref,
         name="noncontiguous", grad=False),
    Case("SoftmaxOutput", [Input((1, 1)), _labels([0])], softmax_output_ref, name="size_1",
         grad=False),
    Case("SoftmaxOutput", [Input((0, 3)), _labels(np.zeros((0,)))], softmax_output_ref,
         name="zero_size", grad=False),
    Case("SoftmaxOutput", [Input((2, 3), values=[[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]),
                           _labels([0, 1])], softmax_output_ref, name="large_logits",
         grad=False, dtypes=("float32", "float64")),
    Case("SoftmaxOutput", [Input((2, 3), values=[[np.nan, 0.0, 1.0], [0.0, 1.0, 2.0]]),
                           _labels([0, 1])], softmax_output_ref, name="nan_row", grad=False),
]

# -- SoftmaxOutput gradient (autograd) ---------------------------------------------------------
_REF = _softmax_output_autograd_ref
CASES += [
    _grad_case("SoftmaxOutput", _X, _LAB, _REF, {}, "default"),
    _grad_case("Softmax", _X, _LAB, _REF, {"grad_scale": 0.5}, "alias"),
    _grad_case("SoftmaxOutput", _X, _LAB, _REF, {"grad_scale": 2.5}, "grad_scale"),
    _grad_case("SoftmaxOutput", _X, _LAB_IGNORE, _REF, {"use_ignore": True}, "use_ignore"),
    _grad_case("SoftmaxOutput", _X, _labels([0, 3, 3, 1]), _REF,
               {"use_ignore": True, "ignore_label": 3}, "ignore_label_3"),
    _grad_case("SoftmaxOutput", _X, _LAB, _REF, {"normalization": "batch"}, "batch"),
    _grad_case("SoftmaxOutput", _X, _LAB_IGNORE, _REF,
               {"normalization": "valid", "use_ignore": True}, "valid"),
    _grad_case("SoftmaxOutput", _X, _LAB_IGNORE, _REF, {"normalization": "valid"},
               "valid_counts_without_use_ignore"),
    _grad_case("SoftmaxOutput", _X, _labels([-1, -1, -1, -1]), _REF,
               {"normalization": "valid", "use_ignore": True}, "valid_all_ignored"),
    _grad_case("SoftmaxOutput", _X, _LAB, _REF, {"smooth_alpha": 0.2}, "smooth_alpha"),
    _grad_case("SoftmaxOutput", _X, _LAB_IGNORE, _REF,
               {"smooth_alpha": 0.1, "use_ignore": True}, "smooth_alpha_ignore"),
    _grad_case("SoftmaxOutput", _X, _LAB, _REF, {"out_grad": True, "grad_scale": 2.0},
               "out_grad"),
    _grad_case("SoftmaxOutput", _X, _labels([0.7, 4.2, 2.9, 7.0]), _REF, {},
               "float_and_out_of_range_labels"),
    _grad_case("SoftmaxOutput", _X, Input((4, 5), 0.0, 1.0, grad=False), _REF,
               {"grad_scale": 3.0, "normalization": "batch"}, "probability_label"),
    _grad_case("SoftmaxOutput", _X, Input((4, 5), 0.0, 1.0, grad=False), _REF,
               {"out_grad": True}, "probability_label_out_grad"),
    _grad_case("SoftmaxOutput", Input((2, 3, 4)), _labels([[0, 1, 2], [3, 0, -1]]), _REF,
               {"preserve_shape": True, "normalization": "batch"}, "preserve_shape_batch"),
    _grad_case("SoftmaxOutput", _MULTI, _MULTI_LAB, _REF, {"multi_output": True},
               "multi_output_null"),
    _grad_case("SoftmaxOutput", _MULTI, _MULTI_LAB, _REF,
               {"multi_output": True, "normalization": "batch"}, "multi_output_batch"),
    _grad_case("SoftmaxOutput", _MULTI, _MULTI_LAB, _REF,
               {"multi_output": True, "normalization": "valid", "use_ignore": True},
               "multi_output_valid"),
    _grad_case("SoftmaxOutput", _MULTI, _labels(np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
                                                .reshape(2, 1, 4)), _REF,
               {"multi_output": True, "out_grad": True}, "multi_output_label_with_channel"),
    _grad_case("SoftmaxOutput", Input((4, 5), noncontiguous=True), _LAB, _REF, {},
               "noncontiguous"),
    _grad_case("SoftmaxOutput", Input((0, 3)), _labels(np.zeros((0,))), _REF, {},
               "zero_size"),
    Case("SoftmaxOutput", [_X, _labels(np.array([0, 4, 2, 1], dtype=np.int32)), _head((4, 5))],
         _REF, name="int_label_grad", call=_autograd_call("SoftmaxOutput"), grad=False),
]

# -- the backward kernel on its own ------------------------------------------------------------
_PROB = Input((4, 5), 0.0, 1.0)
CASES += [
    Case("_backward_SoftmaxOutput", [_PROB, _LAB], softmax_output_grad_ref, name="default",
         grad=False),
    Case("_backward_SoftmaxOutput", [_PROB, _LAB_IGNORE], softmax_output_grad_ref,
         {"use_ignore": True, "normalization": "valid", "grad_scale": 2.0}, name="valid",
         grad=False),
    Case("_backward_SoftmaxOutput", [Input((2, 3, 4), 0.0, 1.0), _MULTI_LAB],
         softmax_output_grad_ref, {"multi_output": True, "smooth_alpha": 0.3}, name="multi",
         grad=False),
]

# -- regression outputs ------------------------------------------------------------------------
_REGRESSIONS = (("LinearRegressionOutput", "linear"), ("LogisticRegressionOutput", "logistic"),
                ("MAERegressionOutput", "mae"))
for _op, _kind in _REGRESSIONS:
    _ref = _regression_ref(_kind)
    _fwd = (lambda ref: lambda data, label, grad_scale=1.0: ref(data, label, None,
                                                                  grad_scale)[0])(_ref)
    CASES += [
        Case(_op, [Input((3, 4)), Input((3, 4), grad=False)], _fwd, name="forward",
             grad=False),
        Case(_op, [Input((3, 4), noncontiguous=True), Input((3, 4), grad=False)], _fwd,
             name="noncontiguous", grad=False),
        Case(_op, [Input((0, 2)), Input((0, 2), grad=False)], _fwd, name="zero_size",
             grad=False),
        _grad_case(_op, Input((3, 4)), Input((3, 4), grad=False), _ref, {}, "default"),
        _grad_case(_op, Input((3, 4)), Input((3, 4), grad=False), _ref, {"grad_scale": 3.0},
                   "grad_scale"),
        _grad_case(_op, Input((5, 1)), Input((5,), grad=False), _ref, {}, "label_1d"),
        _grad_case(_op, Input((2, 3, 2)), Input((2, 6), grad=False), _ref, {"grad_scale": 0.5},
                   "label_reshaped"),
    ]
CASES += [
    Case("LogisticRegressionOutput", [Input((1, 3), values=[[-800.0, 0.0, 800.0]]),
                                      Input((1, 3), grad=False)],
         lambda data, label, grad_scale=1.0: 1.0 / (1.0 + np.exp(-data)), name="saturates",
         grad=False, dtypes=("float32", "float64")),
    _grad_case("MAERegressionOutput", Input((2, 2), values=[[1.0, 2.0], [3.0, 4.0]]),
               _labels([[1.0, 0.0], [3.0, 5.0]]), _regression_ref("mae"), {}, "ties_give_minus"),
]

# -- MakeLoss ----------------------------------------------------------------------------------
CASES += [
    Case("MakeLoss", [Input((3, 4))], make_loss_ref, name="forward", grad=False),
    Case("MakeLoss", [Input((3, 4), noncontiguous=True)], make_loss_ref,
         name="noncontiguous", grad=False),
]
for _attrs, _name in (({}, "null"), ({"grad_scale": 2.0, "normalization": "batch"}, "batch"),
                      ({"normalization": "valid"}, "valid"),
                      ({"normalization": "valid", "valid_thresh": 5.0}, "valid_none_above"),
                      ({"normalization": "valid", "valid_thresh": -0.5, "grad_scale": 3.0},
                       "valid_thresh")):
    CASES.append(Case("MakeLoss", [Input((3, 4)), _head((3, 4))], make_loss_ref, _attrs,
                      name=_name + "_grad", call=_autograd_call("MakeLoss"), grad=False))


# -- errors ------------------------------------------------------------------------------------
def _errors() -> List[ErrorCase]:
    ints = Input((4, 5), 0, 3)
    return [
        ErrorCase("SoftmaxOutput", [ints, _LAB], dtype="int32", error=MXNetTypeError,
                  name="int_data"),
        ErrorCase("SoftmaxOutput", [_X, _labels([0, 1, 2])], error=MXNetValueError,
                  name="label_count"),
        ErrorCase("SoftmaxOutput", [Input((5,)), _labels([0])], error=MXNetValueError,
                  name="data_1d"),
        ErrorCase("SoftmaxOutput", [_MULTI, _labels(np.zeros((2, 3)))], {"multi_output": True},
                  error=MXNetValueError, name="multi_output_label"),
        ErrorCase("SoftmaxOutput", [_X, _LAB], {"normalization": "mean"},
                  error=MXNetValueError, name="bad_normalization"),
        ErrorCase("SoftmaxOutput", [_X, _LAB], {"smooth_alpha": 1.5}, error=MXNetValueError,
                  name="bad_smooth_alpha"),
        ErrorCase("SoftmaxOutput", [_X, _LAB], {"bogus": 1}, error=MXNetValueError,
                  name="unknown_param"),
        ErrorCase("_backward_SoftmaxOutput", [Input((2, 3, 4)), _labels(np.zeros((2, 3)))],
                  error=MXNetValueError, name="labels_per_row"),
        ErrorCase("LinearRegressionOutput", [Input((3, 4)), Input((4, 3), grad=False)],
                  error=MXNetValueError, name="label_batch"),
        ErrorCase("LogisticRegressionOutput", [Input((3, 4)), Input((3, 5), grad=False)],
                  error=MXNetValueError, name="label_size"),
        ErrorCase("MAERegressionOutput", [ints, Input((4, 5), grad=False)], dtype="int32",
                  error=MXNetTypeError, name="int_data"),
        ErrorCase("MakeLoss", [Input((3, 4))], {"normalization": "all"},
                  error=MXNetValueError, name="bad_normalization"),
        ErrorCase("MakeLoss", [ints], dtype="int32", error=MXNetTypeError, name="int_data"),
    ]


ERROR_CASES += _errors()
