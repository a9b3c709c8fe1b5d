"""Write the MXNet-made model files in ``mxnet_models/``, with their inputs and expected outputs.

Run it with a real MXNet 1.9.1 (not mxcore), e.g.::

    python3 -m venv /tmp/mxvenv
    /tmp/mxvenv/bin/pip install mxnet==1.9.1 'numpy<1.24'
    /tmp/mxvenv/bin/python tests/data/make_mxnet_model_fixture.py

It writes, in ``tests/data/mxnet_models/``:

* ``cnn-symbol.json``, ``cnn-0002.params``  a symbolic CNN (Convolution; BatchNorm with the
  symbol default ``fix_gamma=True`` and a stored gamma != 1, which inference ignores;
  Activation, Pooling, Flatten, FullyConnected, SoftmaxOutput) trained two steps with
  ``mx.mod.Module`` and saved by ``save_checkpoint``
* ``cnn-input.npy``, ``cnn-output.npy`` (softmax), ``cnn-fc-output.npy`` (the logits,
  internal output ``fc_output``): inference-mode results
* ``gluon-symbol.json``, ``gluon-0000.params``  a hybridized Gluon net (Conv2D, BatchNorm,
  MaxPool2D, Dense, BatchNorm, Dropout, Dense) trained two steps, saved by ``export``
* ``gluon-input.npy``, ``gluon-output.npy``
* ``legacy_cnn-symbol.json``  ``cnn-symbol.json`` rewritten in the pre-0.9 layout (``param`` /
  ``attr`` keys, two-element entries, no aux-state nodes, no version, plain ``lr_mult`` keys),
  which MXNet's legacy loader upgrades; ``legacy_cnn-output.npy`` is what MXNet computes from
  it with ``cnn-0002.params``
* ``manifest.json``  MXNet's view of each file: arguments, aux states, outputs, shapes and,
  for the legacy file, the upgraded hidden attributes

Seeded, so a rerun gives the same values. Each expected output is also checked against an
independent float64 NumPy forward pass.
"""

from __future__ import annotations

import json
import os

# MXNet's own operators, not the oneDNN (MKLDNN) ones: with those, the moving statistics a
# Module-trained BatchNorm after a Convolution keeps are not the ones get_params returns.
os.environ.setdefault("MXNET_MKLDNN_ENABLED", "0")
os.environ.setdefault("MXNET_SUBGRAPH_BACKEND", "NONE")
os.environ.setdefault("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "0")

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, gluon  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mxnet_models")
STEPS = 2


def _path(name: str) -> str:
    return os.path.join(OUT, name)


def _describe(sym, **shapes) -> dict:
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
    return {"arguments": sym.list_arguments(), "aux_states": sym.list_auxiliary_states(),
            "outputs": sym.list_outputs(), "input_shapes": {k: list(v) for k, v in shapes.items()},
            "arg_shapes": [list(s) for s in arg_shapes],
            "aux_shapes": [list(s) for s in aux_shapes],
            "output_shapes": [list(s) for s in out_shapes]}


# -- an independent float64 NumPy forward, to check MXNet's numbers -----------------------------
def _np_conv3x3(x, w, b):
    n, _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.empty((n, w.shape[0], h, wd))
    for i in range(h):
        for j in range(wd):
            out[:, :, i, j] = np.einsum("nchw,ochw->no", xp[:, :, i:i + 3, j:j + 3], w) + b
    return out


def _np_bn(x, gamma, beta, mean, var, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape)
            + beta.reshape(shape))


def _np_maxpool2(x):
    n, c, h, w = x.shape
    h2, w2 = h // 2, w // 2
    return x[:, :, :h2 * 2, :w2 * 2].reshape(n, c, h2, 2, w2, 2).max(axis=(3, 5))


def _np_cnn(x, p):
    y = _np_conv3x3(x, p["conv_weight"], p["conv_bias"])
    y = _np_bn(y, np.ones(4), p["bn_beta"], p["bn_moving_mean"], p["bn_moving_var"], 1e-3)
    y = _np_maxpool2(np.maximum(y, 0)).reshape(len(x), -1)
    logits = y @ p["fc_weight"].T + p["fc_bias"]
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _np_gluon(x, p):
    def bn(y, k):
        return _np_bn(y, p[k + "_gamma"], p[k + "_beta"], p[k + "_running_mean"],
                      p[k + "_running_var"], 1e-5)
    y = _np_conv3x3(x, p["net_conv0_weight"], p["net_conv0_bias"])
    y = _np_maxpool2(np.maximum(bn(y, "net_batchnorm0"), 0)).reshape(len(x), -1)
    y = np.maximum(y @ p["net_dense0_weight"].T + p["net_dense0_bias"], 0)
    y = bn(y, "net_batchnorm1")
    return y @ p["net_dense1_weight"].T + p["net_dense1_bias"]


