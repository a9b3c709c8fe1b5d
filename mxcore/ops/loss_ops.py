"""Loss operators: ``CTCLoss`` (Connectionist Temporal Classification) and its gradient.

The forward pass is the log-space alpha recursion of Graves et al. (2006) over the extended
label sequence (a blank before, between and after the labels), vectorised over the batch and
the label positions; the gradient runs the matching beta recursion. Everything is written in
backend primitives, so it runs unchanged on any backend.
"""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

from .registry import OpDef, Param, one_of, register_op, to_bool

AREA = "loss_ops"
_INT64 = np.dtype("int64")
_BLANK = Param("blank_label", one_of("first", "last"), "first",
               "'first': channel 0 is the blank and labels pad with 0; 'last': channel "
               "alphabet_size-1 is the blank and labels pad with -1")
_PARAMS = (
    Param("use_data_lengths", to_bool, False,
          "read each sequence's length from data_lengths (else all use sequence_length)"),
    Param("use_label_lengths", to_bool, False,
          "read each label's length from label_lengths (else up to the first padding value)"),
    _BLANK,
)


def _ctc_inputs(attrs: dict) -> Tuple[str, ...]:
    names = ["data", "label"]
    if attrs["use_data_lengths"]:
        names.append("data_lengths")
    if attrs["use_label_lengths"]:
        names.append("label_lengths")
    return tuple(names)


def _ctc_check(shapes, dtypes, use_data_lengths, use_label_lengths, blank_label, **_) -> None:
    if np.dtype(dtypes[0]).kind != "f":
        raise TypeError(f"data must be a floating-point array, got {np.dtype(dtypes[0])}")
    if len(shapes[0]) != 3:
        raise ValueError("data must be 3-d (sequence_length, batch_size, alphabet_size), got "
                         f"shape {tuple(shapes[0])}")
    seq_len, batch, alphabet = shapes[0]
    if len(shapes[1]) != 2 or shapes[1][0] != batch:
        raise ValueError(f"label must be 2-d (batch_size={batch}, label_sequence_length), got "
                         f"shape {tuple(shapes[1])}")
    if alphabet < 1:
        raise ValueError("alphabet_size must be at least 1 (the blank)")
    for i, what in enumerate(_ctc_inputs(
            {"use_data_lengths": use_data_lengths,
             "use_label_lengths": use_label_lengths})[2:], start=2):
        if tuple(shapes[i]) != (batch,):
            raise ValueError(f"{what} must have shape ({batch},), got {tuple(shapes[i])}")


