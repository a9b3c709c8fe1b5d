"""mx.metric against NumPy references: values, accumulation, inputs, registry, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetTypeError, MXNetValueError

RNG = np.random.RandomState(0)


def _probs(n, c, rng=RNG):
    x = rng.rand(n, c) + 1e-3
    return (x / x.sum(axis=1, keepdims=True)).astype(np.float32)


def _nd(x):
    return mx.nd.array(x, dtype=x.dtype)


# -- base behaviour ---------------------------------------------------------------------------
def test_gluon_metric_is_mx_metric():
    assert mx.gluon.metric is mx.metric
    assert mx.gluon.metric.Accuracy is mx.metric.Accuracy


def test_get_before_update_is_nan_and_name_value():
    m = mx.metric.Accuracy()
    name, value = m.get()
    assert name == "accuracy" and math.isnan(value)
    m.update([_nd(np.array([1.0]))], [_nd(np.array([[0.1, 0.9]], dtype=np.float32))])
    assert m.get_name_value() == [("accuracy", 1.0)]
    assert "accuracy" in str(m)


def test_local_and_global_tallies():
    m = mx.metric.Accuracy()
    m.update([np.array([0, 1])], [np.array([0, 0])])  # 1 of 2
    m.reset_local()
    assert math.isnan(m.get()[1])
    assert m.get_global() == ("accuracy", 0.5)
    m.update([np.array([1, 1])], [np.array([1, 1])])  # 2 of 2
    assert m.get() == ("accuracy", 1.0)
    assert m.get_global() == ("accuracy", 0.75)
    assert m.get_global_name_value() == [("accuracy", 0.75)]
    m.reset()
    assert math.isnan(m.get_global()[1])


def test_update_dict_picks_named_outputs():
    m = mx.metric.Accuracy(output_names=["out"], label_names=["lab"])
    m.update_dict({"lab": np.array([1, 0]), "other": np.array([5, 5])},
                  {"out": np.array([1, 1]), "junk": np.array([0])})
    assert m.get() == ("accuracy", 0.5)


# -- Accuracy ---------------------------------------------------------------------------------
def test_accuracy_class_scores_vs_reference():
    labels = [RNG.randint(0, 5, size=8).astype(np.float32) for _ in range(3)]
    preds = [_probs(8, 5) for _ in range(3)]
    m = mx.metric.Accuracy()
    m.update([_nd(x) for x in labels], [_nd(p) for p in preds])
    correct = sum(int((p.argmax(axis=1) == y).sum()) for y, p in zip(labels, preds))
    assert m.get()[1] == pytest.approx(correct / 24)
    assert m.num_inst == 24


def test_accuracy_label_predictions_and_single_arrays():
    m = mx.metric.Accuracy()
    m.update(mx.nd.array([1, 2, 3, 4]), mx.nd.array([1, 2, 0, 4]))
    assert m.get()[1] == 0.75
    m.update(np.array([[1], [2]]), np.array([[1], [0]]))
    assert m.get()[1] == pytest.approx(4 / 6)


def test_accuracy_axis():
    scores = RNG.rand(2, 3, 4).astype(np.float32)  # (batch, classes, time)
    labels = RNG.randint(0, 3, size=(2, 4))
    m = mx.metric.Accuracy(axis=1)
    m.update([labels], [scores])
    assert m.get()[1] == pytest.approx((scores.argmax(axis=1) == labels).mean())


def test_accuracy_errors_name_shapes():
    m = mx.metric.Accuracy()
    with pytest.raises(MXNetValueError, match="2.*1"):
        m.update([np.array([1]), np.array([1])], [np.array([1])])
    with pytest.raises(MXNetValueError, match=r"\(3,\).*\(4, 2\)"):
        m.update([np.array([1, 0, 1])], [np.zeros((4, 2))])
    with pytest.raises(MXNetTypeError):
        m.update("labels", "preds")


# -- TopKAccuracy -----------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3, 10])
def test_top_k_accuracy_vs_reference(k):
    scores = RNG.permutation(60).reshape(12, 5).astype(np.float32)  # no ties
    labels = RNG.randint(0, 5, size=12)
    m = mx.metric.TopKAccuracy(top_k=k)
    m.update([_nd(labels.astype(np.float32))], [_nd(scores)])
    top = np.argsort(-scores, axis=1)[:, :k]
    expected = np.mean([labels[i] in top[i] for i in range(12)])
    assert m.get() == (f"top_k_accuracy_{k}", pytest.approx(expected))


def test_top_k_accuracy_errors():
    with pytest.raises(MXNetValueError):
        mx.metric.TopKAccuracy(top_k=0)
    m = mx.metric.TopKAccuracy(top_k=2)
    with pytest.raises(MXNetValueError, match=r"\(3,\).*\(4, 5\)"):
        m.update([np.zeros(3)], [np.zeros((4, 5))])
    with pytest.raises(MXNetValueError, match="2 dims"):
        m.update([np.zeros(3)], [np.zeros((3, 2, 2))])


# -- F1 and MCC -------------------------------------------------------------------------------
def _confusion(labels, preds):
    pl = preds.argmax(axis=1) == 1
    lt = labels == 1
    return (np.sum(pl & lt), np.sum(pl & ~lt), np.sum(~pl & lt), np.sum(~pl & ~lt))


def _f1_ref(tp, fp, fn, _):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def _mcc_ref(tp, fp, fn, tn):
    terms = [t for t in (tp + fp, tp + fn, tn + fp, tn + fn) if t]
    return (tp * tn - fp * fn) / math.sqrt(np.prod(np.array(terms, dtype=np.float64)))


def _binary_batches(n_batches=3, n=10):
    rng = np.random.RandomState(5)
    return [(rng.randint(0, 2, size=n).astype(np.float32), _probs(n, 2, rng))
            for _ in range(n_batches)]


@pytest.mark.parametrize("cls,ref", [(mx.metric.F1, _f1_ref), (mx.metric.MCC, _mcc_ref)])
def test_binary_metrics_macro_and_micro(cls, ref):
    batches = _binary_batches()
    macro, micro = cls(), cls(average="micro")
    for y, p in batches:
        macro.update([_nd(y)], [_nd(p)])
        micro.update(_nd(y), _nd(p))
    per_batch = [ref(*_confusion(y, p)) for y, p in batches]
    assert macro.get()[1] == pytest.approx(np.mean(per_batch))
    all_y = np.concatenate([y for y, _ in batches])
    all_p = np.concatenate([p for _, p in batches])
    assert micro.get()[1] == pytest.approx(ref(*_confusion(all_y, all_p)))
    micro.reset_local()
    assert math.isnan(micro.get()[1])
    assert micro.get_global()[1] == pytest.approx(ref(*_confusion(all_y, all_p)))


def test_binary_metrics_names_and_errors():
    assert mx.metric.F1().name == "f1" and mx.metric.MCC().name == "mcc"
    with pytest.raises(MXNetValueError, match="binary"):
        mx.metric.F1().update([np.array([0, 1, 2])], [np.zeros((3, 3))])
    with pytest.raises(MXNetValueError, match=r"\(3,\).*\(3,\)"):
        mx.metric.F1().update([np.array([0, 1, 1])], [np.array([0.1, 0.9, 0.8])])
    with pytest.raises(MXNetValueError, match="average"):
        mx.metric.F1(average="weighted")


def test_mcc_perfect_and_inverse():
    y = np.array([0, 1, 1, 0])
    good = np.eye(2)[y]
    m = mx.metric.MCC()
    m.update([y], [good])
    assert m.get()[1] == pytest.approx(1.0)
    m.reset()
    m.update([y], [good[:, ::-1]])
    assert m.get()[1] == pytest.approx(-1.0)
    m.reset()
    m.update([y], [np.tile([0.9, 0.1], (4, 1))])  # never predicts 1: a zero margin
    assert m.get() == ("mcc", 0.0)


# -- regression -------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,err", [
    (mx.metric.MAE, lambda d: np.abs(d).mean()),
    (mx.metric.MSE, lambda d: (d ** 2).mean()),
    (mx.metric.RMSE, lambda d: np.sqrt((d ** 2).mean()))])
def test_regression_metrics_average_over_batches(cls, err):
    batches = [(RNG.randn(6).astype(np.float32), RNG.randn(6, 1).astype(np.float32)),
               (RNG.randn(4, 3).astype(np.float32), RNG.randn(4, 3).astype(np.float32))]
    m = cls()
    for y, p in batches:
        m.update([_nd(y)], [_nd(p)])
    expected = np.mean([err(y.reshape(p.shape).astype(np.float64) - p) for y, p in batches])
    assert m.get()[1] == pytest.approx(expected, rel=1e-6)
    assert m.name == cls.__name__.lower()


def test_regression_shape_mismatch_names_both_shapes():
    with pytest.raises(MXNetValueError, match=r"\(4,\).*\(4, 3\)"):
        mx.metric.MSE().update([np.zeros(4)], [np.zeros((4, 3))])


# -- cross-entropy, NLL, perplexity -----------------------------------------------------------
@pytest.mark.parametrize("cls,name", [(mx.metric.CrossEntropy, "cross-entropy"),
                                      (mx.metric.NegativeLogLikelihood, "nll-loss")])
def test_log_losses(cls, name):
    p = _probs(7, 4)
    y = RNG.randint(0, 4, size=7)
    m = cls()
    m.update([_nd(y.astype(np.float32))], [_nd(p)])
    expected = np.mean(-np.log(p[np.arange(7), y].astype(np.float64) + 1e-12))
    assert m.get() == (name, pytest.approx(expected, rel=1e-6))
    assert m.eps == 1e-12
    with pytest.raises(MXNetValueError, match=r"\(3,\).*\(7, 4\)"):
        m.update([np.zeros(3)], [p])
    with pytest.raises(MXNetValueError, match=r"\[0, 4\)"):
        m.update([np.full(7, 4.0)], [p])


def test_perplexity_with_ignore_label_and_axis():
    p = _probs(6, 5)
    y = np.array([0, 1, 2, 3, -1, -1], dtype=np.float32)
    m = mx.metric.Perplexity(ignore_label=-1)
    m.update([_nd(y)], [_nd(p)])
    keep = y != -1
    logp = np.log(p[np.arange(6)[keep], y[keep].astype(int)].astype(np.float64))
    assert m.get()[1] == pytest.approx(math.exp(-logp.mean()), rel=1e-6)

    scores = _probs(6, 5).T.copy()  # classes first
    labels = RNG.randint(0, 5, size=6)
    m2 = mx.metric.Perplexity(ignore_label=None, axis=0)
    m2.update([labels], [scores])
    ref = math.exp(-np.log(scores[labels, np.arange(6)].astype(np.float64)).mean())
    assert m2.get() == ("perplexity", pytest.approx(ref, rel=1e-6))
    with pytest.raises(MXNetValueError, match=r"\(4,\).*\(5, 6\)"):
        m2.update([np.zeros(4)], [scores])


# -- Pearson ----------------------------------------------------------------------------------
def test_pearson_macro_and_micro():
    batches = [(RNG.randn(8), RNG.randn(8)) for _ in range(3)]
    batches = [(y, 0.5 * y + p) for y, p in batches]
    macro = mx.metric.create("pearsonr")
    micro = mx.metric.PearsonCorrelation(average="micro")
    for y, p in batches:
        macro.update([_nd(y)], [_nd(p)])
        micro.update([y], [p])
    ref_macro = np.mean([np.corrcoef(p, y)[0, 1] for y, p in batches])
    assert macro.get()[1] == pytest.approx(ref_macro, rel=1e-5)
    all_y = np.concatenate([y for y, _ in batches])
    all_p = np.concatenate([p for _, p in batches])
    assert micro.get() == ("pearsonr", pytest.approx(np.corrcoef(all_p, all_y)[0, 1]))
    with pytest.raises(MXNetValueError, match=r"\(3,\).*\(3, 1\)"):
        macro.update([np.zeros(3)], [np.zeros((3, 1))])


# -- Loss, composite, custom ------------------------------------------------------------------
def test_loss_metric():
    m = mx.metric.Loss()
    m.update(None, [mx.nd.array([1, 2, 3]), mx.nd.array([[4.0]])])
    m.update(None, mx.nd.array([10.0]))
    assert m.get() == ("loss", pytest.approx(4.0))
    assert mx.metric.create("torch").name == "torch"


def test_composite():
    comp = mx.metric.create(["acc", "mae"])
    assert isinstance(comp, mx.metric.CompositeEvalMetric)
    comp.update([np.array([1.0, 0.0])], [np.array([1.0, 1.0])])
    assert comp.get() == (["accuracy", "mae"], [0.5, 0.5])
    assert comp.get_name_value() == [("accuracy", 0.5), ("mae", 0.5)]
    comp.add(mx.metric.Loss())
    assert comp.get_metric(2).name == "loss"
    with pytest.raises(MXNetValueError, match="out of range"):
        comp.get_metric(5)
    comp.reset_local()
    assert math.isnan(comp.get()[1][0]) and comp.get_global()[1][0] == 0.5
    comp.reset()
    assert math.isnan(comp.get_global()[1][0])


def test_custom_metric_and_np():
    def half_sum(label, pred):
        assert isinstance(label, np.ndarray) and isinstance(pred, np.ndarray)
        return float(np.abs(label - pred).sum()), 2

    m = mx.metric.CustomMetric(half_sum)
    assert m.name == "half_sum"
    m.update([mx.nd.array([1, 2])], [mx.nd.array([1, 5])])
    assert m.get() == ("half_sum", 1.5)
    assert mx.metric.CustomMetric(lambda a, b: 1.0).name == "custom(<lambda>)"

    wrapped = mx.metric.np(lambda label, pred: float((label == pred).mean()), name="eq")
    wrapped.update([np.array([1, 2])], [np.array([1, 3])])
    assert wrapped.get() == ("eq", 0.5)

    extra = mx.metric.CustomMetric(lambda a, b: 1.0, allow_extra_outputs=True)
    extra.update([np.zeros(2)], [np.zeros(2), np.zeros(3)])  # extra output ignored
    assert extra.num_inst == 1
    with pytest.raises(MXNetValueError):
        mx.metric.CustomMetric(lambda a, b: 1.0).update([np.zeros(2)], [np.zeros(2)] * 2)
    with pytest.raises(NotImplementedError):
        m.get_config()


# -- registry ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name,cls", [
    ("acc", mx.metric.Accuracy), ("accuracy", mx.metric.Accuracy),
    ("top_k_accuracy", mx.metric.TopKAccuracy), ("top_k_acc", mx.metric.TopKAccuracy),
    ("f1", mx.metric.F1), ("mcc", mx.metric.MCC), ("mae", mx.metric.MAE),
    ("mse", mx.metric.MSE), ("rmse", mx.metric.RMSE), ("ce", mx.metric.CrossEntropy),
    ("nll_loss", mx.metric.NegativeLogLikelihood), ("perplexity", mx.metric.Perplexity),
    ("pearsonr", mx.metric.PearsonCorrelation), ("loss", mx.metric.Loss),
    ("composite", mx.metric.CompositeEvalMetric), ("ACC", mx.metric.Accuracy)])
def test_create_by_name(name, cls):
    assert type(mx.metric.create(name)) is cls


def test_create_other_forms():
    acc = mx.metric.Accuracy(axis=2)
    assert mx.metric.create(acc) is acc
    assert mx.metric.create("top_k_accuracy", top_k=5).name == "top_k_accuracy_5"
    assert mx.metric.create("acc", axis=0).axis == 0
    custom = mx.metric.create(lambda label, pred: 0.0, name="zero")
    assert isinstance(custom, mx.metric.CustomMetric) and custom.name == "zero"
    again = mx.metric.create(mx.metric.Accuracy(axis=2, name="a2").get_config())
    assert (type(again), again.axis, again.name) == (mx.metric.Accuracy, 2, "a2")
    with pytest.raises(MXNetValueError, match="nosuch.*known:.*acc.*rmse"):
        mx.metric.create("nosuch")
    with pytest.raises(MXNetTypeError):
        mx.metric.create(3)


def test_register_and_alias():
    @mx.metric.alias("always_one")
    class AlwaysOne(mx.metric.EvalMetric):
        def __init__(self, name="always"):
            super().__init__(name)

        def update(self, labels, preds):
            self.sum_metric += 1
            self.num_inst += 1

    for name in ("alwaysone", "always_one"):
        m = mx.metric.create(name)
        m.update([np.zeros(1)], [np.zeros(1)])
        assert m.get() == ("always", 1.0)
    with pytest.raises(MXNetTypeError):
        mx.metric.register(dict)