def _np_params(fname):
    return {k.split(":", 1)[1]: v.asnumpy().astype("float64")
            for k, v in mx.nd.load(fname).items()}


# -- (a) symbolic CNN through Module ---------------------------------------------------------
def cnn_symbol():
    data = mx.sym.var("data")
    x = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv")
    x = mx.sym.BatchNorm(x, momentum=0.5, name="bn")  # fix_gamma defaults to True
    x = mx.sym.Activation(x, act_type="relu", name="relu")
    x = mx.sym.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool")
    x = mx.sym.Flatten(x, name="flatten")
    x = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(x, name="softmax")


def make_cnn(rng) -> dict:
    sym = cnn_symbol()
    x = (rng.standard_normal((4, 2, 6, 6)) + 0.5).astype("float32")
    y = np.array([0, 1, 2, 1], dtype="float32")
    mod = mx.mod.Module(sym, data_names=["data"], label_names=["softmax_label"],
                        context=mx.cpu())
    mod.bind(data_shapes=[("data", x.shape)], label_shapes=[("softmax_label", y.shape)])
    mod.init_params(mx.init.Xavier())
    args, aux = mod.get_params()
    args["bn_beta"] = mx.nd.array(rng.standard_normal(4) * 0.5)
    mod.set_params(args, aux)
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1})
    batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
    for _ in range(STEPS):
        mod.forward(batch, is_train=True)
        mod.backward()
        mod.update()
    # training keeps gamma at 1 (fix_gamma=True); store a gamma != 1, which inference ignores
    args, aux = mod.get_params()
    args["bn_gamma"] = mx.nd.array(rng.uniform(0.5, 1.5, 4), dtype="float32")
    mod.set_params(args, aux)
    mod.save_checkpoint(_path("cnn"), STEPS)

    x_test = (rng.standard_normal((4, 2, 6, 6)) + 0.5).astype("float32")
    mod.forward(mx.io.DataBatch([mx.nd.array(x_test)], [mx.nd.array(y)]), is_train=False)
    out = mod.get_outputs()[0].asnumpy()
    np.save(_path("cnn-input.npy"), x_test)
    np.save(_path("cnn-output.npy"), out)

    args, aux = mod.get_params()
    fc = sym.get_internals()["fc_output"]
    ex = fc.bind(mx.cpu(), {"data": mx.nd.array(x_test),
                            **{k: v for k, v in args.items() if k in fc.list_arguments()}},
                 aux_states=aux)
    logits = ex.forward(is_train=False)[0].asnumpy()
    np.save(_path("cnn-fc-output.npy"), logits)
    np.testing.assert_allclose(out, np.exp(logits) / np.exp(logits).sum(1, keepdims=True),
                               rtol=1e-5)
    assert np.abs(aux["bn_moving_mean"].asnumpy()).max() > 1e-2, aux["bn_moving_mean"]
    reference = _np_cnn(x_test.astype("float64"), _np_params(_path("cnn-%04d.params" % STEPS)))
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-7)
    info = _describe(sym, data=x_test.shape, softmax_label=y.shape)
    info.update(symbol="cnn-symbol.json", params="cnn-%04d.params" % STEPS, epoch=STEPS,
                input="cnn-input.npy", output="cnn-output.npy",
                internal_outputs={"fc_output": "cnn-fc-output.npy"})
    return info


# -- (b) hybridized Gluon net through export -------------------------------------------------
def make_gluon(rng) -> dict:
    mx.random.seed(3)
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1, in_channels=2),
                nn.BatchNorm(in_channels=4, momentum=0.5),
                nn.Activation("relu"),
                nn.MaxPool2D(2),
                nn.Dense(8, activation="relu"),
                nn.BatchNorm(momentum=0.5),
                nn.Dropout(0.5),
                nn.Dense(3))
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(rng.standard_normal((4, 2, 5, 5)))
    y = mx.nd.array([0, 1, 2, 1])
    net(x)  # finish deferred init
    for name, p in net.collect_params(".*gamma|.*beta").items():
        lo = 0.5 if name.endswith("gamma") else -0.5
        p.set_data(mx.nd.array(rng.uniform(lo, lo + 1.0, p.shape)))
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    for _ in range(STEPS):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
    x_test = rng.standard_normal((2, 2, 5, 5)).astype("float32")
    out = net(mx.nd.array(x_test)).asnumpy()  # predict mode: Dropout is the identity
    net.export(_path("gluon"), epoch=0)
    np.save(_path("gluon-input.npy"), x_test)
    np.save(_path("gluon-output.npy"), out)
    moving = [p.data().asnumpy() for n, p in net.collect_params(".*moving_mean").items()]
    assert all(np.abs(m).max() > 1e-2 for m in moving), moving
    reference = _np_gluon(x_test.astype("float64"), _np_params(_path("gluon-0000.params")))
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-6)

    sym = mx.sym.load(_path("gluon-symbol.json"))
    info = _describe(sym, data=x_test.shape)
    info.update(symbol="gluon-symbol.json", params="gluon-0000.params", epoch=0,
                input="gluon-input.npy", output="gluon-output.npy", input_names=["data"])
    # the exported graph alone, through SymbolBlock, gives the same result
    block = gluon.SymbolBlock.imports(_path("gluon-symbol.json"), ["data"],
                                      _path("gluon-0000.params"))
    np.testing.assert_allclose(block(mx.nd.array(x_test)).asnumpy(), out, rtol=1e-5,
                               atol=1e-6)
    return info