# -- shared preparation -----------------------------------------------------------------------
class _Setup:
    """Everything both recursions need, computed once from the op's inputs."""

    def __init__(self, K: Any, arrays: Sequence[Any], use_data_lengths: bool,
                 use_label_lengths: bool, blank_label: str):
        data, label = arrays[0], arrays[1]
        rest = list(arrays[2:])
        seq_len, batch, alphabet = data.shape
        self.K = K
        self.dtype = np.dtype(np.float32) if data.dtype.itemsize < 4 else data.dtype
        self.T, self.N, self.C = seq_len, batch, alphabet
        x = data if data.dtype == self.dtype else K.cast(data, self.dtype)
        self.logp = _log_softmax_last(K, x)                      # (T, N, C)
        lab = K.cast(label, _INT64) if label.dtype != _INT64 else label
        num_labels = lab.shape[1]
        self.S = 2 * num_labels + 1
        blank = 0 if blank_label == "first" else alphabet - 1
        pad = 0 if blank_label == "first" else -1
        zero = _INT64.type(0)
        if use_label_lengths:
            lab_len = _clip_int(K, K.cast(rest.pop(0 if not use_data_lengths else 1), _INT64),
                                0, num_labels)
        else:
            before_pad = K.equal(K.cumsum(K.cast(K.equal(lab, _INT64.type(pad)), _INT64), 1),
                                 zero)
            lab_len = K.sum(K.cast(before_pad, _INT64), (1,), False)
        if use_data_lengths:
            seq_lens = _clip_int(K, K.cast(rest[0], _INT64), 0, seq_len)
        else:
            seq_lens = K.full((batch,), seq_len, _INT64)
        self.seq_lens = K.reshape(seq_lens, (batch, 1))           # (N, 1)
        self.ext = self._extended(_clip_int(K, lab, 0, alphabet - 1), blank)  # (N, S)
        self.skip = self._skips(blank)                            # (N, S) bool
        self.emit = self._emissions()                             # (T, N, S)
        pos = K.reshape(K.arange(0, self.S, 1, _INT64), (1, self.S))
        two_l = K.reshape(K.multiply(lab_len, _INT64.type(2)), (batch, 1))
        self.final = K.logical_or(K.equal(pos, two_l),
                                  K.equal(pos, K.subtract(two_l, _INT64.type(1))))
        self.neg = self.dtype.type(-np.inf)

    def _extended(self, lab, blank: int):
        """blank, l1, blank, l2, ..., blank: shape (N, 2L+1)."""
        K, n, num_labels = self.K, self.N, self.S // 2
        blanks = K.full((n, num_labels, 1), blank, _INT64)
        pairs = K.concat([blanks, K.reshape(lab, (n, num_labels, 1))], 2)
        return K.concat([K.reshape(pairs, (n, 2 * num_labels)), K.full((n, 1), blank, _INT64)],
                        1)

    def _skips(self, blank: int):
        """Whether position s may be reached from s-2 (a label differing from the one before)."""
        K, n = self.K, self.N
        if self.S < 3:
            return K.full((n, self.S), False, np.dtype(bool))
        cur = K.slice(self.ext, (slice(None), slice(2, None)))
        prev = K.slice(self.ext, (slice(None), slice(0, self.S - 2)))
        ok = K.logical_and(K.not_equal(cur, _INT64.type(blank)), K.not_equal(cur, prev))
        return K.concat([K.full((n, 2), False, np.dtype(bool)), ok], 1)

    def _flat_ext(self):
        """Positions of each extended label in a (T, N*C) view of the log-probabilities."""
        K = self.K
        rows = K.reshape(K.multiply(K.arange(0, self.N, 1, _INT64), _INT64.type(self.C)),
                         (self.N, 1))
        return K.reshape(K.add(self.ext, rows), (self.N * self.S,))

    def _emissions(self):
        K = self.K
        flat = K.reshape(self.logp, (self.T, self.N * self.C))
        return K.reshape(K.take(flat, self._flat_ext(), 1), (self.T, self.N, self.S))

    # -- recursions ---------------------------------------------------------------------------
    def step_emission(self, t: int):
        return self.K.reshape(self.K.slice(self.emit, (t,)), (self.N, self.S))

    def active(self, t: int):
        """(N, 1) bool: frame t lies inside each sequence."""
        return self.K.greater(self.seq_lens, _INT64.type(t))

    def alphas(self) -> List[Any]:
        """alpha after each frame (frozen once a sequence ends), as (N, S) arrays."""
        K = self.K
        # before the first frame: all probability in a virtual state feeding positions 0, 1
        start = K.concat([K.full((self.N, 1), 0, self.dtype),
                          K.full((self.N, self.S - 1), self.neg, self.dtype)], 1)
        self.start = start
        alpha, out = start, []
        for t in range(self.T):
            shifted1 = self._shift(alpha, 1)
            shifted2 = K.where(self.skip, self._shift(alpha, 2), self.neg)
            new = K.add(_logsumexp3(K, alpha, shifted1, shifted2), self.step_emission(t))
            alpha = K.where(self.active(t), new, alpha)
            out.append(alpha)
        return out

    def betas(self) -> List[Any]:
        """beta at each frame (log-probability of the frames after it), as (N, S) arrays."""
        K = self.K
        beta = K.where(self.final, self.dtype.type(0), self.neg)
        out = [beta] * self.T
        skip_next = self._shift(self.skip, -2, fill=False)
        for t in range(self.T - 1, 0, -1):
            nxt = K.add(beta, self.step_emission(t))
            cand = _logsumexp3(K, nxt, self._shift(nxt, -1),
                               K.where(skip_next, self._shift(nxt, -2), self.neg))
            beta = K.where(self.active(t), cand, beta)
            out[t - 1] = beta
        return out

    def log_likelihood(self, last_alpha):
        K = self.K
        masked = K.where(self.final, last_alpha, self.neg)
        return _logsumexp(K, masked, 1)                          # (N,)

    def _shift(self, x, by: int, fill: Any = None):
        """Shift along the position axis (right for by > 0), filling with -inf or ``fill``."""
        K, n, s = self.K, self.N, self.S
        k = min(abs(by), s)
        fill_value = self.neg if fill is None else fill
        pad = K.full((n, k), fill_value, x.dtype)
        if by > 0:
            return K.concat([pad, K.slice(x, (slice(None), slice(0, s - k)))], 1)
        return K.concat([K.slice(x, (slice(None), slice(k, None))), pad], 1)


def _log_softmax_last(K, x):
    m = K.max(x, (2,), True)
    m = K.where(K.isfinite(m), m, x.dtype.type(0))
    z = K.subtract(x, m)
    return K.subtract(z, K.log(K.sum(K.exp(z), (2,), True)))


def _clip_int(K, x, low: int, high: int):
    return K.minimum(K.maximum(x, _INT64.type(low)), _INT64.type(max(high, low)))


