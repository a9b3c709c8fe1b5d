"""Symbol construction: names, arguments, outputs, attributes, arithmetic, binding."""

import threading

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError


def _mlp():
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("label")
    w = mx.sym.Variable("w")
    b = mx.sym.Variable("b")
    with mx.name.NameManager():
        fc1 = mx.sym.FullyConnected(data, weight=w, bias=b, num_hidden=128)
        act = mx.sym.Activation(fc1, act_type="relu")
        fc2 = mx.sym.FullyConnected(act, num_hidden=10)
        out = mx.sym.LinearRegressionOutput(fc2, label=label)
    return out


def test_arguments_of_the_seed_program():
    out = _mlp()
    assert out.list_arguments() == ["data", "w", "b", "fullyconnected1_weight",
                                    "fullyconnected1_bias", "label"]
    assert out.list_outputs() == ["linearregressionoutput0_output"]
    assert out.list_auxiliary_states() == []
    assert out.name == "linearregressionoutput0"


def test_softmax_output_seed_program():
    data = mx.sym.Variable("data")
    with mx.name.NameManager():
        fc = mx.sym.FullyConnected(data, num_hidden=10)
        out = mx.sym.SoftmaxOutput(fc, name="softmax")
    assert out.list_arguments() == ["data", "fullyconnected0_weight", "fullyconnected0_bias",
                                    "softmax_label"]
    arg_shapes, out_shapes, _ = out.infer_shape(data=(8, 20))
    assert arg_shapes == [(8, 20), (10, 20), (10,), (8,)]
    assert out_shapes == [(8, 10)]


def test_auto_names_count_per_op():
    with mx.name.NameManager():
        a = mx.sym.FullyConnected(num_hidden=2)
        b = mx.sym.FullyConnected(num_hidden=2)
        c = mx.sym.Activation(act_type="relu")
    assert (a.name, b.name, c.name) == ("fullyconnected0", "fullyconnected1", "activation0")
    assert a.list_arguments() == ["fullyconnected0_data", "fullyconnected0_weight",
                                  "fullyconnected0_bias"]


def test_prefix_and_thread_local_counters():
    names = []
    with mx.name.Prefix("net_"):
        names.append(mx.sym.Convolution(kernel=(3, 3), num_filter=2).name)
        names.append(mx.sym.Convolution(kernel=(3, 3), num_filter=2, name="conv").name)
    assert names == ["net_convolution0", "net_conv"]

    seen = []
    thread = threading.Thread(
        target=lambda: seen.append(mx.sym.Dropout(mx.sym.var("x")).name))
    with mx.name.NameManager():
        mx.sym.Dropout(mx.sym.var("x"))
        thread.start()
        thread.join()
    assert seen[0].startswith("dropout")


def test_batchnorm_aux_states_and_no_bias():
    data = mx.sym.Variable("data")
    with mx.name.NameManager():
        net = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=4, no_bias=True))
    assert net.list_arguments() == ["data", "fullyconnected0_weight", "batchnorm0_gamma",
                                    "batchnorm0_beta"]
    assert net.list_auxiliary_states() == ["batchnorm0_moving_mean", "batchnorm0_moving_var"]
    assert net.list_inputs() == net.list_arguments()[:2] + [
        "batchnorm0_gamma", "batchnorm0_beta", "batchnorm0_moving_mean",
        "batchnorm0_moving_var"]
    assert net.list_outputs() == ["batchnorm0_output"]


def test_multi_output_indexing_and_group():
    x = mx.sym.Variable("x")
    parts = mx.sym.SliceChannel(x, num_outputs=3, name="split")
    assert len(parts) == 3
    assert parts.list_outputs() == ["split_output0", "split_output1", "split_output2"]
    assert parts[1].list_outputs() == ["split_output1"]
    assert parts["split_output2"].list_outputs() == ["split_output2"]
    assert parts.name is None
    with pytest.raises(IndexError):
        parts[3]
    with pytest.raises(MXNetError, match="no output named"):
        parts["nope"]
    group = mx.sym.Group([parts[0], x])
    assert group.list_outputs() == ["split_output0", "x"]
    assert [s.list_outputs()[0] for s in group] == ["split_output0", "x"]


