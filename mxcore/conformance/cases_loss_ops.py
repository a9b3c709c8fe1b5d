"""Conformance cases for :mod:`mxcore.ops.loss_ops` (CTCLoss and its gradient).

The reference enumerates every frame-level path (``alphabet_size ** sequence_length`` of
them, so inputs stay tiny), keeps those that collapse to the label (merge repeats, drop
blanks) and sums their probabilities: no recursion shared with the implementation. The
gradient reference is softmax minus each class's posterior frequency over the same paths.
"""

from __future__ import annotations

import itertools
from typing import List, Tuple

import numpy as np

from ..base import MXNetTypeError, MXNetValueError
from .case import Case, ErrorCase, Input

CASES: list = []
ERROR_CASES: list = []


# -- reference -----------------------------------------------------------------------------------
def _collapse(path: Tuple[int, ...], blank: int) -> Tuple[int, ...]:
    out, prev = [], None
    for p in path:
        if p != prev and p != blank:
            out.append(p)
        prev = p
    return tuple(out)


def _sequences(data, label, lengths, use_data_lengths, use_label_lengths, blank_label):
    """Per sample: (log-softmax frames, target label tuple, blank index)."""
    seq_len, batch, alphabet = data.shape
    blank = 0 if blank_label == "first" else alphabet - 1
    pad = 0 if blank_label == "first" else -1
    lengths = list(lengths)
    data_lengths = lengths.pop(0) if use_data_lengths else None
    label_lengths = lengths.pop(0) if use_label_lengths else None
    out = []
    for n in range(batch):
        row = [int(v) for v in label[n]]
        if label_lengths is not None:
            row = row[:int(label_lengths[n])]
        else:
            row = row[:row.index(pad)] if pad in row else row
        frames = seq_len if data_lengths is None else int(data_lengths[n])
        x = data[:frames, n]
        logp = x - x.max(axis=1, keepdims=True) if frames else x
        logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True)) if frames else logp
        out.append((logp, tuple(row), blank))
    return out


def _posterior(logp: np.ndarray, target: Tuple[int, ...], blank: int):
    """Total probability of the target and each (frame, class)'s posterior frequency."""
    frames, alphabet = logp.shape
    total, counts = 0.0, np.zeros((frames, alphabet))
    for path in itertools.product(range(alphabet), repeat=frames):
        if _collapse(path, blank) == target:
            prob = float(np.exp(sum(logp[t, c] for t, c in enumerate(path))))
            total += prob
            for t, c in enumerate(path):
                counts[t, c] += prob
    return total, counts


def ctc_ref(data, label, *lengths, use_data_lengths=False, use_label_lengths=False,
            blank_label="first"):
    out = []
    for logp, target, blank in _sequences(data, label, lengths, use_data_lengths,
                                          use_label_lengths, blank_label):
        total, _ = _posterior(logp, target, blank)
        out.append(-np.log(total) if total > 0 else np.inf)
    return np.array(out, dtype=np.float64)


def ctc_grad_ref(data, label, *lengths, use_data_lengths=False, use_label_lengths=False,
                 blank_label="first"):
    grad = np.zeros(data.shape)
    for n, (logp, target, blank) in enumerate(_sequences(
            data, label, lengths, use_data_lengths, use_label_lengths, blank_label)):
        total, counts = _posterior(logp, target, blank)
        if total > 0:
            grad[:len(logp), n] = np.exp(logp) - counts / total
    return grad


# -- cases ---------------------------------------------------------------------------------------
def _ints(values, dtype: str = "int64") -> Input:
    return Input(np.asarray(values).shape, values=values, dtype=dtype, grad=False)


def _floats(values) -> Input:
    """Label-like values in the case dtype (MXNet passes labels as float arrays)."""
    return Input(np.asarray(values).shape, values=values, grad=False)


_DATA = Input((4, 2, 3), -2.0, 2.0)
_LAST = {"blank_label": "last"}
_LENGTHS = {"use_data_lengths": True, "use_label_lengths": True}


def _both(op_inputs, attrs, name, call=None, grad=True) -> List[Case]:
    """The loss and its gradient kernel on the same inputs."""
    return [Case("CTCLoss", op_inputs, ctc_ref, attrs, name=name, call=call, grad=grad),
            Case("_backward_CTCLoss", op_inputs, ctc_grad_ref, attrs, name=name, grad=False,
                 call=call)]


