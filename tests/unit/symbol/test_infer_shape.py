"""infer_shape / infer_shape_partial / infer_type and the parameter-shape table."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.symbol.shape_inference import PARAM_SHAPES


def test_mlp_shapes_with_label():
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
    act = mx.sym.Activation(fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(act, num_hidden=10, name="fc2")
    out = mx.sym.LinearRegressionOutput(fc2, name="lro")
    arg_shapes, out_shapes, aux_shapes = out.infer_shape(data=(32, 1, 28, 28))
    assert dict(zip(out.list_arguments(), arg_shapes)) == {
        "data": (32, 1, 28, 28), "fc1_weight": (128, 784), "fc1_bias": (128,),
        "fc2_weight": (10, 128), "fc2_bias": (10,), "lro_label": (32, 10)}
    assert out_shapes == [(32, 10)]
    assert aux_shapes == []
    # positional shapes follow list_arguments
    assert out.infer_shape((32, 1, 28, 28))[1] == [(32, 10)]


def test_conv_bn_pool_flatten_fc():
    data = mx.sym.Variable("data")
    net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=8, pad=(1, 1), name="c")
    net = mx.sym.BatchNorm(net, name="bn")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max")
    net = mx.sym.FullyConnected(mx.sym.Flatten(net), num_hidden=5, name="fc")
    arg_shapes, out_shapes, aux_shapes = net.infer_shape(data=(2, 3, 8, 8))
    args = dict(zip(net.list_arguments(), arg_shapes))
    assert args["c_weight"] == (8, 3, 3, 3) and args["c_bias"] == (8,)
    assert args["bn_gamma"] == (8,) and args["fc_weight"] == (5, 128)
    assert aux_shapes == [(8,), (8,)]
    assert out_shapes == [(2, 5)]


@pytest.mark.parametrize("make, data_shape, want", [
    (lambda d: mx.sym.FullyConnected(d, num_hidden=4, flatten=False), (2, 3, 5),
     {"weight": (4, 5), "bias": (4,)}),
    (lambda d: mx.sym.Convolution(d, kernel=(3,), num_filter=6, num_group=2), (1, 4, 9),
     {"weight": (6, 2, 3), "bias": (6,)}),
    (lambda d: mx.sym.Deconvolution(d, kernel=(2, 2), num_filter=6, no_bias=True),
     (1, 4, 3, 3), {"weight": (4, 6, 2, 2)}),
    (lambda d: mx.sym.BatchNorm(d, axis=-1), (2, 3, 7), {"gamma": (7,), "beta": (7,)}),
    (lambda d: mx.sym.LayerNorm(d), (2, 3, 7), {"gamma": (7,), "beta": (7,)}),
    (lambda d: mx.sym.InstanceNorm(d), (2, 3, 7), {"gamma": (3,), "beta": (3,)}),
    (lambda d: mx.sym.GroupNorm(d, num_groups=2), (2, 4, 5), {"gamma": (2,), "beta": (2,)}),
    (lambda d: mx.sym.Embedding(d, input_dim=11, output_dim=3), (4, 2), {"weight": (11, 3)}),
    (lambda d: mx.sym.LeakyReLU(d, act_type="prelu"), (2, 5, 3), {"gamma": (5,)}),
    (lambda d: mx.sym.SoftmaxOutput(d), (4, 10), {"label": (4,)}),
    (lambda d: mx.sym.SoftmaxOutput(d, multi_output=True), (4, 10, 3), {"label": (4, 3)}),
    (lambda d: mx.sym.SoftmaxOutput(d, preserve_shape=True), (4, 2, 10), {"label": (4, 2)}),
    (lambda d: mx.sym.LogisticRegressionOutput(d), (4, 2), {"label": (4, 2)}),
    (lambda d: mx.sym.MAERegressionOutput(d), (4, 2), {"label": (4, 2)}),
])
def test_parameter_shape_table(make, data_shape, want):
    with mx.name.NameManager():
        net = make(mx.sym.Variable("data"))
    arg_shapes, out_shapes, aux_shapes = net.infer_shape(data=data_shape)
    prefix = net.name + "_"
    got = {n[len(prefix):]: s for n, s in zip(net.list_arguments() +
                                              net.list_auxiliary_states(),
                                              arg_shapes + aux_shapes) if n != "data"}
    for key, shape in want.items():
        assert got[key] == shape
    assert all(s is not None for s in out_shapes)


def test_table_covers_the_documented_ops():
    assert {"FullyConnected", "Convolution", "Deconvolution", "BatchNorm", "LayerNorm",
            "InstanceNorm", "GroupNorm", "Embedding", "LeakyReLU", "SoftmaxOutput",
            "LinearRegressionOutput", "LogisticRegressionOutput",
            "MAERegressionOutput"} <= set(PARAM_SHAPES)


def test_incomplete_and_partial():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    fc = mx.sym.FullyConnected(a, num_hidden=3, name="fc")
    net = mx.sym.Group([fc, mx.sym.relu(b, name="r")])
    assert net.infer_shape(a=(2, 4)) == (None, None, None)
    arg_shapes, out_shapes, aux_shapes = net.infer_shape_partial(a=(2, 4))
    assert arg_shapes == [(2, 4), (3, 4), (3,), None]
    assert out_shapes == [(2, 3), None]
    # MXNet 1.x writes 0 for an unknown dim
    assert net.infer_shape_partial(a=(0, 4))[1] == [None, None]


def test_variable_shape_attribute_and_shared_weights():
    w = mx.sym.Variable("w")
    x, y = mx.sym.var("x", shape=(2, 6)), mx.sym.var("y")
    # w is filled by the second FullyConnected; the first (earlier in the graph) needs it
    first = mx.sym.FullyConnected(y, weight=w, num_hidden=4, no_bias=True, name="f1")
    second = mx.sym.FullyConnected(x, weight=w, num_hidden=4, no_bias=True, name="f2")
    net = mx.sym.Group([first, second])
    arg_shapes, out_shapes, _ = net.infer_shape(y=(5, 6))
    assert dict(zip(net.list_arguments(), arg_shapes))["w"] == (4, 6)
    assert out_shapes == [(5, 4), (2, 4)]


def test_errors_name_node_op_and_shapes():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    with pytest.raises(MXNetError, match=r"node 'fc' \(op FullyConnected\).*weight.*\(3, 4\)"):
        fc.infer_shape(data=(2, 4), fc_weight=(3, 5))
    bad = mx.sym.broadcast_add(mx.sym.var("a"), mx.sym.var("b"), name="add")
    with pytest.raises(MXNetError, match=r"node 'add' \(op broadcast_add\).*\(2,3\), \(4,5\)"):
        bad.infer_shape(a=(2, 3), b=(4, 5))
    with pytest.raises(MXNetError, match="not found"):
        fc.infer_shape(nope=(1,))
    with pytest.raises(MXNetError, match="Concat"):
        mx.sym.Concat(mx.sym.var("p"), mx.sym.var("q"), dim=1).infer_shape(p=(2, 3),
                                                                             q=(3, 3))


def test_infer_type():
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    arg_types, out_types, aux_types = net.infer_type(data="float64")
    assert arg_types == [np.float64] * 3 and out_types == [np.float64] and aux_types == []
    assert net.infer_type() == (None, None, None)
    cast = mx.sym.Cast(data, dtype="float16")
    assert cast.infer_type(data=np.float32)[1] == [np.float16]
    emb = mx.sym.Embedding(data, input_dim=4, output_dim=2, dtype="float64", name="e")
    assert emb.infer_type(data="int32")[0] == [np.int32, np.float64]
    assert emb.infer_type(data="int32")[1] == [np.float64]
    bn = mx.sym.BatchNorm(data)
    assert bn.infer_type(data="float16")[2] == [np.float16, np.float16]


def test_no_input_ops_and_random_ops_do_not_move_the_seed():
    z = mx.sym.zeros((2, 3))
    assert z.infer_shape() == ([], [(2, 3)], [])
    mx.random.seed(7)
    first = mx.nd.random.uniform(shape=(3,)).asnumpy()
    mx.random.seed(7)
    mx.sym.Dropout(mx.sym.var("x"), p=0.5).infer_shape(x=(4, 4))
    mx.sym.random_uniform(shape=(3, 2)).infer_shape()
    np.testing.assert_array_equal(mx.nd.random.uniform(shape=(3,)).asnumpy(), first)


def test_abstract_evaluation_of_many_ops():
    x = mx.sym.var("x")
    net = mx.sym.transpose(mx.sym.sum(mx.sym.reshape(x, shape=(0, -1)), axis=1,
                                      keepdims=True))
    assert net.infer_shape(x=(4, 2, 3))[1] == [(1, 4)]
    parts = mx.sym.split(x, num_outputs=2, axis=1)
    assert parts.infer_shape(x=(4, 2, 3))[1] == [(4, 1, 3), (4, 1, 3)]
    log = mx.sym.log(x)  # zeros in: no warnings may escape
    assert log.infer_shape(x=(2,))[1] == [(2,)]
