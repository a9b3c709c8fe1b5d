"""MXNet's symbol JSON: round trips, hand-written MXNet-format fixtures, MXNet-made files,
and malformed input."""

import json
import os

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError

MODELS = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_models")

# written by hand from MXNet 1.x's documented format (Symbol.tojson of a small MLP)
MXNET_JSON = """
{
  "nodes": [
    {"op": "null", "name": "data", "inputs": []},
    {"op": "null", "name": "fc1_weight", "attrs": {"__lr_mult__": "2.0"}, "inputs": []},
    {"op": "null", "name": "fc1_bias", "inputs": []},
    {"op": "FullyConnected", "name": "fc1", "attrs": {"num_hidden": "16"},
     "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
    {"op": "Activation", "name": "relu1", "attrs": {"act_type": "relu"},
     "inputs": [[3, 0, 0]]},
    {"op": "null", "name": "fc2_weight", "inputs": []},
    {"op": "FullyConnected", "name": "fc2",
     "attrs": {"num_hidden": "4", "no_bias": "True", "flatten": "False"},
     "inputs": [[4, 0, 0], [5, 0, 0]]},
    {"op": "Concat", "name": "cat", "attrs": {"dim": "1", "num_args": "2"},
     "inputs": [[6, 0, 0], [4, 0, 0]]}
  ],
  "arg_nodes": [0, 1, 2, 5],
  "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7, 8],
  "heads": [[7, 0, 0]],
  "attrs": {"mxnet_version": ["int", 10600]}
}
"""

# the pre-1.0 layout: "param" and "attr", two-element entries, no node_row_ptr, aux states
# left out (the loader adds them), hidden keys written plainly
LEGACY_JSON = """
{
  "nodes": [
    {"op": "null", "param": {}, "name": "data", "inputs": [], "backward_source_id": -1},
    {"op": "null", "param": {}, "name": "g", "inputs": [], "backward_source_id": -1,
     "attr": {"lr_mult": "0.5"}},
    {"op": "null", "param": {}, "name": "b", "inputs": [], "backward_source_id": -1},
    {"op": "BatchNorm", "param": {"eps": "0.001", "fix_gamma": "False"}, "name": "bn",
     "inputs": [[0, 0], [1, 0], [2, 0]], "backward_source_id": -1,
     "attr": {"beta_wd_mult": "0", "ctx_group": "dev1"}}
  ],
  "arg_nodes": [0, 1, 2],
  "heads": [[3, 0]]
}
"""


def test_tojson_is_mxnet_format():
    data = mx.sym.Variable("data", shape=(2, 3))
    net = mx.sym.FullyConnected(data, num_hidden=5, name="fc")
    net = mx.sym.BatchNorm(net, name="bn", fix_gamma=False)
    graph = json.loads(net.tojson())
    assert set(graph) == {"nodes", "arg_nodes", "node_row_ptr", "heads", "attrs"}
    assert graph["attrs"] == {"mxnet_version": ["int", 10901]}
    names = [n["name"] for n in graph["nodes"]]
    assert names == ["data", "fc_weight", "fc_bias", "fc", "bn_gamma", "bn_beta",
                     "bn_moving_mean", "bn_moving_var", "bn"]
    assert graph["nodes"][0] == {"op": "null", "name": "data",
                                 "attrs": {"__shape__": "(2, 3)"}, "inputs": []}
    assert graph["nodes"][1] == {"op": "null", "name": "fc_weight", "inputs": []}
    fc = graph["nodes"][3]
    assert fc == {"op": "FullyConnected", "name": "fc", "attrs": {"num_hidden": "5"},
                  "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]}
    assert graph["nodes"][8]["attrs"] == {"fix_gamma": "False"}
    assert graph["arg_nodes"] == [0, 1, 2, 4, 5, 6, 7]
    # BatchNorm has 3 outputs (two hidden): node_row_ptr counts them all
    assert graph["node_row_ptr"] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 11]
    assert graph["heads"] == [[8, 0, 0]]


