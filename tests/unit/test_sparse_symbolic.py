"""Sparse values in the symbolic executor: CSR / row_sparse arguments run the sparse kernels
(``bind``, ``simple_bind`` with ``stype_dict`` or ``Variable(stype=)``), gradients against
dense references, row_sparse gradient arrays, the dense fallback, ``cast_storage`` /
``Symbol.tostype`` and ``mx.sym.sparse``."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError
from mxcore.ndarray import sparse as nd_sparse
from mxcore.ndarray.sparse import StorageFallbackWarning
from mxcore.ops import sparse_kernels

RNG = np.random.default_rng(5)
M, K, N = 5, 7, 3
XD = ((RNG.random((M, K)) < 0.35) * RNG.standard_normal((M, K))).astype(np.float32)
XD[2] = 0  # an empty row
XD[:, 4] = 0  # a feature no row uses
WD = RNG.standard_normal((K, N)).astype(np.float32)
BD = RNG.standard_normal((N,)).astype(np.float32)
OG = RNG.standard_normal((M, N)).astype(np.float32)
OG_K = RNG.standard_normal((M, K)).astype(np.float32)


@pytest.fixture(autouse=True)
def _fresh_fallback_warnings():
    nd_sparse._WARNED.clear()
    yield
    nd_sparse._WARNED.clear()


@pytest.fixture
def dot_calls(monkeypatch):
    """Counts the calls of the sparse ``dot`` kernel."""
    calls = []
    kernel = sparse_kernels.KERNELS["dot"]

    def counting(op, inputs, attrs, out):
        calls.append(tuple(x.stype for x in inputs))
        return kernel(op, inputs, attrs, out)

    monkeypatch.setitem(sparse_kernels.KERNELS, "dot", counting)
    return calls


def _linear():
    x = mx.sym.Variable("x", stype="csr")
    return mx.sym.broadcast_add(mx.sym.dot(x, mx.sym.Variable("w")), mx.sym.Variable("b"))


def _csr():
    return mx.nd.array(XD).tostype("csr")


def test_csr_argument_runs_the_sparse_dot_kernel(dot_calls):
    exe = _linear().bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD), "b": mx.nd.array(BD)})
    for is_train in (False, True, False):
        out = exe.forward(is_train=is_train)[0]
        np.testing.assert_allclose(out.asnumpy(), XD @ WD + BD, rtol=1e-5, atol=1e-6)
    assert dot_calls == [("csr", "default")] * 3


@pytest.mark.parametrize("req", ["write", "add"])
def test_gradients_of_dense_weights_match_the_dense_reference(dot_calls, req):
    gw, gb = mx.nd.ones((K, N)), mx.nd.ones((N,))
    exe = _linear().bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD), "b": mx.nd.array(BD)},
                         args_grad={"w": gw, "b": gb}, grad_req=req)
    steps = 3
    for _ in range(steps):  # several steps: the executor stays on the tape with sparse values
        exe.forward(is_train=True)
        exe.backward(mx.nd.array(OG))
    times = steps if req == "add" else 1
    base = 1.0 if req == "add" else 0.0
    np.testing.assert_allclose(gw.asnumpy(), base + times * (XD.T @ OG), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gb.asnumpy(), base + times * OG.sum(0), rtol=1e-5)
    assert gw.stype == "default"
    assert exe._bwd_state == -1
    assert ("csr", "default") in dot_calls  # forward and the transposed backward product


def test_row_sparse_gradient_array_keeps_only_the_used_rows():
    gw = mx.nd.sparse.zeros("row_sparse", (K, N))
    exe = _linear().bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD), "b": mx.nd.array(BD)},
                         args_grad={"w": gw, "b": mx.nd.zeros((N,))})
    exe.forward(is_train=True)
    exe.backward(mx.nd.array(OG))
    assert gw.stype == "row_sparse"
    np.testing.assert_array_equal(gw.indices.asnumpy(), np.flatnonzero(XD.any(0)))
    np.testing.assert_allclose(gw.asnumpy(), XD.T @ OG, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("declared", ["variable", "stype_dict"])
def test_simple_bind_allocates_csr_data_and_a_row_sparse_weight_gradient(declared):
    if declared == "variable":
        sym, stype_dict = _linear(), None
    else:
        x = mx.sym.Variable("x")
        sym = mx.sym.broadcast_add(mx.sym.dot(x, mx.sym.Variable("w")), mx.sym.Variable("b"))
        stype_dict = {"x": "csr"}
    exe = sym.simple_bind(mx.cpu(), stype_dict=stype_dict, x=(M, K), w=(K, N), b=(N,))
    assert exe.arg_dict["x"].stype == "csr"
    assert "x" not in exe.grad_dict  # no gradient for CSR data
    assert exe.grad_dict["w"].stype == "row_sparse"  # as MXNet infers for dot(csr, w)
    assert exe.grad_dict["b"].stype == "default"
    exe.arg_dict["x"][:] = _csr()
    exe.arg_dict["w"][:] = WD
    exe.forward(is_train=True)
    exe.backward(mx.nd.array(OG))
    np.testing.assert_allclose(exe.grad_dict["w"].asnumpy(), XD.T @ OG, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), XD @ WD, rtol=1e-5, atol=1e-6)


def test_simple_bind_stype_dict_validation():
    with pytest.raises(MXNetValueError, match="not an argument"):
        _linear().simple_bind(mx.cpu(), stype_dict={"y": "csr"}, x=(M, K), w=(K, N), b=(N,))
    with pytest.raises(MXNetValueError, match="unknown storage type"):
        _linear().simple_bind(mx.cpu(), stype_dict={"x": "coo"}, x=(M, K), w=(K, N), b=(N,))


def test_transposed_dot_weight_gradient_stays_dense_in_simple_bind():
    x = mx.sym.Variable("x", stype="csr")
    sym = mx.sym.dot(x, mx.sym.Variable("w"), transpose_a=True)
    exe = sym.simple_bind(mx.cpu(), x=(M, K), w=(M, N))
    assert exe.grad_dict["w"].stype == "default"
    exe.arg_dict["x"][:] = _csr()
    exe.arg_dict["w"][:] = OG
    out = exe.forward(is_train=True)[0]
    assert out.stype == "row_sparse"  # csr.T . dense, as in mx.nd
    np.testing.assert_allclose(out.asnumpy(), XD.T @ OG, rtol=1e-5, atol=1e-5)
    exe.backward(mx.nd.ones((K, N)))
    np.testing.assert_allclose(exe.grad_dict["w"].asnumpy(), XD @ np.ones((K, N)), rtol=1e-5)


def test_embedding_sparse_grad_in_simple_bind():
    data = mx.sym.Variable("data")
    emb = mx.sym.sparse.Embedding(data, mx.sym.Variable("embed_weight"), input_dim=6,
                                  output_dim=2, sparse_grad=True)
    exe = emb.simple_bind(mx.cpu(), grad_req={"embed_weight": "write"}, data=(4,))
    grad = exe.grad_dict["embed_weight"]
    assert grad.stype == "row_sparse"
    weight = RNG.standard_normal((6, 2)).astype(np.float32)
    exe.arg_dict["embed_weight"][:] = weight
    exe.arg_dict["data"][:] = np.array([3, 1, 3, 5], np.float32)
    out = exe.forward(is_train=True)[0]
    np.testing.assert_allclose(out.asnumpy(), weight[[3, 1, 3, 5]])
    exe.backward(mx.nd.ones((4, 2)))
    assert exe.grad_dict["embed_weight"].stype == "row_sparse"
    np.testing.assert_array_equal(grad.indices.asnumpy(), [1, 3, 5])
    want = np.zeros((6, 2), np.float32)
    np.add.at(want, [3, 1, 3, 5], 1.0)
    np.testing.assert_allclose(grad.asnumpy(), want)


def test_op_without_sparse_kernel_falls_back_with_one_warning():
    x = mx.sym.Variable("x", stype="csr")
    sym = mx.sym.exp(x) * 2
    exe = sym.bind(mx.cpu(), {"x": _csr()})
    with pytest.warns(StorageFallbackWarning, match="exp: .*csr"):
        out = exe.forward()[0]
    np.testing.assert_allclose(out.asnumpy(), np.exp(XD) * 2, rtol=1e-6)
    out = exe.forward()[0]  # the warning is once per operator, as in mx.nd
    assert out.stype == "default"


def test_sparse_results_flow_between_steps_and_out():
    x = mx.sym.Variable("x", stype="csr")
    scaled = x * 3  # a csr result: the next step reads it through the sparse kernels
    sym = mx.sym.Group([scaled, mx.sym.dot(scaled, mx.sym.Variable("w"))])
    exe = sym.bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD)})
    for is_train in (False, True):
        first, second = exe.forward(is_train=is_train)
        assert first.stype == "csr" and second.stype == "default"
        np.testing.assert_allclose(first.asnumpy(), 3 * XD, rtol=1e-6)
        np.testing.assert_allclose(second.asnumpy(), 3 * XD @ WD, rtol=1e-5, atol=1e-5)


def test_forward_keyword_copies_a_new_csr_batch():
    exe = _linear().bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD), "b": mx.nd.array(BD)})
    other = XD[::-1].copy()
    out = exe.forward(x=mx.nd.array(other).tostype("csr"))[0]
    assert exe.arg_dict["x"].stype == "csr"
    np.testing.assert_allclose(out.asnumpy(), other @ WD + BD, rtol=1e-5, atol=1e-6)


def test_cast_storage_and_tostype_in_a_graph(dot_calls):
    x = mx.sym.Variable("x")  # dense data made CSR inside the graph
    w = mx.sym.Variable("w")
    sym = mx.sym.dot(mx.sym.cast_storage(x, stype="csr"), w)
    gw = mx.nd.zeros((K, N))
    exe = sym.bind(mx.cpu(), {"x": mx.nd.array(XD), "w": mx.nd.array(WD)},
                   args_grad={"w": gw}, grad_req={"w": "write"})
    exe.forward(is_train=True)
    exe.backward(mx.nd.array(OG))
    assert dot_calls and dot_calls[0] == ("csr", "default")
    np.testing.assert_allclose(gw.asnumpy(), XD.T @ OG, rtol=1e-5, atol=1e-5)
    # Symbol.tostype: a dense weight used as row_sparse; its gradient comes back dense
    sym = mx.sym.dot(mx.sym.Variable("x", stype="csr"), w.tostype("row_sparse"))
    gw = mx.nd.zeros((K, N))
    exe = sym.bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD)}, args_grad={"w": gw})
    out = exe.forward(is_train=True)[0]
    np.testing.assert_allclose(out.asnumpy(), XD @ WD, rtol=1e-5, atol=1e-5)
    exe.backward(mx.nd.array(OG))
    np.testing.assert_allclose(gw.asnumpy(), XD.T @ OG, rtol=1e-5, atol=1e-5)


def test_cast_storage_symbol_json_round_trip():
    sym = mx.sym.Variable("x", stype="csr").tostype("default") * 2
    again = mx.sym.load_json(sym.tojson())
    assert again.attr_dict()["x"]["__storage_type__"] == "2"
    exe = again.simple_bind(mx.cpu(), x=(M, K))
    assert exe.arg_dict["x"].stype == "csr"
    exe.arg_dict["x"][:] = _csr()
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), 2 * XD)


def test_sym_sparse_namespace():
    assert mx.sym.sparse.dot is mx.sym.dot
    assert mx.sym.sparse.Embedding is mx.sym.Embedding
    assert mx.sym.sparse.cast_storage is mx.sym.cast_storage
    assert mx.sym.sparse.retain is mx.sym.op._sparse_retain
    with pytest.raises(AttributeError):
        mx.sym.sparse.no_such_op  # noqa: B018
    rsp = mx.nd.array(XD).tostype("row_sparse")
    sym = mx.sym.sparse.retain(mx.sym.Variable("x", stype="row_sparse"), mx.sym.Variable("i"))
    exe = sym.bind(mx.cpu(), {"x": rsp, "i": mx.nd.array([0, 3], dtype="int64")})
    out = exe.forward()[0]
    assert out.stype == "row_sparse"
    want = np.zeros_like(XD)
    want[[0, 3]] = XD[[0, 3]]
    np.testing.assert_allclose(out.asnumpy(), want)


def test_row_sparse_argument_with_gradient_is_read_dense():
    rsp = mx.nd.array(WD).tostype("row_sparse")
    sym = mx.sym.dot(mx.sym.Variable("x", stype="csr"), mx.sym.Variable("w", stype="row_sparse"))
    exe = sym.simple_bind(mx.cpu(), x=(M, K), w=(K, N))
    assert exe.arg_dict["w"].stype == "row_sparse"
    assert exe.grad_dict["w"].stype == "row_sparse"
    exe.arg_dict["x"][:] = _csr()
    exe.arg_dict["w"][:] = rsp
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), XD @ WD, rtol=1e-5, atol=1e-5)
    exe.forward(is_train=True)
    exe.backward(mx.nd.array(OG))
    np.testing.assert_allclose(exe.grad_dict["w"].asnumpy(), XD.T @ OG, rtol=1e-5, atol=1e-5)


def test_executor_reshape_with_csr_argument():
    exe = _linear().bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD), "b": mx.nd.array(BD)})
    small = exe.reshape(x=(2, K), w=(K, N), b=(N,))
    assert small.arg_dict["x"].stype == "csr" and small.arg_dict["x"].shape == (2, K)
    small.arg_dict["x"][:] = mx.nd.array(XD[:2]).tostype("csr")
    np.testing.assert_allclose(small.forward()[0].asnumpy(), XD[:2] @ WD + BD, rtol=1e-5,
                               atol=1e-6)


def test_bind_errors_for_sparse_arguments():
    args = {"x": _csr(), "w": mx.nd.array(WD), "b": mx.nd.array(BD)}
    with pytest.raises(MXNetValueError, match="CSR arrays; gradients"):
        _linear().bind(mx.cpu(), args, args_grad={"x": mx.nd.zeros((M, K))})
    bn = mx.sym.BatchNorm(mx.sym.Variable("d"), name="bn")
    aux = {"bn_moving_mean": mx.nd.zeros((2,)).tostype("row_sparse"),
           "bn_moving_var": mx.nd.ones((2,))}
    with pytest.raises(MXNetTypeError, match="auxiliary states must be dense"):
        bn.bind(mx.cpu(), {"d": mx.nd.ones((3, 2)), "bn_gamma": mx.nd.ones((2,)),
                           "bn_beta": mx.nd.zeros((2,))}, aux_states=aux)
    with pytest.raises(MXNetValueError, match="group2ctx"):
        _linear().bind(mx.cpu(), args, group2ctx={"dev": mx.cpu(1)})
    with pytest.raises(MXNetError, match="dot"):  # kernel errors name the op and the node
        mx.sym.dot(mx.sym.Variable("x"), mx.sym.Variable("w")).bind(
            mx.cpu(), {"x": _csr(), "w": mx.nd.ones((K + 1, N))}).forward()


def test_memory_stats_and_debug_str_with_sparse_arguments():
    exe = _linear().bind(mx.cpu(), {"x": _csr(), "w": mx.nd.array(WD), "b": mx.nd.array(BD)})
    stats = exe.memory_stats()
    assert stats["inference"]["planned_bytes"] >= 0
    text = exe.debug_str()
    assert text.count("Dispatch: by storage type") == 1  # dot reads x; the add reads dense


def test_fallback_op_with_hidden_outputs_and_auxiliary_states():
    def run(data):
        sym = mx.sym.BatchNorm(mx.sym.Variable("x", stype=data.stype), name="bn",
                               fix_gamma=False)
        args = {"x": data, "bn_gamma": mx.nd.ones((K,)), "bn_beta": mx.nd.zeros((K,))}
        aux = {"bn_moving_mean": mx.nd.zeros((K,)), "bn_moving_var": mx.nd.ones((K,))}
        exe = sym.bind(mx.cpu(), args, args_grad={"bn_gamma": mx.nd.zeros((K,))},
                       grad_req={"bn_gamma": "write"}, aux_states=aux)
        predicted = exe.forward()[0].asnumpy()
        trained = exe.forward(is_train=True)[0].asnumpy()
        exe.backward(mx.nd.array(OG_K))
        return (predicted, trained, aux["bn_moving_mean"].asnumpy(),
                exe.grad_dict["bn_gamma"].asnumpy())

    with pytest.warns(StorageFallbackWarning, match="BatchNorm"):
        sparse = run(_csr())
    dense = run(mx.nd.array(XD))
    for got, want in zip(sparse, dense):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert sparse[2].any()  # the moving mean was updated in place


def test_hybridized_block_with_cast_storage_and_sparse_dot():
    class Linear(mx.gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = self.params.get("w", shape=(K, N), init=mx.init.Constant(0.5))

        def hybrid_forward(self, F, x, w):
            return F.sparse.dot(F.cast_storage(x, stype="csr"), w) * 2

    net = Linear()
    net.initialize()
    net.hybridize()
    x = mx.nd.array(XD)
    np.testing.assert_allclose(net(x).asnumpy(), 2 * XD @ np.full((K, N), 0.5), rtol=1e-5,
                               atol=1e-6)
    for _ in range(2):
        with mx.autograd.record():
            y = net(x)
        y.backward(mx.nd.array(OG))
        np.testing.assert_allclose(net.w.grad().asnumpy(), 2 * XD.T @ OG, rtol=1e-5,
                                   atol=1e-5)
    assert net._trace_error is None and net._cached_graphs  # it ran as a graph
