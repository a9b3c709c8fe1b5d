"""mx.test_utils helpers that bind Symbols: check_symbolic_forward/backward, simple_forward,
check_numeric_gradient and check_consistency on Symbols."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import test_utils as tu


def _fc_tanh():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    return mx.sym.Activation(fc, act_type="tanh", name="act")


def _fc_values(rng):
    x = rng.standard_normal((2, 4))
    w = rng.standard_normal((3, 4)) * 0.5
    b = rng.standard_normal(3)
    return x, w, b


def test_forward_with_list_and_dict_inputs():
    rng = np.random.default_rng(0)
    x, w, b = _fc_values(rng)
    sym = _fc_tanh()
    want = np.tanh(x @ w.T + b)
    outs = tu.check_symbolic_forward(sym, [x, w, b], [want])
    assert outs[0].shape == (2, 3) and outs[0].dtype == np.float32
    tu.check_symbolic_forward(sym, {"data": x, "fc_weight": w, "fc_bias": b},
                              {"act_output": want}, rtol=1e-5, atol=1e-6)
    tu.check_symbolic_forward(sym, [x, w, b], [want], dtype=np.float64, rtol=1e-12,
                              atol=1e-12)


def test_forward_wrong_expected_raises():
    rng = np.random.default_rng(1)
    x, w, b = _fc_values(rng)
    want = np.tanh(x @ w.T + b)
    want[1, 2] += 0.1
    with pytest.raises(AssertionError, match="EXPECTED_act_output"):
        tu.check_symbolic_forward(_fc_tanh(), [x, w, b], [want])


def test_forward_location_must_match_arguments():
    a = mx.sym.Variable("a")
    with pytest.raises(mx.MXNetError, match="location"):
        tu.check_symbolic_forward(a * 2, {"b": np.ones(2)}, [np.ones(2)])
    with pytest.raises(mx.MXNetError, match="location"):
        tu.check_symbolic_forward(a * 2, [np.ones(2), np.ones(2)], [np.ones(2)])


def test_forward_multiple_outputs_and_aux_states():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    grouped = mx.sym.Group([a + b, a * b])
    va, vb = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    tu.check_symbolic_forward(grouped, {"a": va, "b": vb}, [va + vb, va * vb])
    with pytest.raises(AssertionError):
        tu.check_symbolic_forward(grouped, {"a": va, "b": vb}, [va + vb, va + vb])

    bn = mx.sym.BatchNorm(mx.sym.Variable("data"), fix_gamma=False, name="bn")
    x = np.random.default_rng(2).standard_normal((2, 3))
    mean, var = np.array([0.5, -1.0, 0.0]), np.array([2.0, 1.0, 0.5])
    want = (x - mean) / np.sqrt(var + 1e-3)
    tu.check_symbolic_forward(bn, [x, np.ones(3), np.zeros(3)], [want],
                              aux_states=[mean, var])
    tu.check_symbolic_forward(bn, [x, np.ones(3), np.zeros(3)], [want],
                              aux_states={"bn_moving_mean": mean, "bn_moving_var": var})


def test_backward_fully_connected():
    rng = np.random.default_rng(3)
    x, w, b = _fc_values(rng)
    sym = _fc_tanh()
    head = rng.standard_normal((2, 3))
    y = np.tanh(x @ w.T + b)
    g = head * (1 - y ** 2)
    want = {"data": g @ w, "fc_weight": g.T @ x, "fc_bias": g.sum(axis=0)}
    grads = tu.check_symbolic_backward(sym, [x, w, b], [head], want, rtol=1e-4, atol=1e-5)
    assert set(grads) == set(want)
    tu.check_symbolic_backward(sym, [x, w, b], {"act_output": head},
                               [want["data"], want["fc_weight"], want["fc_bias"]],
                               rtol=1e-4, atol=1e-5)
    # only some arguments checked; 'add' checks the added amount, 'null' leaves it alone
    tu.check_symbolic_backward(sym, [x, w, b], [head], {"fc_weight": want["fc_weight"]},
                               rtol=1e-4, atol=1e-5, grad_req="add")
    tu.check_symbolic_backward(sym, [x, w, b], [head], {"fc_bias": np.zeros(3)},
                               grad_req={"fc_bias": "null"})


def test_backward_wrong_expected_raises():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    va, vb = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    head = np.array([1.0, 2.0, -1.0])
    tu.check_symbolic_backward(a * b, [va, vb], [head], [head * vb, head * va])
    with pytest.raises(AssertionError, match="BACKWARD_b"):
        tu.check_symbolic_backward(a * b, [va, vb], [head], [head * vb, head * vb])


def test_backward_default_head_gradient_is_ones():
    x = mx.sym.Variable("x")
    vx = np.array([[0.5, -2.0], [1.0, 0.0]])
    tu.check_symbolic_backward(mx.sym.exp(x), [vx], None, [np.exp(vx)])


def test_simple_forward():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    out = tu.simple_forward(a * b + 1, a=np.array([1.0, 2.0]), b=np.array([3.0, 4.0]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [4.0, 9.0])
    outs = tu.simple_forward(mx.sym.Group([a, a * 2]), ctx=mx.cpu(1), a=np.ones(2))
    assert len(outs) == 2
    np.testing.assert_allclose(outs[1], [2.0, 2.0])


def test_check_numeric_gradient_on_symbols():
    rng = np.random.default_rng(4)
    x, w, b = _fc_values(rng)
    tu.check_numeric_gradient(_fc_tanh(), [x, w, b], dtype=np.float64, numeric_eps=1e-6,
                              rtol=1e-5, atol=1e-7)
    a, c = mx.sym.Variable("a"), mx.sym.Variable("c")
    loc = {"a": rng.uniform(0.5, 1.5, 4), "c": rng.uniform(0.5, 1.5, 4)}
    tu.check_numeric_gradient(mx.sym.log(a) * c + a / c, loc)
    tu.check_numeric_gradient(mx.sym.log(a) * c, loc, grad_nodes=["c"])
    tu.check_numeric_gradient(mx.sym.log(a) * c, loc, grad_nodes={"a": "add", "c": "null"})


def test_check_numeric_gradient_symbol_with_aux_states():
    bn = mx.sym.BatchNorm(mx.sym.Variable("data"), fix_gamma=False, name="bn")
    rng = np.random.default_rng(5)
    tu.check_numeric_gradient(bn, [rng.standard_normal((4, 3)), rng.uniform(0.5, 1.5, 3),
                                   rng.standard_normal(3)],
                              aux_states=[np.zeros(3), np.ones(3)], dtype=np.float64,
                              numeric_eps=1e-6, rtol=1e-4, atol=1e-6)


def test_check_numeric_gradient_symbol_catches_a_wrong_gradient(monkeypatch):
    from mxcore.ops.registry import get_op

    op = get_op("exp")

    def wrong(F, inputs, outputs, out_grads, **attrs):
        return [out_grads[0] * 2]

    monkeypatch.setattr(op, "gradient", wrong)
    with pytest.raises(AssertionError, match="NUMERICAL_x"):
        tu.check_numeric_gradient(mx.sym.exp(mx.sym.Variable("x")), [np.array([0.5, 1.0])],
                                  dtype=np.float64)


def _consistency_entries(shape):
    return [{"ctx": mx.cpu(0), "data": shape, "type_dict": {"data": np.float32}},
            {"ctx": mx.cpu(1), "data": shape, "type_dict": {"data": np.float64}},
            {"ctx": mx.cpu(1), "data": shape, "type_dict": {"data": np.float32}}]


def test_check_consistency_symbol_across_contexts_and_dtypes():
    np.random.seed(6)
    gt = tu.check_consistency(_fc_tanh(), _consistency_entries((2, 4)))
    assert set(gt) == {"act_output", "data", "fc_weight", "fc_bias"}
    assert gt["act_output"].dtype == np.float64 and gt["act_output"].context == mx.cpu(1)
    data = mx.sym.Variable("data")
    tu.check_consistency(mx.sym.sigmoid(data) * data - 1, _consistency_entries((3, 2)),
                         grad_req="add", use_uniform=True, scale=2.0)
    tripled = data * 3
    gt = tu.check_consistency(tripled, _consistency_entries((2,)), grad_req="null",
                              arg_params={"data": np.array([1.0, 2.0])})
    assert list(gt) == tripled.list_outputs()
    np.testing.assert_allclose(gt[tripled.list_outputs()[0]].asnumpy(), [3.0, 6.0])


def test_check_consistency_symbol_detects_a_difference():
    data = mx.sym.Variable("data")
    entries = _consistency_entries((4,))
    # float32 rounding is far outside a 1e-12 tolerance
    tight = {np.float32: 1e-12, np.float64: 1e-12}
    with pytest.raises(AssertionError, match="check_consistency"):
        tu.check_consistency(mx.sym.exp(data), entries, tol=tight,
                             arg_params={"data": np.array([0.1, 0.2, 0.3, 0.4])})
    tu.check_consistency(mx.sym.exp(data), entries, tol=tight, raise_on_err=False,
                         arg_params={"data": np.array([0.1, 0.2, 0.3, 0.4])})
    wrong = {"exp0_output": mx.nd.array([1.0, 1.0, 1.0, 1.0])}
    with pytest.raises(AssertionError, match="exp0_output"):
        tu.check_consistency(mx.sym.exp(data, name="exp0"), entries, grad_req="null",
                             ground_truth=wrong)


def test_check_consistency_symbol_with_aux_params():
    bn = mx.sym.BatchNorm(mx.sym.Variable("data"), name="bn")
    np.random.seed(7)
    tu.check_consistency(bn, _consistency_entries((4, 3)),
                         aux_params={"bn_moving_mean": np.zeros(3),
                                     "bn_moving_var": np.ones(3)})