def _label_lengths_only(op: str):
    """Pass label_lengths by keyword: positionally the third input is data_lengths."""
    return lambda nd, data, label, lengths, **attrs: getattr(nd, op)(
        data, label, label_lengths=lengths, **attrs)


CASES += _both([_DATA, _floats([[1, 2], [2, 0]])], {}, "blank_first_float_labels")
CASES += _both([_DATA, _ints([[1, 1], [0, -1]])], _LAST, "blank_last_repeat_and_pad")
CASES += _both([_DATA, _ints([[1, 2, 1], [2, 2, 0]]), _ints([4, 3], "int32"),
                _ints([2, 1], "int32")], dict(_LENGTHS), "both_lengths")
CASES += _both([_DATA, _floats([[1, 2], [2, 0]]), _floats([3, 2])],
               {"use_data_lengths": True}, "data_lengths_float")
CASES += [
    Case(op, [_DATA, _ints([[0, 1], [1, 0]]), _ints([0, 2])], ref,
         {"use_label_lengths": True, "blank_label": "last"}, name="label_lengths_empty_label",
         call=_label_lengths_only(op), grad=op == "CTCLoss")
    for op, ref in (("CTCLoss", ctc_ref), ("_backward_CTCLoss", ctc_grad_ref))]
CASES += _both([Input((4, 2, 3), -2.0, 2.0, noncontiguous=True), _ints([[2, 1], [1, 0]])],
               {}, "noncontiguous")
CASES += _both([Input((3, 1, 2)), _ints([[1, 1]])], {}, "infeasible_is_inf", grad=False)
CASES += [
    Case("CTCLoss", [Input((3, 0, 4)), _ints(np.zeros((0, 2), dtype=np.int64))], ctc_ref,
         name="empty_batch", grad=False),
    Case("CTCLoss", [Input((0, 2, 3)), _ints([[1, 0], [0, 0]])], ctc_ref,
         name="empty_sequence", grad=False),
    Case("CTCLoss", [Input((3, 2, 3)), _ints(np.zeros((2, 0), dtype=np.int64))], ctc_ref,
         name="no_label_columns"),
    Case("CTCLoss", [Input((5, 1, 3), -1.0, 1.0), _ints([[1, 2, 1]])], ctc_ref,
         name="longer"),
    Case("CTCLoss", [Input((2, 2, 3), values=np.array([[[50, -50, 0]]] * 4).reshape(2, 2, 3)),
                     _ints([[1], [2]])], ctc_ref, name="large_logits", grad=False,
         dtypes=("float32", "float64")),
    Case("ctc_loss", [_DATA, _ints([[1, 0], [2, 1]])], ctc_ref, name="alias"),
    Case("_contrib_CTCLoss", [_DATA, _ints([[1, 0], [2, 1]])], ctc_ref, name="alias"),
    Case("_contrib_ctc_loss", [_DATA, _ints([[0, 1], [-1, -1]])], ctc_ref, dict(_LAST),
         name="alias"),
]

ERROR_CASES += [
    ErrorCase("CTCLoss", [Input((4, 3)), _ints([[1], [2], [1]])], error=MXNetValueError,
              name="data_not_3d"),
    ErrorCase("CTCLoss", [_DATA, _ints([[1], [2], [1]])], error=MXNetValueError,
              name="label_batch_mismatch"),
    ErrorCase("CTCLoss", [_DATA, _ints([1, 2])], error=MXNetValueError, name="label_1d"),
    ErrorCase("CTCLoss", [_DATA, _ints([[1], [2]]), _ints([4, 4, 4])],
              {"use_data_lengths": True}, error=MXNetValueError, name="data_lengths_shape"),
    ErrorCase("CTCLoss", [_DATA, _ints([[1], [2]])], {"use_label_lengths": True},
              error=MXNetValueError, name="missing_label_lengths"),
    ErrorCase("CTCLoss", [Input((4, 2, 3)), _ints([[1], [2]])], error=MXNetTypeError,
              dtype="int32", name="int_data"),
    ErrorCase("CTCLoss", [_DATA, _ints([[1], [2]])], {"blank_label": "middle"},
              error=MXNetValueError, name="bad_blank_label"),
    ErrorCase("_backward_CTCLoss", [Input((4, 2)), _ints([[1], [2]])],
              error=MXNetValueError, name="data_not_3d"),
]