def test_variadic_concat():
    a, b, c = (mx.sym.var(n) for n in "abc")
    cat = mx.sym.Concat(a, b, c, dim=0, name="cat")
    assert cat.list_arguments() == ["a", "b", "c"]
    assert cat.attr("num_args") == "3"
    assert cat.infer_shape(a=(1, 2), b=(2, 2), c=(3, 2))[1] == [(6, 2)]
    with pytest.raises(MXNetError, match="num_args"):
        mx.sym.Concat(a, b, num_args=3)


def test_internals_and_children():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    act = mx.sym.Activation(fc, act_type="tanh", name="act")
    internals = act.get_internals()
    assert internals.list_outputs() == ["data", "fc_weight", "fc_bias", "fc_output",
                                        "act_output"]
    fc_out = internals["fc_output"]
    assert fc_out.list_arguments() == ["data", "fc_weight", "fc_bias"]
    assert act.get_children().list_outputs() == ["fc_output"]
    assert data.get_children() is None


def test_arithmetic_ops_and_scalars():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    expr = (a + b) * 2 - 1 / a + a ** 2 - (-b) + abs(a) % 3
    assert expr.list_arguments() == ["a", "b"]
    ops = {node.op.name for node in expr._topo() if node.op is not None}
    assert {"broadcast_add", "_mul_scalar", "_rdiv_scalar", "_power_scalar", "negative",
            "abs", "_mod_scalar"} <= ops
    xs = {"a": mx.nd.array([1.0, 2.0]), "b": mx.nd.array([3.0, 4.0])}
    got = expr.eval(mx.cpu(), **xs)[0].asnumpy()
    av, bv = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    want = (av + bv) * 2 - 1 / av + av ** 2 + bv + np.abs(av) % 3
    np.testing.assert_allclose(got, want, rtol=1e-6)
    cmp = (a > b).eval(mx.cpu(), **xs)[0].asnumpy()
    np.testing.assert_array_equal(cmp, [0, 0])
    assert (3 - a).eval(mx.cpu(), a=xs["a"])[0].asnumpy().tolist() == [2, 1]


def test_fluent_methods():
    x = mx.sym.var("x")
    y = x.reshape((2, -1)).sum(axis=1)
    assert y.infer_shape(x=(4, 3))[1] == [(2,)]


def test_errors_name_the_op():
    x = mx.sym.var("x")
    with pytest.raises(MXNetError, match="FullyConnected"):
        mx.sym.FullyConnected(x, num_hidden=2, bogus=1)
    with pytest.raises(MXNetError, match="num_hidden"):
        mx.sym.FullyConnected(x)
    with pytest.raises(TypeError, match="Symbol"):
        mx.sym.FullyConnected(mx.nd.ones((2, 2)), num_hidden=2)
    with pytest.raises(MXNetError, match="group"):
        mx.sym.relu(mx.sym.Group([x, x]))
    with pytest.raises(MXNetError, match="double underscores"):
        mx.sym.Variable("v", mood="sad")
    with pytest.raises(MXNetError):
        bool(x)
    with pytest.raises(MXNetError, match="gradient"):
        x.gradient(["x"])


def test_variable_attributes():
    init = mx.init.Uniform(0.1)
    v = mx.sym.Variable("v", shape=(2, 3), lr_mult=0.5, wd_mult=2, dtype="float16",
                        init=init, attr={"mood": "calm"}, __extra__="1")
    assert v.attr("__shape__") == "(2, 3)"
    assert v.attr("__lr_mult__") == "0.5"
    assert v.attr("lr_mult") == "0.5"
    assert v.attr("__wd_mult__") == "2"
    assert v.attr("__dtype__") == "2"
    assert v.attr("__init__") == init.dumps()
    assert v.attr("mood") == "calm"
    assert v.attr("__extra__") == "1"
    assert v.list_attr()["mood"] == "calm"
    assert v.infer_shape()[0] == [(2, 3)]
    assert v.infer_type()[0] == [np.float16]