# -- (c) the CNN graph in the pre-0.9 JSON layout --------------------------------------------
def legacy_json(graph: dict) -> dict:
    """Rewrite a 1.x symbol JSON the way MXNet 0.8 wrote it.

    Aux-state variables were not stored (the loader re-creates them as ``<op name>_<input>``),
    op parameters sat under ``param`` and user attributes under ``attr`` with plain hidden keys
    (``lr_mult``; ``weight_lr_mult`` on an op node targets its ``weight`` input), entries had
    two elements, and there was no ``node_row_ptr`` or version attribute.
    """
    nodes = graph["nodes"]
    aux_ids = {n["inputs"][i][0] for n in nodes if n["op"] == "BatchNorm" for i in (3, 4)}
    new_id, kept = {}, []
    for i, node in enumerate(nodes):
        if i not in aux_ids:
            new_id[i] = len(kept)
            kept.append(node)
    out = []
    for node in kept:
        inputs = [e for e in node["inputs"] if e[0] not in aux_ids]
        is_var = node["op"] == "null"
        params = {} if is_var else {k: v.replace(" ", "") for k, v in node.get("attrs", {}).items()}
        entry = {"op": node["op"], "param": params, "name": node["name"],
                 "inputs": [[new_id[e[0]], e[1]] for e in inputs], "backward_source_id": -1}
        if node["name"] == "conv_weight":
            entry["attr"] = {"lr_mult": "0.5", "wd_mult": "2"}
        if node["name"] == "fc":
            entry["attr"] = {"weight_lr_mult": "0.25"}
        out.append(entry)
    return {"nodes": out,
            "arg_nodes": [new_id[i] for i in graph["arg_nodes"] if i not in aux_ids],
            "heads": [[new_id[h[0]], h[1]] for h in graph["heads"]]}


def make_legacy(cnn: dict) -> dict:
    with open(_path("cnn-symbol.json"), encoding="utf-8") as f:
        graph = json.load(f)
    with open(_path("legacy_cnn-symbol.json"), "w", encoding="utf-8") as f:
        json.dump(legacy_json(graph), f, indent=1)
    sym = mx.sym.load(_path("legacy_cnn-symbol.json"))
    _, args, aux = mx.model.load_checkpoint(_path("cnn"), cnn["epoch"])
    x = np.load(_path("cnn-input.npy"))
    ex = sym.bind(mx.cpu(), {"data": mx.nd.array(x), "softmax_label": mx.nd.zeros((4,)),
                             **args}, aux_states=aux)
    out = ex.forward(is_train=False)[0].asnumpy()
    np.save(_path("legacy_cnn-output.npy"), out)
    np.testing.assert_allclose(out, np.load(_path("cnn-output.npy")), rtol=1e-6)
    info = _describe(sym, data=x.shape, softmax_label=(4,))
    attrs = sym.attr_dict()
    hidden = {name: {k: v for k, v in a.items() if k in ("__lr_mult__", "__wd_mult__")}
              for name, a in attrs.items()}
    info.update(symbol="legacy_cnn-symbol.json", params=cnn["params"], epoch=cnn["epoch"],
                input="cnn-input.npy", output="legacy_cnn-output.npy",
                hidden_attrs={k: v for k, v in hidden.items() if v})
    return info


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    mx.random.seed(11)
    np.random.seed(11)
    rng = np.random.default_rng(20240602)
    manifest = {"mxnet": mx.__version__, "numpy": np.__version__, "models": {}}
    manifest["models"]["cnn"] = make_cnn(rng)
    manifest["models"]["gluon"] = make_gluon(rng)
    manifest["models"]["legacy_cnn"] = make_legacy(manifest["models"]["cnn"])
    with open(_path("manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(_path(n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()