def _logsumexp3(K, a, b, c):
    m = K.maximum(K.maximum(a, b), c)
    m = K.where(K.isfinite(m), m, a.dtype.type(0))
    total = K.add(K.add(K.exp(K.subtract(a, m)), K.exp(K.subtract(b, m))),
                  K.exp(K.subtract(c, m)))
    return K.add(m, K.log(total))


def _logsumexp(K, x, axis: int):
    if x.shape[axis] == 0:
        return K.full(x.shape[:axis] + x.shape[axis + 1:], -np.inf, x.dtype)
    m = K.max(x, (axis,), True)
    m = K.where(K.isfinite(m), m, x.dtype.type(0))
    out = K.add(m, K.log(K.sum(K.exp(K.subtract(x, m)), (axis,), True)))
    return K.reshape(out, x.shape[:axis] + x.shape[axis + 1:])


# -- the operators ----------------------------------------------------------------------------
def _ctc_loss(K, *arrays, use_data_lengths, use_label_lengths, blank_label):
    setup = _Setup(K, arrays, use_data_lengths, use_label_lengths, blank_label)
    alphas = setup.alphas()
    last = alphas[-1] if alphas else setup.start
    # 0 - x rather than -x: an empty label in an empty sequence gives 0, not -0
    loss = K.subtract(K.full(last.shape[:1], 0, setup.dtype), setup.log_likelihood(last))
    return loss if loss.dtype == arrays[0].dtype else K.cast(loss, arrays[0].dtype)


def _ctc_grad_kernel(K, *arrays, use_data_lengths, use_label_lengths, blank_label):
    """d loss / d data, one loss per sequence (head gradient 1)."""
    setup = _Setup(K, arrays, use_data_lengths, use_label_lengths, blank_label)
    T, N, S, C, dt = setup.T, setup.N, setup.S, setup.C, setup.dtype
    if T == 0 or N == 0:
        return K.full(arrays[0].shape, 0, arrays[0].dtype)
    alphas, betas = setup.alphas(), setup.betas()
    loglik = setup.log_likelihood(alphas[-1])                     # (N,)
    feasible = K.reshape(K.isfinite(loglik), (1, N, 1))
    loglik = K.where(K.isfinite(loglik), loglik, dt.type(0))
    stack_a = K.concat([K.reshape(a, (1, N, S)) for a in alphas], 0)
    stack_b = K.concat([K.reshape(b, (1, N, S)) for b in betas], 0)
    log_occ = K.subtract(K.add(stack_a, stack_b), K.reshape(loglik, (1, N, 1)))
    frames = K.reshape(K.arange(0, T, 1, _INT64), (T, 1, 1))
    active = K.less(frames, K.reshape(setup.seq_lens, (1, N, 1)))   # (T, N, 1)
    occ = K.where(active, K.exp(log_occ), dt.type(0))
    per_class = K.scatter_add(K.full((T, N * C), 0, dt), 1, setup._flat_ext(),
                              K.reshape(occ, (T, N * S)))
    grad = K.subtract(K.exp(setup.logp), K.reshape(per_class, (T, N, C)))
    grad = K.where(K.logical_and(active, feasible), grad, dt.type(0))
    return grad if grad.dtype == arrays[0].dtype else K.cast(grad, arrays[0].dtype)


def _ctc_gradient(F, inputs, outputs, out_grads, use_data_lengths, use_label_lengths,
                  blank_label):
    attrs = {"use_data_lengths": use_data_lengths, "use_label_lengths": use_label_lengths,
             "blank_label": blank_label}
    named = dict(zip(_ctc_inputs(attrs), inputs))  # by name: an input may be left out
    grad = F._backward_CTCLoss(**named, **attrs)
    scale = F.reshape(out_grads[0], shape=(1, -1, 1))
    return [F.broadcast_mul(grad, scale)] + [None] * (len(inputs) - 1)


register_op(OpDef(
    "CTCLoss", ("data", "label", "data_lengths", "label_lengths"), _PARAMS,
    compute=_ctc_loss, gradient=_ctc_gradient, check=_ctc_check,
    optional_inputs=_ctc_inputs, aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"),
    area=AREA,
    doc="Connectionist Temporal Classification loss. data: (sequence_length, batch_size, "
        "alphabet_size) activations before softmax; label: (batch_size, "
        "label_sequence_length) class indices, padded as blank_label says; out: "
        "(batch_size,) negative log-likelihoods (inf where no alignment fits)."))

register_op(OpDef(
    "_backward_CTCLoss", ("data", "label", "data_lengths", "label_lengths"), _PARAMS,
    compute=_ctc_grad_kernel, check=_ctc_check, optional_inputs=_ctc_inputs, area=AREA,
    doc="Gradient of CTCLoss with respect to data for a head gradient of ones: softmax "
        "minus the posterior occupancy of each class; 0 past a sequence's end and for "
        "sequences no alignment fits."))