def test_round_trip_keeps_everything(tmp_path):
    init = mx.init.Normal(0.02)
    data = mx.sym.Variable("data", shape=(4, 8), dtype="float16", lr_mult=0.1, wd_mult=0.0,
                           init=init)
    with mx.AttrScope(ctx_group="dev2"):
        net = mx.sym.Convolution(mx.sym.reshape(data, shape=(4, 2, 2, 2)), kernel=(1, 1),
                                 num_filter=3, pad=(0, 0), name="conv")
    net = mx.sym.Group([net, mx.sym.SliceChannel(data, num_outputs=2, name="sl")[1]])
    text = net.tojson()
    back = mx.sym.load_json(text)
    assert back.tojson() == text
    assert back.list_arguments() == net.list_arguments()
    assert back.list_outputs() == ["conv_output", "sl_output1"]
    v = back.get_internals()["data"]
    assert v.attr("__shape__") == "(4, 8)"
    assert v.attr("__dtype__") == "2"
    assert v.attr("__lr_mult__") == "0.1"
    assert v.attr("__wd_mult__") == "0.0"
    assert v.attr("__init__") == init.dumps()
    assert back.get_internals()["conv_output"].attr("ctx_group") == "dev2"
    assert back.infer_shape() == net.infer_shape()
    assert back.infer_type()[1] == [np.float16, np.float16]
    path = tmp_path / "net-symbol.json"
    net.save(str(path))
    assert mx.sym.load(str(path)).tojson() == text


def test_load_handwritten_mxnet_json():
    net = mx.sym.load_json(MXNET_JSON)
    assert net.list_arguments() == ["data", "fc1_weight", "fc1_bias", "fc2_weight"]
    assert net.list_outputs() == ["cat_output"]
    assert net.get_internals()["fc1_weight"].attr("lr_mult") == "2.0"
    arg_shapes, out_shapes, _ = net.infer_shape(data=(2, 3))
    assert arg_shapes == [(2, 3), (16, 3), (16,), (4, 16)]
    assert out_shapes == [(2, 20)]
    x = mx.nd.ones((2, 3))
    params = {"data": x, "fc1_weight": mx.nd.ones((16, 3)), "fc1_bias": mx.nd.zeros((16,)),
              "fc2_weight": mx.nd.ones((4, 16))}
    out = net.eval(mx.cpu(), **params)[0].asnumpy()
    np.testing.assert_allclose(out[:, :4], 48.0)
    np.testing.assert_allclose(out[:, 4:], 3.0)


def test_load_legacy_json():
    net = mx.sym.load_json(LEGACY_JSON)
    assert net.list_arguments() == ["data", "g", "b"]
    assert net.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    internals = net.get_internals()
    assert internals["g"].attr("__lr_mult__") == "0.5"
    assert internals["b"].attr("__wd_mult__") == "0"
    assert net.attr("ctx_group") == "dev1"
    assert net.attr("eps") == "0.001"
    assert net.infer_shape(data=(2, 3))[2] == [(3,), (3,)]
    assert mx.sym.load_json(net.tojson()).tojson() == net.tojson()


@pytest.mark.parametrize("model", ["cnn", "gluon", "legacy_cnn"])
def test_files_made_by_mxnet(model):
    with open(os.path.join(MODELS, "manifest.json")) as f:
        spec = json.load(f)["models"][model]
    net = mx.sym.load(os.path.join(MODELS, spec["symbol"]))
    assert net.list_arguments() == spec["arguments"]
    assert net.list_auxiliary_states() == spec["aux_states"]
    assert net.list_outputs() == spec["outputs"]
    shapes = {k: tuple(v) for k, v in spec["input_shapes"].items()}
    arg_shapes, out_shapes, aux_shapes = net.infer_shape(**shapes)
    assert arg_shapes == [tuple(s) for s in spec["arg_shapes"]]
    assert out_shapes == [tuple(s) for s in spec["output_shapes"]]
    assert aux_shapes == [tuple(s) for s in spec["aux_shapes"]]
    internals = net.get_internals()
    for name, attrs in spec.get("hidden_attrs", {}).items():
        for key, value in attrs.items():
            assert internals[name].attr(key) == value
    assert mx.sym.load_json(net.tojson()).tojson() == net.tojson()


