"""gluon.loss: every loss against an independent NumPy reference, weighting, gradients."""

import itertools

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.gluon import loss as gloss

RNG = np.random.default_rng(7)


def nd64(x):
    return mx.nd.array(np.asarray(x, dtype=np.float64), dtype="float64")


def check(got, want, rtol=1e-10, atol=1e-12):
    got = got.asnumpy() if hasattr(got, "asnumpy") else got
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def per_sample(loss, batch_axis=0):
    axes = tuple(i for i in range(loss.ndim) if i != batch_axis)
    return loss.mean(axis=axes) if axes else loss


def log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def numeric_grad(fn, x, eps=1e-6):
    """Central differences of the scalar ``fn(x)`` (float64)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (fn(up) - fn(down)) / (2 * eps)
    return grad


def check_grad(loss, x, *rest, head=None, rtol=1e-5, atol=1e-7):
    """Autograd gradient of sum(head * loss(x, *rest)) against central differences."""
    rest = [nd64(r) if isinstance(r, np.ndarray) else r for r in rest]

    def value(arr):
        out = loss(nd64(arr), *rest).asnumpy()
        return float((out * (1.0 if head is None else head)).sum())

    xnd = nd64(x)
    xnd.attach_grad()
    with mx.autograd.record():
        out = loss(xnd, *rest)
    out.backward(None if head is None else nd64(np.broadcast_to(head, out.shape)))
    np.testing.assert_allclose(xnd.grad.asnumpy(), numeric_grad(value, x), rtol=rtol,
                               atol=atol)


# -- the base class --------------------------------------------------------------------------------
def test_losses_are_hybrid_blocks_with_mxnet_repr_and_aliases():
    loss = gloss.L2Loss()
    assert isinstance(loss, mx.gluon.HybridBlock)
    assert isinstance(loss, gloss.Loss)
    assert repr(loss) == "L2Loss(batch_axis=0, w=1.0)"
    assert repr(gloss.L1Loss(batch_axis=1)) == "L1Loss(batch_axis=1, w=None)"
    assert gloss.SoftmaxCELoss is gloss.SoftmaxCrossEntropyLoss
    assert gloss.SigmoidBCELoss is gloss.SigmoidBinaryCrossEntropyLoss
    assert mx.gluon.loss.CTCLoss is gloss.CTCLoss
    assert len(loss.collect_params()) == 0
    loss.hybridize()
    check(loss(nd64([[1.0, 2.0]]), nd64([[0.0, 0.0]])), [1.25])


def test_weight_must_be_a_number():
    with pytest.raises(MXNetError, match="weight"):
        gloss.L1Loss(weight="2")
    with pytest.raises(TypeError):
        gloss.L1Loss(weight=[2.0])


def test_apply_weighting_scales_and_broadcasts():
    loss = nd64([[1.0, 2.0], [3.0, 4.0]])
    out = gloss._apply_weighting(mx.nd, loss, 2.0, nd64([[1.0], [0.5]]))
    check(out, [[2.0, 4.0], [3.0, 4.0]])
    assert gloss._apply_weighting(mx.nd, loss) is loss


def test_base_loss_forward_is_abstract():
    with pytest.raises(NotImplementedError):
        gloss.Loss(None, 0)(nd64([1.0]))


# -- regression losses -----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_axis", [0, 1])
def test_l1_and_l2(batch_axis):
    pred, label = RNG.standard_normal((3, 4, 2)), RNG.standard_normal((3, 4, 2))
    diff = label - pred
    check(gloss.L1Loss(batch_axis=batch_axis)(nd64(pred), nd64(label)),
          per_sample(np.abs(diff), batch_axis))
    check(gloss.L2Loss(batch_axis=batch_axis)(nd64(pred), nd64(label)),
          per_sample(0.5 * diff ** 2, batch_axis))
    check(gloss.L2Loss(weight=3.0, batch_axis=batch_axis)(nd64(pred), nd64(label)),
          per_sample(1.5 * diff ** 2, batch_axis))


def test_label_is_reshaped_to_pred():
    pred, label = RNG.standard_normal((4, 1)), RNG.standard_normal(4)
    check(gloss.L1Loss()(nd64(pred), nd64(label)), np.abs(label - pred[:, 0]))


def test_sample_weight_and_weight():
    pred, label = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    sw = np.array([[1.0], [0.0], [2.5]])
    out = gloss.L1Loss(weight=0.5)(nd64(pred), nd64(label), nd64(sw))
    check(out, (0.5 * sw * np.abs(label - pred)).mean(axis=1))
    elementwise = RNG.random((3, 4))
    out = gloss.L2Loss()(nd64(pred), nd64(label), nd64(elementwise))
    check(out, (0.5 * elementwise * (label - pred) ** 2).mean(axis=1))


def test_default_dtype_is_float32():
    out = gloss.L2Loss()(mx.nd.array([[1, 2]]), mx.nd.array([[0, 0]]))
    assert out.dtype == np.float32
    check(out, np.array([1.25], dtype=np.float32))


@pytest.mark.parametrize("rho", [1.0, 0.3])
def test_huber(rho):
    pred = np.array([[0.0, 0.1, -2.0, 0.5], [3.0, -0.25, 1.0, 0.0]])
    label = np.zeros_like(pred)
    err = np.abs(label - pred)
    want = np.where(err > rho, err - 0.5 * rho, 0.5 / rho * err ** 2)
    check(gloss.HuberLoss(rho=rho)(nd64(pred), nd64(label)), want.mean(axis=1))


# -- classification losses -------------------------------------------------------------------------
def test_softmax_ce_sparse_labels():
    pred = RNG.standard_normal((4, 5))
    label = np.array([0, 4, 2, 2])
    want = -log_softmax(pred)[np.arange(4), label]
    loss = gloss.SoftmaxCrossEntropyLoss()
    check(loss(nd64(pred), nd64(label)), want)
    check(loss(nd64(pred), nd64(label[:, None])), want)
    lp = log_softmax(pred)
    check(gloss.SoftmaxCELoss(from_logits=True)(nd64(lp), nd64(label)), want)
    sw = np.array([[1.0], [2.0], [0.0], [1.0]])
    check(loss(nd64(pred), nd64(label), nd64(sw)), want * sw[:, 0])
    check(gloss.SoftmaxCELoss(weight=2.0)(nd64(pred), nd64(label)), 2 * want)


def test_softmax_ce_other_axis_averages_per_sample():
    pred = RNG.standard_normal((2, 3, 4))  # classes on axis 1
    label = RNG.integers(0, 3, size=(2, 4))
    lp = log_softmax(pred, axis=1)
    picked = np.take_along_axis(lp, label[:, None, :], axis=1)[:, 0, :]
    check(gloss.SoftmaxCELoss(axis=1)(nd64(pred), nd64(label)), (-picked).mean(axis=1))


def test_softmax_ce_dense_labels():
    pred = RNG.standard_normal((3, 4))
    label = RNG.random((3, 4))
    label /= label.sum(axis=1, keepdims=True)
    want = -(log_softmax(pred) * label).sum(axis=1)
    check(gloss.SoftmaxCELoss(sparse_label=False)(nd64(pred), nd64(label)), want)


def bce_reference(x, z, pos_weight=1.0):
    p = 1 / (1 + np.exp(-x))
    return -(pos_weight * z * np.log(p) + (1 - z) * np.log(1 - p))


def test_sigmoid_bce_from_logits():
    pred = RNG.standard_normal((3, 4)) * 3
    label = RNG.random((3, 4))
    check(gloss.SigmoidBCELoss()(nd64(pred), nd64(label)),
          bce_reference(pred, label).mean(axis=1), rtol=1e-9)
    pos_weight = np.array([[0.5, 1.0, 2.0, 3.0]])
    check(gloss.SigmoidBCELoss()(nd64(pred), nd64(label), None, nd64(pos_weight)),
          bce_reference(pred, label, pos_weight).mean(axis=1), rtol=1e-9)


def test_sigmoid_bce_from_sigmoid():
    prob = RNG.uniform(0.05, 0.95, (3, 4))
    label = (RNG.random((3, 4)) > 0.5).astype(np.float64)
    want = -(label * np.log(prob + 1e-12) + (1 - label) * np.log(1 - prob + 1e-12))
    loss = gloss.SigmoidBinaryCrossEntropyLoss(from_sigmoid=True)
    check(loss(nd64(prob), nd64(label)), want.mean(axis=1), rtol=1e-9)
    pos_weight = np.array([[2.0, 1.0, 0.5, 4.0]])
    want = -(pos_weight * label * np.log(prob + 1e-12)
             + (1 - label) * np.log(1 - prob + 1e-12))
    check(loss(nd64(prob), nd64(label), None, nd64(pos_weight)), want.mean(axis=1),
          rtol=1e-9)


def test_sigmoid_bce_is_stable_for_large_logits():
    pred = mx.nd.array([[100.0, -100.0, 80.0, -80.0]])
    label = mx.nd.array([[0.0, 1.0, 1.0, 0.0]])
    out = gloss.SigmoidBCELoss()(pred, label).asnumpy()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, [50.0], rtol=1e-6)
    out = gloss.SigmoidBCELoss()(pred, label, None, mx.nd.array([[2.0, 2.0, 2.0, 2.0]]))
    np.testing.assert_allclose(out.asnumpy(), [(100 + 2 * 100) / 4], rtol=1e-6)


@pytest.mark.parametrize("from_logits", [True, False])
def test_kl_div(from_logits):
    pred = RNG.standard_normal((3, 4))
    label = RNG.random((3, 4))
    label /= label.sum(axis=1, keepdims=True)
    logp = pred if from_logits else log_softmax(pred)
    want = (label * (np.log(label + 1e-12) - logp)).mean(axis=1)
    check(gloss.KLDivLoss(from_logits=from_logits)(nd64(pred), nd64(label)), want)


def test_hinge_and_squared_hinge():
    pred = RNG.standard_normal((3, 5))
    label = np.sign(RNG.standard_normal((3, 5)))
    for margin in (1.0, 0.5):
        hinge = np.maximum(0, margin - pred * label)
        check(gloss.HingeLoss(margin=margin)(nd64(pred), nd64(label)), hinge.mean(axis=1))
        check(gloss.SquaredHingeLoss(margin=margin)(nd64(pred), nd64(label)),
              (hinge ** 2).mean(axis=1))


def test_logistic_signed_and_binary():
    pred = RNG.standard_normal((3, 4)) * 4
    signed = np.sign(RNG.standard_normal((3, 4)))
    want = np.log1p(np.exp(-pred * signed)).mean(axis=1)
    check(gloss.LogisticLoss()(nd64(pred), nd64(signed)), want, rtol=1e-9)
    binary = (signed + 1) / 2
    check(gloss.LogisticLoss(label_format="binary")(nd64(pred), nd64(binary)), want,
          rtol=1e-9)


def test_logistic_rejects_unknown_label_format():
    with pytest.raises(ValueError, match="label_format"):
        gloss.LogisticLoss(label_format="onehot")


# -- embedding losses ------------------------------------------------------------------------------
def test_triplet():
    pred, pos, neg = (RNG.standard_normal((4, 3)) for _ in range(3))
    dist = ((pos - pred) ** 2).sum(axis=1) - ((neg - pred) ** 2).sum(axis=1)
    check(gloss.TripletLoss()(nd64(pred), nd64(pos), nd64(neg)), np.maximum(dist + 1, 0))
    sw = np.array([1.0, 0.0, 2.0, 1.0])
    check(gloss.TripletLoss(margin=0.5)(nd64(pred), nd64(pos), nd64(neg), nd64(sw)),
          np.maximum(dist + 0.5, 0) * sw)


def test_cosine_embedding():
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    b[0] = a[0] * 2  # cosine 1
    label = np.array([1.0, -1.0, 1.0, -1.0])
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    for margin in (0.0, 0.2):
        want = np.where(label == 1, 1 - cos, np.maximum(0, cos - margin))[:, None]
        out = gloss.CosineEmbeddingLoss(margin=margin)(nd64(a), nd64(b), nd64(label))
        check(out, want)  # (batch_size, 1), as MXNet returns
    assert abs(out.asnumpy()[0, 0]) < 1e-12


def test_poisson_nll():
    pred = RNG.uniform(0.1, 2.0, (3, 4))
    target = RNG.integers(0, 5, (3, 4)).astype(np.float64)
    check(gloss.PoissonNLLLoss()(nd64(pred), nd64(target)),
          (np.exp(pred) - target * pred).mean(axis=1))
    check(gloss.PoissonNLLLoss(from_logits=False)(nd64(pred), nd64(target)),
          (pred - target * np.log(pred + 1e-8)).mean(axis=1))


def test_poisson_nll_full_adds_stirling_for_targets_above_one():
    pred = RNG.uniform(0.1, 2.0, (2, 4))
    target = np.array([[0.0, 1.0, 2.0, 5.0], [0.5, 3.0, 0.0, 7.0]])
    safe = np.maximum(target, 1)
    stirling = np.where(target > 1,
                        safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0)
    want = (np.exp(pred) - target * pred + stirling).mean(axis=1)
    out = gloss.PoissonNLLLoss(compute_full=True)(nd64(pred), nd64(target))
    check(out, want)
    assert np.isfinite(out.asnumpy()).all()


def test_sdml():
    x1, x2 = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    dist = ((x1[:, None, :] - x2[None, :, :]) ** 2).sum(axis=2)
    labels = np.full((4, 4), 0.3 / 3) + np.eye(4) * (0.7 - 0.1)
    logp = log_softmax(-dist, axis=1)
    want = (labels * (np.log(labels + 1e-12) - logp)).sum(axis=1)
    check(gloss.SDMLLoss()(nd64(x1), nd64(x2)), want)


# -- CTC -------------------------------------------------------------------------------------------
def ctc_brute_force(logits, label, blank):
    """-log P(label | logits) by enumerating every path (logits: (T, C))."""
    seq_len, alphabet = logits.shape
    logp = log_softmax(logits)
    total = 0.0
    for path in itertools.product(range(alphabet), repeat=seq_len):
        collapsed = [c for i, c in enumerate(path)
                     if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(label):
            total += np.exp(sum(logp[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def test_ctc_matches_brute_force_and_layouts():
    pred_ntc = RNG.standard_normal((3, 4, 4))  # N=3, T=4, C=4 (blank 3)
    label_nt = np.array([[0, 1, -1], [2, 2, -1], [1, 0, 2]], dtype=np.float64)
    want = [ctc_brute_force(pred_ntc[n], [int(v) for v in label_nt[n] if v >= 0], 3)
            for n in range(3)]
    check(gloss.CTCLoss()(nd64(pred_ntc), nd64(label_nt)), np.array(want), rtol=1e-9)
    tnc = np.swapaxes(pred_ntc, 0, 1)
    out = gloss.CTCLoss(layout="TNC", label_layout="TN")(nd64(tnc), nd64(label_nt.T))
    check(out, np.array(want), rtol=1e-9)
    assert gloss.CTCLoss(label_layout="TN")._batch_axis == 1


def test_ctc_lengths_and_weights():
    pred = RNG.standard_normal((2, 5, 3))  # N=2, T=5, C=3 (blank 2)
    label = np.array([[1, 0, 1], [0, 0, 0]], dtype=np.float64)
    pred_lengths, label_lengths = np.array([5.0, 3.0]), np.array([3.0, 1.0])
    want = np.array([ctc_brute_force(pred[0], [1, 0, 1], 2),
                     ctc_brute_force(pred[1, :3], [0], 2)])
    loss = gloss.CTCLoss()
    args = (nd64(label), nd64(pred_lengths), nd64(label_lengths))
    check(loss(nd64(pred), *args), want, rtol=1e-9)
    sw = np.array([2.0, 0.5])
    check(gloss.CTCLoss(weight=3.0)(nd64(pred), *args, nd64(sw)), 3 * sw * want, rtol=1e-9)
    only_labels = loss(nd64(pred), nd64(label), None, nd64(label_lengths))
    want_full = np.array([want[0], ctc_brute_force(pred[1], [0], 2)])
    check(only_labels, want_full, rtol=1e-9)


def test_ctc_impossible_alignment_is_inf():
    out = gloss.CTCLoss()(mx.nd.zeros((1, 2, 3)), mx.nd.array([[1, 1]]))
    assert np.isinf(out.asnumpy()).all()


def test_ctc_default_float32_and_rejects_bad_layouts():
    out = gloss.CTCLoss()(mx.nd.ones((2, 3, 4)), mx.nd.array([[0, 1], [2, -1]]))
    assert out.dtype == np.float32 and out.shape == (2,)
    with pytest.raises(ValueError, match="layout"):
        gloss.CTCLoss(layout="NCT")
    with pytest.raises(ValueError, match="label"):
        gloss.CTCLoss(label_layout="NN")


def test_ctc_rejects_mismatched_batch():
    with pytest.raises(MXNetError, match="label"):
        gloss.CTCLoss()(mx.nd.ones((2, 3, 4)), mx.nd.array([[0, 1], [2, -1], [1, 1]]))


# -- gradients -------------------------------------------------------------------------------------
def test_gradients_match_finite_differences():
    x = RNG.standard_normal((3, 4))
    target = RNG.standard_normal((3, 4))
    head = np.array([1.0, -2.0, 0.5])
    check_grad(gloss.L2Loss(), x, target, head=head)
    check_grad(gloss.HuberLoss(rho=0.7), x, target, head=head)
    check_grad(gloss.SoftmaxCELoss(), x, np.array([0.0, 3.0, 1.0]), head=head)
    check_grad(gloss.SigmoidBCELoss(), x, RNG.random((3, 4)), head=head)
    check_grad(gloss.LogisticLoss(), x, np.sign(target), head=head)
    check_grad(gloss.KLDivLoss(from_logits=False), x, RNG.random((3, 4)), head=head)
    check_grad(gloss.CosineEmbeddingLoss(), x, target, np.array([1.0, -1.0, 1.0]),
               head=head[:, None])


def test_ctc_gradient_matches_finite_differences():
    pred = RNG.standard_normal((2, 4, 3))
    label = np.array([[1, 0], [1, 1]], dtype=np.float64)
    check_grad(gloss.CTCLoss(), pred, label, head=np.array([1.0, -0.5]))
    lengths = np.array([3.0, 4.0])
    check_grad(gloss.CTCLoss(), pred, label, lengths, head=np.array([2.0, 1.0]))


def test_ctc_gradient_is_zero_past_each_sequence_and_float32():
    pred = mx.nd.array(RNG.standard_normal((2, 5, 3)))
    pred.attach_grad()
    with mx.autograd.record():
        out = gloss.CTCLoss()(pred, mx.nd.array([[0, 1], [1, -1]]), mx.nd.array([5, 2]))
    out.backward()
    grad = pred.grad.asnumpy()
    assert grad.dtype == np.float32
    assert not grad[1, 2:].any() and grad[1, :2].any()
    np.testing.assert_allclose(grad.sum(axis=2), 0, atol=1e-6)  # softmax minus posterior
