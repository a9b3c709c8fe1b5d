"""gluon.Block / HybridBlock / Sequential: naming, params, deferred init, files, hooks."""

import re

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.gluon import Block, HybridBlock, nn
from mxcore.gluon.parameter import DeferredInitializationError


class Fill(mx.init.Initializer):
    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name, arr):
        arr[:] = self.value


class Affine(HybridBlock):
    """A Dense-like layer: in_units may be left for deferred shape inference."""

    def __init__(self, units, in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), init="zeros",
                                        allow_deferred_init=True)

    def infer_shape(self, x, *args):
        self.weight.shape = (self._units, x.shape[1])

    def hybrid_forward(self, F, x, weight, bias):
        return F.FullyConnected(x, weight, bias, num_hidden=self._units)


class MLP(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.hidden = Affine(8)
            self.out = Affine(3, in_units=8)

    def hybrid_forward(self, F, x):
        return self.out(F.relu(self.hidden(x)))


class Scaled(Block):
    """A plain Block using a parameter directly."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = MLP()
            self.scale = self.params.get("scale", shape=(1,), init=Fill(2.0))

    def forward(self, x):
        return self.body(x) * self.scale.data(x.context)


def _numpy_mlp(net, x):
    h = np.maximum(x @ net.hidden.weight.data().asnumpy().T + net.hidden.bias.data().asnumpy(), 0)
    return h @ net.out.weight.data().asnumpy().T + net.out.bias.data().asnumpy()


# -- naming ------------------------------------------------------------------------------------
def test_automatic_prefixes_count_per_scope():
    first = Affine(2)
    second = Affine(2)
    a, b = (int(re.fullmatch(r"affine(\d+)_", blk.prefix).group(1)) for blk in (first, second))
    assert b == a + 1
    assert first.name == first.prefix[:-1]

    net = nn.HybridSequential(prefix="model_")
    with net.name_scope():
        net.add(Affine(4), Affine(4), nn.Identity())
    assert [c.prefix for c in net._children.values()] == [
        "model_affine0_", "model_affine1_", "model_identity0_"]
    assert list(net.collect_params().keys()) == [
        "model_affine0_weight", "model_affine0_bias", "model_affine1_weight",
        "model_affine1_bias"]


def test_nested_names_and_explicit_prefix():
    net = MLP(prefix="mlp_")
    assert net.hidden.prefix == "mlp_affine0_"
    assert net.out.weight.name == "mlp_affine1_weight"
    named = Affine(2, prefix="fc_")
    assert named.weight.name == "fc_weight" and named.name == "fc"
    outside = nn.HybridSequential(prefix="s_")
    child = Affine(1)  # created outside the scope: a global name, not under s_
    outside.add(child)
    assert not child.prefix.startswith("s_")


def test_shared_params_via_params_argument():
    a = Affine(2, in_units=3, prefix="shared_")
    b = Affine(2, in_units=3, params=a.params)
    assert b.weight is a.weight and b.bias is a.bias


# -- running and deferred init ---------------------------------------------------------------
def test_custom_block_deferred_init_forward_and_backward():
    net = MLP(prefix="mlp_")
    net.initialize(mx.init.Xavier())
    with pytest.raises(DeferredInitializationError, match="mlp_affine0_weight"):
        net.hidden.weight.data()
    x = np.random.RandomState(0).randn(5, 6).astype(np.float32)
    y = net(mx.nd.array(x))
    assert net.hidden.weight.shape == (8, 6)
    assert y.shape == (5, 3)
    np.testing.assert_allclose(y.asnumpy(), _numpy_mlp(net, x), rtol=1e-5, atol=1e-5)
    assert np.all(net.out.bias.data().asnumpy() == 0)
    with mx.autograd.record():
        loss = net(mx.nd.array(x)).sum()
    loss.backward()
    grads = net.collect_params()
    assert all(p.grad().asnumpy().any() for p in grads.values() if p.name.endswith("weight"))
    net.zero_grad()
    assert not any(p.grad().asnumpy().any() for p in grads.values())


def test_default_infer_shape_names_the_block():
    class Lazy(HybridBlock):
        def __init__(self):
            super().__init__(prefix="lazy_")
            self.w = self.params.get("w", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x * w

    blk = Lazy()
    blk.initialize()
    with pytest.raises(MXNetError, match="Lazy 'lazy'.*lazy_w.*infer_shape"):
        blk(mx.nd.ones((2,)))


def test_uninitialized_forward_is_actionable():
    net = Affine(2, in_units=3, prefix="fc_")
    with pytest.raises(MXNetError, match="fc_weight.*not been initialized"):
        net(mx.nd.ones((1, 3)))


def test_params_get_without_attribute_reaches_hybrid_forward():
    class Bias(HybridBlock):
        def __init__(self):
            super().__init__()
            self.params.get("offset", shape=(2,), init=Fill(3.0))

        def hybrid_forward(self, F, x, offset):
            return x + offset

    blk = Bias()
    blk.initialize()
    assert blk(mx.nd.zeros((2,))).asnumpy().tolist() == [3, 3]


def test_plain_block_with_own_param():
    net = Scaled(prefix="sc_")
    net.initialize(Fill(0.5))
    y = net(mx.nd.ones((2, 4)))
    np.testing.assert_allclose(y.asnumpy(), 2 * _numpy_mlp(net.body, np.ones((2, 4))),
                               rtol=1e-5)
    assert sorted(net.collect_params()) == sorted(
        ["sc_scale", "sc_mlp0_affine0_weight", "sc_mlp0_affine0_bias",
         "sc_mlp0_affine1_weight", "sc_mlp0_affine1_bias"])


def test_hybridize_is_accepted_and_results_unchanged():
    net = MLP()
    net.initialize()
    x = mx.nd.ones((2, 5))
    before = net(x).asnumpy()
    net.hybridize(static_alloc=True)
    np.testing.assert_array_equal(net(x).asnumpy(), before)


# -- parameter selection -------------------------------------------------------------------------
def test_collect_params_regex():
    net = MLP(prefix="m_")
    weights = net.collect_params(".*weight")
    assert list(weights.keys()) == ["m_affine0_weight", "m_affine1_weight"]
    first = net.collect_params("m_affine0_weight|m_affine1_bias")
    assert list(first.keys()) == ["m_affine0_weight", "m_affine1_bias"]
    assert len(net.collect_params("weight")) == 0  # re.match anchors at the start
    assert len(net.params) == 0 and len(net.collect_params()) == 4
    net.collect_params(".*bias").setattr("lr_mult", 0.0)
    assert net.out.bias.lr_mult == 0.0 and net.out.weight.lr_mult == 1.0


# -- files ----------------------------------------------------------------------------------------
def test_save_load_round_trip_structural_names(tmp_path):
    path = str(tmp_path / "net.params")
    net = MLP()
    net.initialize()
    x = mx.nd.ones((3, 4))
    expected = net(x).asnumpy()
    net.save_parameters(path)
    assert sorted(mx.nd.load(path)) == ["hidden.bias", "hidden.weight", "out.bias",
                                        "out.weight"]
    other = MLP()  # different prefix, same structure
    other.load_parameters(path, ctx=mx.cpu(1))
    assert other.hidden.weight.list_ctx() == [mx.cpu(1)]
    np.testing.assert_array_equal(other(x.as_in_context(mx.cpu(1))).asnumpy(), expected)

    seq = nn.HybridSequential()
    with seq.name_scope():
        seq.add(Affine(2, in_units=3), Affine(1, in_units=2))
    seq.initialize()
    seq.save_parameters(path)
    assert sorted(mx.nd.load(path)) == ["0.bias", "0.weight", "1.bias", "1.weight"]


def test_load_parameters_errors_list_names(tmp_path):
    path = str(tmp_path / "net.params")
    small = nn.HybridSequential()
    small.add(Affine(2, in_units=3))
    small.initialize()
    small.save_parameters(path)

    big = nn.HybridSequential()
    big.add(Affine(2, in_units=3), Affine(1, in_units=2))
    with pytest.raises(MXNetError, match=r"1\.weight.*missing.*allow_missing"):
        big.load_parameters(path)
    big.load_parameters(path, allow_missing=True)
    assert big[0].weight.shape == (2, 3)

    tiny = nn.HybridSequential()
    tiny.add(Affine(2, in_units=3))
    tiny[0].params.get("extra_unused", shape=(1,))
    mx.nd.save(path, {"0.weight": mx.nd.ones((2, 3)), "0.bias": mx.nd.ones((2,)),
                      "5.gamma": mx.nd.ones((1,))})
    with pytest.raises(MXNetError, match=r"5\.gamma.*ignore_extra"):
        tiny.load_parameters(path, allow_missing=True)

    wrong = nn.HybridSequential()
    wrong.add(Affine(4, in_units=3))
    mx.nd.save(path, {"0.weight": mx.nd.ones((2, 3)), "0.bias": mx.nd.ones((2,))})
    with pytest.raises(MXNetError, match="shape incompatible.*(4, 3).*(2, 3)"):
        wrong.load_parameters(path)


def test_load_parameters_into_deferred_and_legacy_full_names(tmp_path):
    path = str(tmp_path / "net.params")
    src = MLP(prefix="a_")
    src.initialize()
    src(mx.nd.ones((1, 7)))
    src.save_parameters(path)
    dst = MLP(prefix="b_")
    dst.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    dst.load_parameters(path)
    assert dst.hidden.weight.shape == (8, 7)
    assert dst.hidden.weight.list_ctx() == [mx.cpu(0), mx.cpu(1)]

    legacy = str(tmp_path / "legacy.params")
    src.collect_params().save(legacy, strip_prefix="a_")
    again = MLP(prefix="c_")
    again.load_parameters(legacy)
    np.testing.assert_array_equal(again.out.weight.data().asnumpy(),
                                  src.out.weight.data().asnumpy())


def test_save_parameters_deduplicate(tmp_path):
    path = str(tmp_path / "dup.params")
    net = nn.HybridSequential()
    first = Affine(2, in_units=2)
    net.add(first, Affine(2, in_units=2, params=first.params))
    net.initialize()
    net.save_parameters(path, deduplicate=True)
    assert sorted(mx.nd.load(path)) == ["0.bias", "0.weight"]
    net.load_parameters(path)


# -- hooks, apply, summary ----------------------------------------------------------------------
def test_forward_hooks_and_detach():
    net = Affine(2, in_units=3)
    net.initialize()
    calls = []
    pre = net.register_forward_pre_hook(lambda blk, args: calls.append(("pre", args[0].shape)))
    post = net.register_forward_hook(
        lambda blk, args, out: calls.append(("post", out.shape)))
    net(mx.nd.ones((4, 3)))
    assert calls == [("pre", (4, 3)), ("post", (4, 2))]
    pre.detach()
    with post:
        net(mx.nd.ones((1, 3)))
    net(mx.nd.ones((1, 3)))
    assert calls[2:] == [("post", (1, 2))]


def test_apply_visits_children_first():
    net = MLP(prefix="m_")
    seen = []
    assert net.apply(lambda blk: seen.append(blk.name)) is net
    assert seen == ["m_affine0", "m_affine1", "m"]


def test_summary(capsys):
    net = nn.HybridSequential()
    net.add(Affine(4), nn.Identity())
    net.initialize()
    net.summary(mx.nd.ones((2, 3)))
    out = capsys.readouterr().out
    assert re.search(r"Input\s+\(2, 3\)\s+0", out)
    assert re.search(r"Affine-1\s+\(2, 4\)\s+16", out)
    assert re.search(r"Identity-2\s+\(2, 4\)\s+0", out)
    assert "Total params: 16" in out and "Unique parameters in model: 16" in out
    assert not net[0]._forward_hooks


# -- multi-context and cast -----------------------------------------------------------------------
def test_multi_context_forward_and_grads():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = MLP()
    net.initialize(ctx=ctxs)
    x = mx.nd.ones((2, 5))
    outs = []
    with mx.autograd.record():
        for ctx in ctxs:
            outs.append(net(x.as_in_context(ctx)).sum())
    mx.autograd.backward(outs)
    w = net.hidden.weight
    assert [d.context for d in w.list_data()] == ctxs
    np.testing.assert_allclose(w.grad(mx.cpu(0)).asnumpy(), w.grad(mx.cpu(1)).asnumpy())
    assert w.grad(mx.cpu(1)).context == mx.cpu(1)
    net.reset_ctx(mx.cpu(2))
    assert w.list_ctx() == [mx.cpu(2)]


def test_cast_to_float64():
    net = MLP()
    net.initialize()
    net(mx.nd.ones((1, 3)))
    net.cast("float64")
    assert all(p.dtype == np.float64 for p in net.collect_params().values())
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    y = net(mx.nd.array(x, dtype="float64"))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.asnumpy(), _numpy_mlp(net, x), rtol=1e-12)
    with mx.autograd.record():
        loss = net(mx.nd.array(x, dtype="float64")).sum()
    loss.backward()
    assert net.out.weight.grad().dtype == np.float64


# -- registration rules ---------------------------------------------------------------------------
def test_register_child_rules():
    class Holder(Block):
        def __init__(self):
            super().__init__()
            self.layer = Affine(1, in_units=1)

    holder = Holder()
    with pytest.raises(TypeError, match="Changing attribute type"):
        holder.layer = 3
    holder.register_child(nn.Identity())
    assert list(holder._children) == ["layer", "1"]
    hybrid = nn.HybridSequential()
    with pytest.raises(MXNetError, match="HybridSequential"):
        hybrid.add(nn.Lambda(lambda x: x))

    class Early(Block):
        def __init__(self):
            self.child = Affine(1)
            super().__init__()

    with pytest.raises(MXNetError, match="super\\(\\).__init__"):
        Early()


def test_repr_lists_children():
    net = nn.Sequential()
    net.add(nn.Identity(), nn.Lambda("relu"))
    text = repr(net)
    assert text.startswith("Sequential(") and "(0): Identity(" in text
    assert "(1): Lambda(relu)" in text
    assert "HybridLambda(<lambda>)" in repr(nn.HybridLambda(lambda F, x: x))


# -- containers and wrappers ----------------------------------------------------------------------
def test_sequential_indexing_and_slicing():
    net = nn.HybridSequential(prefix="s_")
    with net.name_scope():
        net.add(Affine(4, in_units=2), Affine(3, in_units=4), Affine(1, in_units=3))
    assert len(net) == 3 and net[1] is net._children["1"]
    head = net[:2]
    assert isinstance(head, nn.HybridSequential) and len(head) == 2
    assert head.prefix == "s_" and head[0] is net[0]
    net.initialize()
    assert head(mx.nd.ones((5, 2))).shape == (5, 3)


def test_sequential_spreads_tuple_outputs():
    net = nn.Sequential()
    net.add(nn.Lambda(lambda x: (x, x * 2)), nn.Lambda(lambda a, b: a + b))
    assert net(mx.nd.array([1.0])).asnumpy().tolist() == [3.0]
    pair = nn.Sequential()
    pair.add(nn.Lambda(lambda x: [x, x + 1]))
    out = pair(mx.nd.array([1.0]))
    assert isinstance(out, tuple) and out[1].asnumpy().tolist() == [2.0]


def test_lambdas_and_identity():
    x = mx.nd.array([-1.0, 4.0])
    assert nn.Lambda("abs")(x).asnumpy().tolist() == [1, 4]
    assert nn.HybridLambda("relu")(x).asnumpy().tolist() == [0, 4]
    assert nn.HybridLambda(lambda F, a, b: F.broadcast_add(a, b))(x, x).asnumpy().tolist() == [
        -2, 8]
    assert nn.Identity()(x) is x
    with pytest.raises(MXNetError, match="not_an_op"):
        nn.Lambda("not_an_op")
    with pytest.raises(MXNetError, match="unrecognized function"):
        nn.HybridLambda(42)


def test_sequential_of_blocks_trains():
    net = nn.Sequential()
    with net.name_scope():
        net.add(MLP(), nn.Lambda(lambda x: x * 0.5))
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(np.random.RandomState(1).randn(4, 2))
    params = list(net.collect_params().values())
    with mx.autograd.record():
        loss = (net(x) ** 2).mean()
    loss.backward()
    before = loss.asscalar()
    for p in params:
        p.set_data(p.data() - 0.1 * p.grad())
    assert (net(x) ** 2).mean().asscalar() < before


def test_keyword_inputs_reach_hybrid_forward():
    class Weighted(HybridBlock):
        def hybrid_forward(self, F, pred, label, sample_weight=None):
            out = F.abs(pred - label)
            return out if sample_weight is None else out * sample_weight

    blk = Weighted()
    one = mx.nd.array([1.0, -1.0])
    assert blk(one, one * 0).asnumpy().tolist() == [1, 1]
    assert blk(one, one * 0, sample_weight=one * 3).asnumpy().tolist() == [3, -3]
