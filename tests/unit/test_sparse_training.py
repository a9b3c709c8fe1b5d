"""Training with row_sparse gradients: lazy optimizer updates against NumPy references, the
standard (non-lazy) update, the symbolic executor and hybridized Gluon blocks."""

import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd

RNG = np.random.default_rng(11)
W = RNG.standard_normal((6, 3)).astype(np.float32)
G = np.zeros((6, 3), np.float32)
G[[1, 4]] = RNG.standard_normal((2, 3))
ROWS, OTHERS = [1, 4], [0, 2, 3, 5]


def _run(name, grad, steps=2, **kwargs):
    opt = mx.optimizer.create(name, learning_rate=0.1, **kwargs)
    updater = mx.optimizer.get_updater(opt)
    w = mx.nd.array(W)
    for _ in range(steps):
        updater(0, grad, w)
    return w.asnumpy(), updater.states[0]


@pytest.mark.parametrize("name, kwargs", [
    ("sgd", {"wd": 0.1}),
    ("sgd", {"momentum": 0.9, "wd": 0.1}),
    ("adam", {"wd": 0.1}),
    ("adagrad", {"wd": 0.1}),
    ("ftrl", {"wd": 0.1, "lamda1": 0.001}),
])
def test_lazy_update_touches_only_the_gradient_rows(name, kwargs):
    sparse, sparse_state = _run(name, mx.nd.array(G).tostype("row_sparse"), **kwargs)
    dense, _ = _run(name, mx.nd.array(G), **kwargs)
    np.testing.assert_allclose(sparse[ROWS], dense[ROWS], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(sparse[OTHERS], W[OTHERS])
    states = sparse_state if isinstance(sparse_state, tuple) else (sparse_state,)
    for state in states:
        if state is not None:
            assert not np.any(state.asnumpy()[OTHERS])  # states untouched where no gradient


def test_lazy_sgd_matches_a_numpy_reference():
    got, mom = _run("sgd", mx.nd.array(G).tostype("row_sparse"), steps=2, momentum=0.9,
                    wd=0.1)
    w, m = W.astype(np.float64).copy(), np.zeros_like(W, np.float64)
    for _ in range(2):
        m[ROWS] = 0.9 * m[ROWS] - 0.1 * (G[ROWS] + 0.1 * w[ROWS])
        w[ROWS] += m[ROWS]
    np.testing.assert_allclose(got, w, rtol=1e-5)
    np.testing.assert_allclose(mom.asnumpy(), m, rtol=1e-5, atol=1e-7)


def test_standard_update_with_row_sparse_gradient_updates_every_row():
    got, _ = _run("sgd", mx.nd.array(G).tostype("row_sparse"), steps=1, wd=0.1,
                  lazy_update=False)
    np.testing.assert_allclose(got, W - 0.1 * (G + 0.1 * W), rtol=1e-6)


def test_update_ops_with_empty_gradient_leave_weight():
    w = mx.nd.array(W)
    mx.nd.sgd_update(w, mx.nd.sparse.zeros("row_sparse", W.shape), lr=0.1, wd=0.5, out=w)
    np.testing.assert_array_equal(w.asnumpy(), W)
    fresh = mx.nd.sgd_update(w, mx.nd.array(G).tostype("row_sparse"), lr=0.1)
    assert fresh is not w and np.array_equal(w.asnumpy(), W)  # no out=: a new array


def test_no_fallback_warning_on_the_sparse_training_path():
    w = mx.nd.array(W)
    w.attach_grad(stype="row_sparse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("sgd", "adam", "adagrad", "ftrl"):
            with autograd.record():
                y = mx.nd.Embedding(mx.nd.array([1, 4]), w, input_dim=6, output_dim=3,
                                    sparse_grad=True)
            y.backward()
            updater = mx.optimizer.get_updater(mx.optimizer.create(name))
            updater(0, w.grad, w)


def test_executor_with_row_sparse_gradient_array():
    data, weight = mx.sym.Variable("data"), mx.sym.Variable("w")
    loss = mx.sym.sum(mx.sym.square(mx.sym.Embedding(data, weight, input_dim=10, output_dim=3,
                                                     sparse_grad=True)))
    w = mx.nd.array(RNG.standard_normal((10, 3)))
    grads = {}
    for stype in ("row_sparse", "default"):
        g = mx.nd.sparse.zeros(stype, (10, 3))
        ex = loss.bind(mx.cpu(), {"data": mx.nd.array([1, 4, 4]), "w": w},
                       args_grad={"w": g}, grad_req={"w": "write", "data": "null"})
        for _ in range(2):
            ex.forward(is_train=True)
            ex.backward()
        assert ex.grad_dict["w"].stype == stype
        grads[stype] = ex.grad_dict["w"]
    np.testing.assert_array_equal(grads["row_sparse"].indices.asnumpy(), [1, 4])
    np.testing.assert_allclose(grads["row_sparse"].asnumpy(), grads["default"].asnumpy())
    want = np.zeros((10, 3))
    want[1], want[4] = 2 * w.asnumpy()[1], 4 * w.asnumpy()[4]
    np.testing.assert_allclose(grads["default"].asnumpy(), want, rtol=1e-6)


def test_bind_rejects_csr_gradient_arrays():
    x = mx.sym.Variable("x")
    with pytest.raises(mx.base.MXNetError, match="storage type"):
        (x * 2).bind(mx.cpu(), {"x": mx.nd.ones((2, 2))},
                     args_grad={"x": mx.nd.sparse.zeros("csr", (2, 2))})


def test_hybridized_block_keeps_row_sparse_gradient():
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Embedding(20, 4, sparse_grad=True), mx.gluon.nn.Dense(3))
    net.initialize()
    net.hybridize()
    trainer = mx.gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1})
    x = mx.nd.array([[1, 2], [2, 9]])
    for _ in range(2):
        before = net[0].weight.data().asnumpy().copy()
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        assert net[0].weight.grad().stype == "row_sparse"
        trainer.step(2)
        changed = np.flatnonzero(np.any(net[0].weight.data().asnumpy() != before, axis=1))
        np.testing.assert_array_equal(changed, [1, 2, 9])
