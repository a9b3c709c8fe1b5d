"""Every gluon loss traces under hybridize() and matches its imperative run (forward and the
gradient w.r.t. pred); the recurrent cells' unroll does the same."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd
from mxcore.gluon import loss as gloss
from mxcore.gluon import rnn

RNG = np.random.default_rng(7)


def arr(shape, low=-1.0, high=1.0):
    return mx.nd.array(RNG.uniform(low, high, shape))


def signs(shape):
    return mx.nd.array(RNG.choice([-1.0, 1.0], size=shape))


def ctc_inputs():
    pred = arr((2, 5, 4))
    label = mx.nd.array([[1, 2, 1], [0, -1, -1]])
    return pred, label


# name -> (factory, inputs factory); inputs[0] is pred (the input differentiated)
LOSSES = {
    "L2": (gloss.L2Loss, lambda: (arr((3, 4)), arr((3, 4)))),
    "L2-label-reshaped": (gloss.L2Loss, lambda: (arr((3, 1)), arr((3,)))),
    "L2-sample-weight": (gloss.L2Loss, lambda: (arr((3, 4)), arr((3, 4)), arr((3, 1), 0, 1))),
    "L2-batch-axis-1": (lambda: gloss.L2Loss(batch_axis=1),
                        lambda: (arr((3, 4, 2)), arr((3, 4, 2)))),
    "L1": (lambda: gloss.L1Loss(weight=0.5), lambda: (arr((3, 4)), arr((3, 4)))),
    "SigmoidBCE": (gloss.SigmoidBCELoss, lambda: (arr((3, 4), -3, 3), arr((3, 4), 0, 1))),
    "SigmoidBCE-pos-weight": (gloss.SigmoidBCELoss,
                              lambda: (arr((3, 4), -3, 3), arr((3, 4), 0, 1), None,
                                       arr((1, 4), 0.5, 2))),
    "SigmoidBCE-from-sigmoid": (lambda: gloss.SigmoidBCELoss(from_sigmoid=True),
                                lambda: (arr((3, 4), 0.05, 0.95), arr((3, 4), 0, 1))),
    "SoftmaxCE": (gloss.SoftmaxCELoss, lambda: (arr((3, 5)), mx.nd.array([0, 4, 2]))),
    "SoftmaxCE-dense": (lambda: gloss.SoftmaxCELoss(sparse_label=False),
                        lambda: (arr((3, 5)), mx.nd.softmax(arr((3, 5))))),
    "KLDiv": (gloss.KLDivLoss, lambda: (mx.nd.log_softmax(arr((3, 5))),
                                        mx.nd.softmax(arr((3, 5))))),
    "KLDiv-logits": (lambda: gloss.KLDivLoss(from_logits=False),
                     lambda: (arr((3, 5)), mx.nd.softmax(arr((3, 5))))),
    "CTC": (gloss.CTCLoss, ctc_inputs),
    "CTC-lengths": (gloss.CTCLoss, lambda: ctc_inputs() + (mx.nd.array([5, 4]),
                                                          mx.nd.array([3, 1]))),
    "Huber": (lambda: gloss.HuberLoss(rho=0.5), lambda: (arr((3, 4), -2, 2), arr((3, 4)))),
    "Hinge": (gloss.HingeLoss, lambda: (arr((3, 4), -2, 2), signs((3, 4)))),
    "SquaredHinge": (gloss.SquaredHingeLoss, lambda: (arr((3, 4), -2, 2), signs((3, 4)))),
    "Logistic": (gloss.LogisticLoss, lambda: (arr((3, 4), -2, 2), signs((3, 4)))),
    "Logistic-binary": (lambda: gloss.LogisticLoss(label_format="binary"),
                        lambda: (arr((3, 4), -2, 2), arr((3, 4), 0, 1))),
    "Triplet": (gloss.TripletLoss, lambda: (arr((3, 4)), arr((3, 4)), arr((3, 4)))),
    "PoissonNLL": (gloss.PoissonNLLLoss, lambda: (arr((3, 4)), arr((3, 4), 0, 3))),
    "PoissonNLL-full": (lambda: gloss.PoissonNLLLoss(from_logits=False, compute_full=True),
                        lambda: (arr((3, 4), 0.5, 2), arr((3, 4), 0, 4))),
    "CosineEmbedding": (lambda: gloss.CosineEmbeddingLoss(margin=0.1),
                        lambda: (arr((3, 4)), arr((3, 4)), mx.nd.array([1, -1, 1]))),
    "SDML": (gloss.SDMLLoss, lambda: (arr((4, 3)), arr((4, 3)))),
}


def run(block, inputs):
    """Forward output and the gradient w.r.t. the first input."""
    inputs = [x.copy() if x is not None else None for x in inputs]
    inputs[0].attach_grad()
    with autograd.record():
        out = block(*inputs)
    out.backward()
    return out.asnumpy(), inputs[0].grad.asnumpy()


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_hybridized_matches_imperative(name):
    factory, make_inputs = LOSSES[name]
    inputs = make_inputs()
    want_out, want_grad = run(factory(), inputs)
    hybrid = factory()
    hybrid.hybridize()
    got_out, got_grad = run(hybrid, inputs)
    assert hybrid._trace_error is None, repr(hybrid._trace_error)
    assert hybrid._cached_graph is not None
    np.testing.assert_allclose(got_out, want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-5, atol=1e-6)
    # a second call (another batch size where the loss allows it) reuses the graph
    again = hybrid(*inputs)
    np.testing.assert_allclose(again.asnumpy(), want_out, rtol=1e-5, atol=1e-6)


def test_sdml_hybridized_fits_any_batch_size():
    loss = gloss.SDMLLoss()
    loss.hybridize()
    for batch in (4, 2, 1):
        x1, x2 = arr((batch, 3)), arr((batch, 3))
        want = gloss.SDMLLoss()(x1, x2).asnumpy()
        np.testing.assert_allclose(loss(x1, x2).asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert loss._trace_error is None


def test_sdml_checks_shapes_when_hybridized():
    loss = gloss.SDMLLoss()
    loss.hybridize()
    with pytest.raises(mx.base.MXNetError, match="SDMLLoss"):
        loss(arr((4, 3)), arr((3, 3)))


# -- recurrent cells ---------------------------------------------------------------------------
CELLS = {
    "rnn": lambda: rnn.RNNCell(5, input_size=3),
    "rnn-relu": lambda: rnn.RNNCell(5, activation="relu", input_size=3),
    "lstm": lambda: rnn.LSTMCell(5, input_size=3),
    "gru": lambda: rnn.GRUCell(5, input_size=3),
    "lstm-deferred": lambda: rnn.LSTMCell(5),
    "stack": lambda: _stack(),
    "residual": lambda: rnn.ResidualCell(rnn.GRUCell(3, input_size=3)),
}


def _stack():
    stack = rnn.HybridSequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.LSTMCell(4, input_size=3))
        stack.add(rnn.GRUCell(5, input_size=4))
    return stack


class _Unrolled(mx.gluon.HybridBlock):
    """A block whose hybrid_forward unrolls a cell over a known length."""

    def __init__(self, cell, length, layout, valid_length=False, **kwargs):
        super().__init__(**kwargs)
        self._length = length
        self._layout = layout
        self._valid = valid_length
        with self.name_scope():
            self.cell = cell

    def hybrid_forward(self, F, x, valid_length=None):
        outputs, states = self.cell.unroll(self._length, x, layout=self._layout,
                                           merge_outputs=True, valid_length=valid_length)
        return [outputs] + list(states)


def _unroll_outputs(block, inputs):
    inputs = [x.copy() for x in inputs]
    inputs[0].attach_grad()
    with autograd.record():
        outs = block(*inputs)
        total = sum(o.sum() for o in outs)
    total.backward()
    grads = [p.grad().asnumpy() for p in block.collect_params().values()]
    return [o.asnumpy() for o in outs], inputs[0].grad.asnumpy(), grads


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("layout", ["NTC", "TNC"])
@pytest.mark.parametrize("valid", [False, True])
def test_cell_unroll_traced_matches_imperative(name, layout, valid):
    x = arr((2, 4, 3) if layout == "NTC" else (4, 2, 3))
    inputs = [x] + ([mx.nd.array([4, 2])] if valid else [])
    imperative = _Unrolled(CELLS[name](), 4, layout, valid)
    imperative.initialize()
    want = _unroll_outputs(imperative, inputs)
    hybrid = _Unrolled(CELLS[name](), 4, layout, valid)
    hybrid.initialize()
    for src, dst in zip(imperative.collect_params().values(),
                        hybrid.collect_params().values()):
        dst.set_data(src.data())
    hybrid.hybridize()
    got = _unroll_outputs(hybrid, inputs)
    assert hybrid._trace_error is None, repr(hybrid._trace_error)
    assert hybrid._cached_graph is not None
    for g, w in zip(got[0], want[0]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
    for g, w in zip(got[2], want[2]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_hybridized_cell_steps_in_unroll(name):
    x = arr((2, 4, 3))
    cell = CELLS[name]()
    cell.initialize()
    want_out, want_states = cell.unroll(4, x, merge_outputs=True)
    cell.hybridize()
    got_out, got_states = cell.unroll(4, x, merge_outputs=True)
    assert cell._trace_error is None, repr(cell._trace_error)
    np.testing.assert_allclose(got_out.asnumpy(), want_out.asnumpy(), rtol=1e-5, atol=1e-6)
    for g, w in zip(got_states, want_states):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-5, atol=1e-6)


def test_symbolic_unroll_needs_length():
    cell = rnn.GRUCell(4, input_size=3)
    with pytest.raises(mx.base.MXNetError, match="length"):
        cell.unroll(None, mx.sym.var("data"))


@pytest.mark.parametrize("layout", ["NTC", "TNC"])
def test_bidirectional_unroll_traced_matches_imperative(layout):
    def make():
        return rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3, prefix="l0_"),
                                     rnn.GRUCell(4, input_size=3, prefix="r0_"))

    x = arr((2, 4, 3) if layout == "NTC" else (4, 2, 3))
    imperative = _Unrolled(make(), 4, layout)
    imperative.initialize()
    want = _unroll_outputs(imperative, [x])
    hybrid = _Unrolled(make(), 4, layout)
    hybrid.initialize()
    for src, dst in zip(imperative.collect_params().values(),
                        hybrid.collect_params().values()):
        dst.set_data(src.data())
    hybrid.hybridize()
    got = _unroll_outputs(hybrid, [x])
    assert hybrid._trace_error is None, repr(hybrid._trace_error)
    for g, w in zip(got[0] + [got[1]] + got[2], want[0] + [want[1]] + want[2]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make, layout, with_length", [
    (lambda: rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3), "TNC", False),
    (lambda: rnn.GRU(4, layout="NTC", input_size=3), "NTC", False),
    (lambda: rnn.RNN(4, activation="tanh", input_size=3, use_sequence_length=True), "TNC",
     True),
])
def test_rnn_layers_hybridize_into_one_fused_node(make, layout, with_length):
    layer = make()
    layer.initialize(mx.init.Uniform(0.3))
    shape = (5, 2, 3) if layout == "TNC" else (2, 5, 3)
    extra = [mx.nd.array([5, 3])] if with_length else []

    def run(x):
        x.attach_grad()
        with autograd.record():
            out = layer(x, None, *extra) if extra else layer(x)
            (out * out).sum().backward()
        grads = {k: p.grad().asnumpy().copy() for k, p in layer.collect_params().items()}
        return out.asnumpy(), x.grad.asnumpy(), grads

    x = arr(shape)
    want = run(x)
    layer.hybridize()
    got = run(x)
    assert layer._trace_error is None, repr(layer._trace_error)
    ops = [n["op"] for n in __import__("json").loads(layer._cached_graph.symbol.tojson())["nodes"]]
    assert ops.count("RNN") == 1
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
    for k in want[2]:
        np.testing.assert_allclose(got[2][k], want[2][k], rtol=1e-4, atol=1e-6)
    # another sequence length runs the same traced graph
    longer = arr((7,) + shape[1:] if layout == "TNC" else shape[:1] + (7, 3))
    hybrid = layer(longer, None, *extra) if extra else layer(longer)
    layer.hybridize(False)
    plain = layer(longer, None, *extra) if extra else layer(longer)
    np.testing.assert_allclose(hybrid.asnumpy(), plain.asnumpy(), rtol=1e-5, atol=1e-6)


def test_exported_lstm_loads_as_a_symbol_block(tmp_path):
    layer = rnn.LSTM(3, num_layers=2, input_size=4)
    layer.initialize(mx.init.Uniform(0.3))
    layer.hybridize()
    x = arr((6, 2, 4))
    want = layer(x).asnumpy()
    layer.export(str(tmp_path / "lstm"), epoch=1)
    loaded = mx.gluon.SymbolBlock.imports(str(tmp_path / "lstm-symbol.json"), ["data"],
                                          str(tmp_path / "lstm-0001.params"))
    np.testing.assert_allclose(loaded(x).asnumpy(), want, rtol=1e-5, atol=1e-6)