def test_attr_scope():
    with mx.AttrScope(ctx_group="dev1", mood="x"):
        with mx.AttrScope(mood="y"):
            fc = mx.sym.FullyConnected(mx.sym.var("d"), num_hidden=2, name="fc",
                                       attr={"extra": "1"})
        v = mx.sym.var("v")
    outside = mx.sym.var("w")
    assert fc.attr("ctx_group") == "dev1"
    assert fc.attr("mood") == "y"
    assert fc.attr("extra") == "1"
    assert v.attr("ctx_group") == "dev1" and v.attr("mood") == "x"
    assert outside.attr("ctx_group") is None
    attrs = fc.attr_dict()
    assert attrs["fc"] == {"num_hidden": "2", "__ctx_group__": "dev1", "mood": "y",
                           "extra": "1"}
    assert attrs["d"] == {"__ctx_group__": "dev1", "mood": "y"}  # made in the inner scope
    with pytest.raises(TypeError):
        mx.AttrScope(lr_mult=2)


def test_deepcopy_is_independent():
    import copy

    x = mx.sym.var("x")
    y = mx.sym.relu(x, name="r")
    z = copy.deepcopy(y)
    z._set_attr(mood="new")
    assert y.attr("mood") is None and z.attr("mood") == "new"
    assert z.list_arguments() == ["x"]
    assert repr(y) == "<Symbol r>"


def test_deep_graph_has_no_recursion_limit():
    x = mx.sym.var("x")
    y = x
    for _ in range(3000):
        y = y + 1
    assert y.list_arguments() == ["x"]
    assert len(y._topo()) == 3001
    assert y.infer_shape(x=(2,))[1] == [(2,)]


def test_simple_bind_and_bind():
    data = mx.sym.Variable("data")
    net = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=4, name="fc"), name="bn")
    exe = net.simple_bind(mx.cpu(), data=(3, 5), type_dict={"data": "float64"})
    assert exe.arg_dict["fc_weight"].shape == (4, 5)
    assert exe.arg_dict["fc_weight"].dtype == np.float64
    assert exe.grad_dict["fc_bias"].shape == (4,)
    assert exe.aux_dict["bn_moving_var"].shape == (4,)
    assert exe.forward(is_train=False)[0].shape == (3, 4)

    exe = net.simple_bind(mx.cpu(), grad_req={"data": "null", "fc_weight": "write"},
                          data=(3, 5))
    assert exe.grad_dict.get("data") is None
    assert exe.grad_dict["fc_weight"].shape == (4, 5)

    x = mx.sym.var("x")
    exe = (x * 3).bind(mx.cpu(), {"x": mx.nd.array([1.0, 2.0])},
                       args_grad={"x": mx.nd.zeros((2,))})
    exe.forward(is_train=True)
    exe.backward(mx.nd.ones((2,)))
    assert exe.grad_dict["x"].asnumpy().tolist() == [3.0, 3.0]
    with pytest.raises(MXNetError, match="cannot infer"):
        net.simple_bind(mx.cpu())


def test_compose_replaces_arguments():
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    x = mx.sym.var("x")
    parts = mx.sym.SliceChannel(x, num_outputs=2, name="s")
    composed = net(data=parts[1])
    assert composed.list_arguments() == ["x", "fc_weight", "fc_bias"]
    assert net.list_arguments() == ["data", "fc_weight", "fc_bias"]  # unchanged
    assert composed.infer_shape(x=(2, 4))[0] == [(2, 4), (3, 2), (3,)]
    assert net(mx.sym.relu(x)).list_arguments()[0] == "x"
    with pytest.raises(MXNetError, match="not inputs"):
        net(nope=x)


def test_array_or_scalar_helpers_match_ndarray():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    x, y = mx.nd.array([[1.0, 5.0]]), mx.nd.array([[3.0], [2.0]])
    for name in ("maximum", "minimum", "power", "hypot", "equal", "lesser"):
        fn_sym, fn_nd = getattr(mx.sym, name), getattr(mx.nd, name)
        both = fn_sym(a, b).eval(ctx=mx.cpu(), a=x, b=y)[0]
        np.testing.assert_allclose(both.asnumpy(), fn_nd(x, y).asnumpy())
        left = fn_sym(2.0, a).eval(ctx=mx.cpu(), a=x)[0]
        np.testing.assert_allclose(left.asnumpy(), fn_nd(2.0, x).asnumpy())
    with pytest.raises(mx.base.MXNetTypeError, match="maximum"):
        mx.sym.maximum(a, "x")