def test_mxnet_cnn_output_matches():
    with open(os.path.join(MODELS, "manifest.json")) as f:
        spec = json.load(f)["models"]["cnn"]
    net = mx.sym.load(os.path.join(MODELS, spec["symbol"]))
    saved = mx.nd.load(os.path.join(MODELS, spec["params"]))
    inputs = {k.split(":", 1)[1]: v for k, v in saved.items()}
    inputs["data"] = mx.nd.array(np.load(os.path.join(MODELS, spec["input"])))
    inputs["softmax_label"] = mx.nd.zeros((inputs["data"].shape[0],))
    args = {n: inputs[n] for n in net.list_arguments()}
    aux = {n: inputs[n] for n in net.list_auxiliary_states()}
    exe = net.bind(mx.cpu(), args, grad_req="null", aux_states=aux)
    out = exe.forward(is_train=False)[0].asnumpy()
    np.testing.assert_allclose(out, np.load(os.path.join(MODELS, spec["output"])),
                               rtol=1e-4, atol=1e-5)


def _graph(**changes):
    graph = json.loads(MXNET_JSON)
    graph.update(changes)
    return graph


def _node_change(index, **changes):
    graph = json.loads(MXNET_JSON)
    graph["nodes"][index].update(changes)
    return json.dumps(graph)


@pytest.mark.parametrize("text, message", [
    ("{not json", "invalid JSON"),
    ("[]", "'nodes' list"),
    ('{"nodes": []}', "no nodes"),
    ('{"nodes": [1]}', "must be an object"),
    ('{"nodes": [{"op": "null"}]}', "'op' and 'name'"),
    (_node_change(3, op="NoSuchOp"), "unknown operator 'NoSuchOp'"),
    (_node_change(3, inputs=[[5, 0, 0], [1, 0, 0], [2, 0, 0]]), "not before it"),
    (_node_change(3, inputs=[[3, 0, 0], [1, 0, 0], [2, 0, 0]]), "cycle"),
    (_node_change(3, inputs=[[99, 0, 0], [1, 0, 0], [2, 0, 0]]), "does not exist"),
    (_node_change(3, inputs=[[0, 1, 0], [1, 0, 0], [2, 0, 0]]), "has 1 outputs"),
    (_node_change(3, inputs=[["0", 0, 0], [1, 0, 0], [2, 0, 0]]), "input reference"),
    (_node_change(3, inputs=[[0, 0, 0]]), "expects 3 inputs"),
    (_node_change(3, attrs={"num_hidden": "abc"}), "num_hidden"),
    (_node_change(3, attrs={"num_hidden": "4", "evil": "__import__('os')"}),
     "unknown parameter 'evil'"),
    (_node_change(3, attrs={"num_hidden": 4}), "must be a string"),
    (_node_change(0, inputs=[[1, 0, 0]]), "cannot have inputs"),
    (_node_change(7, attrs={"dim": "1", "num_args": "3"}), "num_args"),
    (json.dumps(_graph(heads=[[12, 0, 0]])), "head 0"),
    (json.dumps(_graph(heads=[])), "'heads'"),
    ("[" * 100000 + "]" * 100000, "invalid JSON"),
])
def test_malformed_json_raises(text, message):
    with pytest.raises(MXNetError, match=message):
        mx.sym.load_json(text)


def test_load_missing_file(tmp_path):
    with pytest.raises(MXNetError, match="cannot read"):
        mx.sym.load(str(tmp_path / "absent.json"))
