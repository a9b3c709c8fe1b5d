"""Module with sparse data: CSR batches from LibSVMIter or NDArrayIter feed dot(csr, w) + b,
the weight gradient is row_sparse, and training matches the same model on dense data."""

import numpy as np
import pytest

import mxcore as mx

RNG = np.random.default_rng(3)
N_ROWS, DIM, CLASSES, BATCH = 48, 30, 3, 16
X = ((RNG.random((N_ROWS, DIM)) < 0.15) * RNG.integers(1, 4, (N_ROWS, DIM))).astype(np.float32)
X[:, 7] = 0  # a feature no row uses: its weight row never gets a gradient
TRUE_W = RNG.standard_normal((DIM, CLASSES)).astype(np.float32)
LABELS = np.argmax(X @ TRUE_W, axis=1).astype(np.float32)
TARGET = (X @ TRUE_W[:, :1] + 0.5).astype(np.float32)


def _linear(stype, head):
    data = mx.sym.Variable("data", stype=stype)
    width = CLASSES if head == "softmax" else 1
    w = mx.sym.Variable("w", shape=(DIM, width), init=mx.init.Zero())
    b = mx.sym.Variable("b", shape=(width,), init=mx.init.Zero())
    out = mx.sym.broadcast_add(mx.sym.sparse.dot(data, w), b)
    label = mx.sym.Variable("softmax_label")
    if head == "softmax":
        return mx.sym.SoftmaxOutput(out, label, name="softmax")
    return mx.sym.LinearRegressionOutput(out, label, name="lro")


def _iter(stype, label, batch_size=BATCH, **kwargs):
    """NDArrayIter over X (CSR or dense) and ``label``, the label named softmax_label."""
    data = mx.nd.array(X).tostype("csr") if stype == "csr" else mx.nd.array(X)
    return mx.io.NDArrayIter(data, mx.nd.array(label), batch_size=batch_size,
                             label_name="softmax_label", **kwargs)


def _train(sym, it, epochs, lr):
    mod = mx.mod.Module(sym, data_names=["data"], label_names=["softmax_label"])
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params()
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": lr})
    for _ in range(epochs):
        it.reset()
        for batch in it:
            mod.forward(batch, is_train=True)
            mod.backward()
            mod.update()
    return mod


def _libsvm(tmp_path):
    lines = []
    for label, row in zip(LABELS, X):
        cols = np.flatnonzero(row)
        lines.append(" ".join([f"{int(label)}"] + [f"{c}:{row[c]:g}" for c in cols]))
    path = tmp_path / "train.libsvm"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_ndarray_iter_over_csr_matches_dense_regression():
    params = {}
    for stype in ("csr", "default"):
        it = _iter(stype, TARGET)
        mod = _train(_linear(stype, "regression"), it, epochs=3, lr=0.02)
        exe = mod._exec_group.execs[0]
        assert exe.arg_dict["data"].stype == stype
        assert exe.grad_dict["w"].stype == ("row_sparse" if stype == "csr" else "default")
        params[stype] = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
        mse = dict(mod.score(it, "mse"))["mse"]
        params[stype]["mse"] = mse
    for name in ("w", "b"):
        np.testing.assert_allclose(params["csr"][name], params["default"][name], rtol=1e-4,
                                   atol=1e-5)
    assert params["csr"]["mse"] < 0.75 * float(np.var(TARGET))  # it learned something
    assert not params["csr"]["w"][7].any()  # lazy update: an unused feature stays put


def test_libsvm_iter_softmax_trains_and_matches_dense(tmp_path):
    it = mx.io.LibSVMIter(data_libsvm=_libsvm(tmp_path), data_shape=(DIM,), batch_size=BATCH)
    sparse_mod = _train(_linear("csr", "softmax"), it, epochs=4, lr=0.1)
    dense_it = _iter("default", LABELS)
    dense_mod = _train(_linear("default", "softmax"), dense_it, epochs=4, lr=0.1)
    got, want = sparse_mod.get_params()[0], dense_mod.get_params()[0]
    for name in ("w", "b"):
        np.testing.assert_allclose(got[name].asnumpy(), want[name].asnumpy(), rtol=1e-4,
                                   atol=1e-5)
    acc = dict(sparse_mod.score(it, "acc"))["accuracy"]
    assert acc > 0.8
    out = sparse_mod.predict(it)
    np.testing.assert_allclose(out.asnumpy(), dense_mod.predict(dense_it).asnumpy(),
                               rtol=1e-4, atol=1e-5)


def test_fit_with_csr_data_and_row_sparse_weight_declaration():
    data = mx.sym.Variable("data", stype="csr")
    w = mx.sym.Variable("w", shape=(DIM, CLASSES), stype="row_sparse",
                        init=mx.init.Normal(0.01))
    b = mx.sym.Variable("b", shape=(CLASSES,), init=mx.init.Zero())
    sym = mx.sym.SoftmaxOutput(mx.sym.broadcast_add(mx.sym.sparse.dot(data, w), b),
                               mx.sym.Variable("softmax_label"), name="softmax")
    it = _iter("csr", LABELS, shuffle=True)
    mod = mx.mod.Module(sym, data_names=["data"], label_names=["softmax_label"])
    mod.fit(it, num_epoch=6, optimizer="adam", optimizer_params={"learning_rate": 0.1},
            eval_metric="acc")
    exe = mod._exec_group.execs[0]
    assert exe.arg_dict["w"].stype == "default"  # parameters stay dense, as in Gluon
    assert exe.grad_dict["w"].stype == "row_sparse"
    assert dict(mod.score(it, "acc"))["accuracy"] > 0.8


@pytest.mark.parametrize("inputs_need_grad", [False, True])
def test_csr_data_gets_no_input_gradient(inputs_need_grad):
    it = _iter("csr", TARGET)
    mod = mx.mod.Module(_linear("csr", "regression"), data_names=["data"],
                        label_names=["softmax_label"])
    mod.bind(it.provide_data, it.provide_label, inputs_need_grad=inputs_need_grad)
    mod.init_params()
    mod.forward(next(iter(it)), is_train=True)
    mod.backward()
    assert "data" not in mod._exec_group.execs[0].grad_dict


def test_two_contexts_with_csr_batches_match_dense():
    weights = {}
    for stype in ("csr", "default"):
        it = _iter(stype, LABELS)
        mod = mx.mod.Module(_linear(stype, "softmax"), data_names=["data"],
                            label_names=["softmax_label"], context=[mx.cpu(0), mx.cpu(1)])
        mod.fit(it, num_epoch=2, optimizer="sgd", optimizer_params={"learning_rate": 0.1},
                kvstore="local")
        assert mod._exec_group.execs[1].arg_dict["data"].shape == (BATCH // 2, DIM)
        weights[stype] = mod.get_params()[0]["w"].asnumpy()
    np.testing.assert_allclose(weights["csr"], weights["default"], rtol=1e-4, atol=1e-6)


def test_predict_with_another_batch_size_rebinds_csr_inputs():
    it = _iter("csr", LABELS)
    mod = _train(_linear("csr", "softmax"), it, epochs=1, lr=0.1)
    other = _iter("csr", LABELS, batch_size=12)
    probs = mod.predict(other).asnumpy()
    data = mod._exec_group.execs[0].arg_dict["data"]
    assert data.stype == "csr" and data.shape == (12, DIM)
    params = mod.get_params()[0]
    logits = X @ params["w"].asnumpy() + params["b"].asnumpy()
    want = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(probs, want / want.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
