"""HybridBlock.hybridize (traced graphs), export, SymbolBlock and SymbolBlock.imports."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon
from mxcore.base import MXNetError
from mxcore.gluon import nn, rnn


def _mlp(in_units=0):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(16, activation="relu", in_units=in_units))
        net.add(nn.Dense(8, activation="tanh"))
        net.add(nn.Dense(4))
    return net


def _cnn():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, kernel_size=3, padding=1))
        net.add(nn.BatchNorm())
        net.add(nn.Activation("relu"))
        net.add(nn.MaxPool2D())
        net.add(nn.Flatten())
        net.add(nn.Dense(5))
    return net


def _twins(make, x, init=None):
    """Two identical initialised nets (the second hybridized) after one imperative call."""
    a, b = make(), make()
    a.initialize(init or mx.init.Xavier())
    b.initialize(init or mx.init.Xavier())
    a(x)
    b(x)
    for pa, pb in zip(a.collect_params().values(), b.collect_params().values()):
        pb.set_data(pa.data())
    b.hybridize()
    return a, b


def _params(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


def _assert_traced(net):
    assert net._trace_error is None
    assert net._cached_graph is not None


def _data(*shape, seed=0):
    return mx.nd.array(np.random.RandomState(seed).uniform(-1, 1, shape))


# -- forward and backward ----------------------------------------------------------------------
def test_mlp_forward_and_backward_match_imperative():
    x = _data(6, 10)
    a, b = _twins(_mlp, x)
    np.testing.assert_array_equal(b(x).asnumpy(), a(x).asnumpy())
    _assert_traced(b)
    grads = []
    for net in (a, b):
        xin = x.copy()
        xin.attach_grad()
        with autograd.record():
            loss = (net(xin) ** 2).sum()
        loss.backward()
        grads.append([p.grad().asnumpy() for p in net.collect_params().values()]
                     + [xin.grad.asnumpy()])
    for ga, gb in zip(*grads):
        np.testing.assert_allclose(gb, ga, rtol=1e-6, atol=1e-7)


def test_children_are_traced_into_one_graph_with_parameter_variables():
    x = _data(2, 10)
    net = _mlp(in_units=10)
    net.initialize()
    net.hybridize()
    net(x)
    _assert_traced(net)
    assert all(child._cached_graph is None for child in net._children.values())
    symbol = net._cached_graph.symbol
    assert symbol.list_arguments() == ["data"] + list(net.collect_params().keys())
    assert symbol.list_outputs()[0].startswith(net[2].prefix)


def test_cnn_with_batchnorm_train_and_predict_modes():
    x = _data(3, 2, 6, 6)
    a, b = _twins(_cnn, x)
    for _ in range(2):
        outs = []
        for net in (a, b):
            with autograd.record():
                out = net(x)
                loss = (out * out).mean()
            loss.backward()
            outs.append(out.asnumpy())
        np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
    for pa, pb in zip(a.collect_params().values(), b.collect_params().values()):
        np.testing.assert_allclose(pb.data().asnumpy(), pa.data().asnumpy(), rtol=1e-6,
                                   err_msg=pa.name)  # running stats updated the same
        if pa.grad_req != "null":
            np.testing.assert_allclose(pb.grad().asnumpy(), pa.grad().asnumpy(), rtol=1e-4,
                                       atol=1e-6, err_msg=pa.name)
    _assert_traced(b)
    np.testing.assert_allclose(b(x).asnumpy(), a(x).asnumpy(), rtol=1e-5, atol=1e-6)
    mean = b[1].running_mean.data().asnumpy().copy()
    b(x)  # predict mode leaves the running stats alone
    np.testing.assert_array_equal(b[1].running_mean.data().asnumpy(), mean)


@pytest.mark.parametrize("mode", ["record_predict", "train_no_record"])
def test_other_autograd_modes_match_imperative(mode):
    x = _data(3, 2, 6, 6)
    a, b = _twins(_cnn, x)
    outs = []
    for net in (a, b):
        if mode == "record_predict":
            with autograd.record(train_mode=False):
                out = net(x)
            out.backward()
        else:
            with autograd.train_mode():
                out = net(x)
        outs.append(out.asnumpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b[1].running_var.data().asnumpy(),
                               a[1].running_var.data().asnumpy(), rtol=1e-6)
    if mode == "record_predict":
        np.testing.assert_allclose(b[0].weight.grad().asnumpy(),
                                   a[0].weight.grad().asnumpy(), rtol=1e-4, atol=1e-6)


def test_dropout_draws_the_same_masks():
    def make():
        net = nn.HybridSequential()
        net.add(nn.Dense(8, in_units=4), nn.Dropout(0.5))
        return net

    x = _data(5, 4)
    a, b = _twins(make, x)
    outs = []
    for net in (a, b):
        mx.random.seed(7)
        with autograd.record():
            outs.append(net(x).asnumpy())
    np.testing.assert_array_equal(outs[1], outs[0])


def test_training_with_trainer_gives_identical_parameters():
    x, label = _data(8, 10), mx.nd.array([0, 1, 2, 3, 0, 1, 2, 3])
    a, b = _twins(_mlp, x)
    for net in (a, b):
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        if net is b:
            loss_fn.hybridize()
        trainer = gluon.Trainer(net.collect_params(), "sgd",
                                {"learning_rate": 0.1, "momentum": 0.9})
        for _ in range(4):
            with autograd.record():
                loss = loss_fn(net(x), label)
            loss.backward()
            trainer.step(x.shape[0])
    _assert_traced(b)
    for pa, pb in zip(_params(a), _params(b)):
        np.testing.assert_allclose(pb, pa, rtol=1e-5, atol=1e-7)


# -- caching --------------------------------------------------------------------------------------
def test_new_input_shapes_rebuild_and_results_stay_right():
    net = _mlp(in_units=10)
    net.initialize()
    net.hybridize()
    for batch in (4, 7, 4):
        x = _data(batch, 10, seed=batch)
        out = net(x)
        net.hybridize(False)
        np.testing.assert_allclose(out.asnumpy(), net(x).asnumpy(), rtol=1e-6)
        net.hybridize()
    net(_data(4, 10))
    net(_data(7, 10))
    programs = net._cached_graph.programs
    assert sorted(key[1][0] for key in programs) == [(4, 10), (7, 10)]
    net(_data(4, 10, seed=3).astype("float64").astype("float32"))
    assert len(programs) == 2
    net.cast("float64")
    out = net(_data(4, 10).astype("float64"))
    assert out.dtype == np.float64


def test_deferred_shapes_first_call_then_graph():
    net = _mlp()
    net.initialize()
    net.hybridize()
    x = _data(3, 5)
    first = net(x)
    assert net._cached_graph is not None  # traced right after the inferring call
    np.testing.assert_array_equal(net(x).asnumpy(), first.asnumpy())
    assert net[0].weight.shape == (16, 5)


def test_several_inputs_and_tuple_outputs():
    class Pair(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.scale = self.params.get("scale", shape=(1,), init=mx.init.Constant(3.0))

        def hybrid_forward(self, F, x, y, scale):
            s = F.broadcast_mul(x + y, scale)
            return s, [x * y, F.relu(s)]

    net = Pair(prefix="pair_")
    net.initialize()
    x, y = _data(2, 3), _data(2, 3, seed=1)
    ref = net(x, y)
    net.hybridize()
    out = net(x, y)
    _assert_traced(net)
    assert net._cached_graph.input_names == ["data0", "data1"]
    assert isinstance(out, tuple) and isinstance(out[1], list)
    for r, o in zip([ref[0]] + ref[1], [out[0]] + out[1]):
        np.testing.assert_allclose(o.asnumpy(), r.asnumpy(), rtol=1e-6)


def test_untraceable_block_keeps_running_imperatively():
    class ShapeReader(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x.reshape((x.shape[0], -1))

    blk = ShapeReader()
    blk.hybridize()
    out = blk(mx.nd.ones((2, 3, 4)))
    assert out.shape == (2, 12)
    assert isinstance(blk._trace_error, AttributeError)


def test_rnn_layer_hybridized_matches_imperative():
    x = _data(5, 2, 3)
    a, b = _twins(lambda: rnn.LSTM(6, num_layers=2), x)
    np.testing.assert_allclose(b(x).asnumpy(), a(x).asnumpy(), rtol=1e-5)


def test_forward_hooks_still_run_on_the_hybridized_block():
    net = _mlp(in_units=10)
    net.initialize()
    net.hybridize()
    seen = []
    net.register_forward_hook(lambda blk, inputs, out: seen.append(out.shape))
    net(_data(2, 10))
    net(_data(2, 10))
    assert seen == [(2, 4), (2, 4)]


# -- export and SymbolBlock -----------------------------------------------------------------------
def test_export_needs_a_traced_graph():
    net = _mlp(in_units=10)
    net.initialize()
    with pytest.raises(MXNetError, match="hybridize"):
        net.export("unused")


def test_export_imports_round_trip_cnn(tmp_path):
    x = _data(2, 2, 6, 6)
    net = _cnn()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    with autograd.record():  # move the running stats away from their initial values
        net(x)
    expected = net(x).asnumpy()
    sym_file, param_file = net.export(str(tmp_path / "cnn"), epoch=2)
    assert sym_file.endswith("cnn-symbol.json") and param_file.endswith("cnn-0002.params")
    saved = mx.nd.load(param_file)
    prefix = net.prefix
    assert f"arg:{prefix}conv0_weight" in saved
    assert f"aux:{prefix}batchnorm0_running_mean" in saved
    assert len(saved) == len(net.collect_params())
    loaded = gluon.SymbolBlock.imports(sym_file, ["data"], param_file)
    np.testing.assert_allclose(loaded(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    aux = loaded.params[f"{prefix}batchnorm0_running_var"]
    assert aux.grad_req == "null"
    np.testing.assert_array_equal(aux.data().asnumpy(), net[1].running_var.data().asnumpy())


def test_export_imports_round_trip_mlp_and_training_the_import(tmp_path):
    x = _data(4, 10)
    net = _mlp(in_units=10)
    net.initialize()
    net.hybridize()
    expected = net(x).asnumpy()
    sym_file, param_file = net.export(str(tmp_path / "mlp"))
    loaded = gluon.SymbolBlock.imports(sym_file, "data", param_file, ctx=mx.cpu())
    np.testing.assert_allclose(loaded(x).asnumpy(), expected, rtol=1e-6)
    trainer = gluon.Trainer(loaded.collect_params(), "sgd", {"learning_rate": 0.5})
    before = _params(loaded)
    with autograd.record():
        loss = loaded(x).sum()
    loss.backward()
    trainer.step(1)
    assert any(not np.allclose(b, a) for b, a in zip(before, _params(loaded)))


def test_symbol_block_infers_parameter_shapes_and_composes():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    feat = gluon.SymbolBlock(mx.sym.relu(fc), data)
    assert sorted(feat.collect_params()) == ["fc_bias", "fc_weight"]
    feat.initialize()
    x = _data(2, 5)
    out = feat(x)
    assert feat.params["fc_weight"].shape == (3, 5)
    w, b = feat.params["fc_weight"].data(), feat.params["fc_bias"].data()
    ref = np.maximum(x.asnumpy() @ w.asnumpy().T + b.asnumpy(), 0)
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-6)

    net = nn.HybridSequential()
    net.add(feat, nn.Dense(2, in_units=3))
    net[1].initialize()
    expected = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-6)
    _assert_traced(net)
    assert "fc_weight" in net._cached_graph.symbol.list_arguments()


def test_symbol_block_multiple_outputs_and_input_checks():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    blk = gluon.SymbolBlock([a + b, a * b], [a, b])
    s, p = blk(mx.nd.array([1, 2]), mx.nd.array([3, 4]))
    assert s.asnumpy().tolist() == [4, 6] and p.asnumpy().tolist() == [3, 8]
    with pytest.raises(MXNetError, match="variables"):
        gluon.SymbolBlock(a + b, [a + b])
    with pytest.raises(MXNetError, match="inputs"):
        blk(mx.nd.array([1, 2]))


def test_parameter_var_names_the_variable():
    p = gluon.Parameter("w", shape=(2, 3), lr_mult=0.5)
    v = p.var()
    assert v.name == "w" and v.list_arguments() == ["w"]
    assert v.attr("__shape__") == "(2, 3)" and v.attr("__lr_mult__") == "0.5"
