"""nn operators beyond the conformance cases: the nn cases with and without the fused CPU
kernels, fused kernels against the decompositions on larger inputs, BatchNorm's moving
statistics and mode handling, Dropout in train/predict mode, and higher-order gradients."""

from __future__ import annotations

import numpy as np
import pytest

import mxcore as mx
from mxcore.conformance.runner import FORWARD, GRADIENT, PASS, Runner, items_for_area
from mxcore.ndarray import invoke as _invoke
from mxcore.ops.registry import get_op

nd = mx.nd
ag = mx.autograd
NN_FUSED = ("Convolution", "_conv_weight_grad", "Deconvolution", "Pooling", "BatchNorm")


@pytest.fixture
def decomposed(monkeypatch):
    """The CPU backend without its fused nn kernels: ops run their decompositions."""
    backend = mx.cpu().backend
    for name in NN_FUSED:
        if name in backend.kernels:
            monkeypatch.delitem(backend.kernels, name)
    _invoke._clear_caches()
    yield backend
    monkeypatch.undo()
    _invoke._clear_caches()


def _run_nn_cases():
    items = [i for i in items_for_area("nn") if i.check in (FORWARD, GRADIENT)]
    results = Runner("cpu_numpy").run_all(items)
    failures = [f"{r.case} {r.check} {r.dtype}: {r.message}" for r in results
                if r.status != PASS]
    assert len(results) > 250
    assert not failures, "\n".join(failures)


def test_nn_cases_pass_with_fused_kernels():
    backend = mx.cpu().backend
    assert all(name in backend.kernels for name in NN_FUSED)
    _run_nn_cases()


def test_nn_cases_pass_with_decompositions(decomposed):
    assert not any(name in decomposed.kernels for name in NN_FUSED)
    _run_nn_cases()


# -- fused kernels against the decompositions on larger inputs ---------------------------------
_RNG = np.random.default_rng(7)


def _r(*shape, dtype="float32"):
    return _RNG.standard_normal(shape).astype(dtype)


_FUSED_CASES = [
    ("Convolution", [_r(4, 6, 11, 9), _r(8, 3, 3, 3), _r(8)],
     dict(kernel=(3, 3), stride=(2, 1), pad=(1, 2), dilate=(1, 2), num_filter=8,
          num_group=2), {}),
    ("Convolution", [_r(2, 4, 5, 6, 7), _r(4, 1, 2, 3, 2)],
     dict(kernel=(2, 3, 2), stride=(1, 2, 2), num_filter=4, num_group=4, no_bias=True), {}),
    ("Convolution", [_r(3, 5, 17, dtype="float16"), _r(2, 5, 4, dtype="float16")],
     dict(kernel=(4,), pad=(2,), num_filter=2, no_bias=True), {}),
    ("_conv_weight_grad", [_r(4, 6, 11, 9), _r(4, 8, 6, 9)],
     dict(kernel=(3, 3), stride=(2, 1), pad=(1, 2), dilate=(1, 2), num_group=2), {}),
    ("Deconvolution", [_r(3, 4, 6, 5), _r(4, 3, 4, 3), _r(6)],
     dict(kernel=(4, 3), stride=(2, 3), pad=(1, 0), adj=(1, 2), num_filter=6, num_group=2,
          no_bias=False), {}),
    ("Deconvolution", [_r(2, 3, 4, 4, 3), _r(3, 2, 2, 2, 3)],
     dict(kernel=(2, 2, 3), stride=(2, 2, 1), target_shape=(8, 7, 5), num_filter=2), {}),
    ("Pooling", [_r(3, 4, 13, 11)],
     dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full"), {}),
    ("Pooling", [_r(3, 4, 13, 11)],
     dict(kernel=(3, 2), stride=(2, 2), pad=(1, 1), pool_type="avg",
          count_include_pad=False, pooling_convention="full"), {}),
    ("Pooling", [_r(2, 3, 6, 7, 5)], dict(kernel=(2, 3, 2), pool_type="sum"), {}),
    ("Pooling", [np.abs(_r(2, 3, 9, 8)) + 0.1],
     dict(kernel=(2, 2), pool_type="lp", p_value=3, stride=(2, 2)), {}),
    ("Pooling", [_r(2, 3, 9)], dict(kernel=(4,), stride=(3,), pooling_convention="same"), {}),
    ("Pooling", [_r(4, 5, 6, 7)], dict(global_pool=True, pool_type="avg"), {}),
    ("Pooling", [_r(4, 5, 6, 7)], dict(global_pool=True, pool_type="lp", p_value=2), {}),
    ("BatchNorm", [_r(8, 5, 4, 3), _r(5), _r(5), _r(5), np.abs(_r(5)) + 0.5],
     dict(fix_gamma=False, eps=1e-5, momentum=0.8), {"is_train": True}),
    ("BatchNorm", [_r(8, 5, 4), _r(4), _r(4), _r(4), np.abs(_r(4)) + 0.5],
     dict(axis=-1), {"is_train": False}),
]


@pytest.mark.parametrize("name,arrays,attrs,extra", _FUSED_CASES)
def test_fused_kernel_matches_decomposition(name, arrays, attrs, extra):
    backend = mx.cpu().backend
    op = get_op(name)
    parsed = dict(op.parse_attrs(attrs), **extra)
    if op.check is not None:
        op.check([a.shape for a in arrays], [a.dtype for a in arrays], **op.parse_attrs(attrs))
    want = op.compute(_invoke.kernel_namespace(backend), *arrays, **parsed)
    got = backend.kernels[name](*arrays, **parsed)
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    tol = 2e-2 if arrays[0].dtype == np.float16 else 1e-4
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=tol,
                                   atol=tol)


# -- Convolution / Deconvolution ---------------------------------------------------------------
def test_deconvolution_is_the_adjoint_of_convolution():
    x, w = _r(2, 4, 7, 6, dtype="float64"), _r(6, 2, 3, 2, dtype="float64")
    geo = dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), dilate=(1, 2), num_group=2)
    conv = nd.Convolution(nd.array(x, dtype="float64"), nd.array(w, dtype="float64"),
                          num_filter=6, no_bias=True, **geo)
    y = _r(*conv.shape, dtype="float64")
    # adj makes the transposed convolution land on the input size again
    back = nd.Deconvolution(nd.array(y, dtype="float64"), nd.array(w, dtype="float64"),
                            num_filter=4, adj=(0, 1), **geo)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(conv.asnumpy() * y), np.sum(x * back.asnumpy()),
                               rtol=1e-10)


def test_convolution_error_names_op_shapes_and_backend():
    with pytest.raises(mx.base.MXNetValueError) as info:
        nd.Convolution(nd.ones((1, 3, 4, 4)), nd.ones((2, 2, 3, 3)), kernel=(3, 3),
                       num_filter=2, no_bias=True).wait_to_read()  # async engines raise here
    message = str(info.value)
    assert message.startswith("Convolution: weight must have shape (2, 3, 3, 3)")
    assert "(1,3,4,4)" in message.replace(" ", "") and "[backend cpu_numpy]" in message


def _second_order_error(fn, hosts, train=True):
    """Relative error of d/dinputs <r, d<u, fn>/dinputs> against central differences."""
    def first(values, create):
        arrays = [nd.array(v, dtype="float64") for v in values]
        for a in arrays:
            a.attach_grad()
        with ag.record(train_mode=train):
            y = fn(*arrays)
            u = nd.array(np.linspace(-1, 1, y.size).reshape(y.shape), dtype="float64")
            loss = nd.sum(y * y * u)
        return arrays, ag.grad(loss, arrays, create_graph=create, retain_graph=create)

    arrays, grads = first(hosts, True)
    rs = [np.cos(np.arange(g.size)).reshape(g.shape) for g in grads]
    with ag.record(train_mode=train):
        total = sum(nd.sum(g * nd.array(r, dtype="float64")) for g, r in zip(grads, rs))
    total.backward()

    def h(values):
        return sum(float(np.sum(g.asnumpy() * r)) for g, r in zip(first(values, False)[1], rs))

    worst, eps = 0.0, 1e-6
    for i, host in enumerate(hosts):
        numeric = np.zeros_like(host)
        for idx in np.ndindex(host.shape):
            plus = [v.copy() for v in hosts]
            minus = [v.copy() for v in hosts]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numeric[idx] = (h(plus) - h(minus)) / (2 * eps)
        analytic = arrays[i].grad.asnumpy()
        worst = max(worst, np.abs(numeric - analytic).max() / (np.abs(numeric).max() + 1e-8))
    return worst


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w: nd.Convolution(x, w, kernel=(2, 2), num_filter=4, num_group=2, no_bias=True,
                                 stride=(2, 1), pad=(1, 0)), [(1, 2, 4, 3), (4, 1, 2, 2)]),
    (lambda x, w: nd.Deconvolution(x, w, kernel=(2,), num_filter=2, stride=(2,), adj=(1,)),
     [(1, 2, 3), (2, 2, 2)]),
    (lambda x: nd.Pooling(x, kernel=(2, 2), pool_type="avg", pad=(1, 1)), [(1, 1, 3, 3)]),
    (lambda x: nd.Pooling(x, kernel=(2,), stride=(1,)), [(1, 2, 4)]),
    (lambda x, g, b: nd.BatchNorm(x, g, b, nd.zeros(2, dtype="float64"),
                                  nd.ones(2, dtype="float64"), fix_gamma=False),
     [(3, 2, 2), (2,), (2,)]),
    (lambda x, g, b: nd.GroupNorm(x, g, b, num_groups=2), [(1, 4, 2), (2,), (2,)]),
])
def test_second_order_gradients(fn, shapes):
    hosts = [np.random.default_rng(3).uniform(-1, 1, s) for s in shapes]
    assert _second_order_error(fn, hosts) < 1e-5


# -- BatchNorm ---------------------------------------------------------------------------------
def _bn_inputs(c=3, shape=(4, 3, 2)):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    arrays = [nd.array(x), nd.array(rng.uniform(0.5, 1.5, c)), nd.array(rng.standard_normal(c)),
              nd.array(rng.standard_normal(c)), nd.array(rng.uniform(0.5, 2.0, c))]
    return x, arrays


def test_batchnorm_training_updates_moving_stats_in_place():
    x, (data, gamma, beta, mm, mv) = _bn_inputs()
    mm0, mv0 = mm.asnumpy().copy(), mv.asnumpy().copy()
    with ag.train_mode():
        out = nd.BatchNorm(data, gamma, beta, mm, mv, momentum=0.75, fix_gamma=False)
    mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
    np.testing.assert_allclose(mm.asnumpy(), 0.75 * mm0 + 0.25 * mean, rtol=1e-5)
    np.testing.assert_allclose(mv.asnumpy(), 0.75 * mv0 + 0.25 * var, rtol=1e-5)
    np.testing.assert_allclose(out.asnumpy().mean(axis=(0, 2)), beta.asnumpy(), atol=1e-5)


def test_batchnorm_inference_and_global_stats_leave_moving_stats_alone():
    x, (data, gamma, beta, mm, mv) = _bn_inputs()
    mm0, mv0 = mm.asnumpy().copy(), mv.asnumpy().copy()
    with ag.predict_mode():
        out = nd.BatchNorm(data, gamma, beta, mm, mv, fix_gamma=False, eps=1e-3)
    with ag.train_mode():
        out2 = nd.BatchNorm(data, gamma, beta, mm, mv, fix_gamma=False, use_global_stats=True)
    want = ((x - mm0[None, :, None]) / np.sqrt(mv0[None, :, None] + 1e-3)
            * gamma.asnumpy()[None, :, None] + beta.asnumpy()[None, :, None])
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out2.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mm.asnumpy(), mm0)
    np.testing.assert_array_equal(mv.asnumpy(), mv0)


def test_batchnorm_record_mode_decides_statistics():
    _x, (data, gamma, beta, mm, mv) = _bn_inputs()
    mm0 = mm.asnumpy().copy()
    with ag.record(train_mode=False):
        nd.BatchNorm(data, gamma, beta, mm, mv)
    np.testing.assert_array_equal(mm.asnumpy(), mm0)
    with ag.record():
        nd.BatchNorm(data, gamma, beta, mm, mv)
    assert not np.allclose(mm.asnumpy(), mm0)


def test_batchnorm_output_mean_var_returns_mean_and_inverse_std():
    x, (data, gamma, beta, mm, mv) = _bn_inputs()
    single = nd.BatchNorm(data, gamma, beta, mm, mv)
    assert isinstance(single, nd.NDArray)
    with ag.train_mode():
        out, mean, invstd = nd.BatchNorm(data, gamma, beta, mm, mv, output_mean_var=True,
                                         eps=1e-3)
    np.testing.assert_allclose(mean.asnumpy(), x.mean(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(invstd.asnumpy(), 1 / np.sqrt(x.var(axis=(0, 2)) + 1e-3),
                               rtol=1e-5)


def test_batchnorm_gradient_follows_the_forward_mode():
    x, (data, gamma, beta, mm, mv) = _bn_inputs()
    for a in (data, gamma, beta):
        a.attach_grad()
    og = np.random.default_rng(1).standard_normal(x.shape)
    with ag.record(train_mode=False):  # inference statistics
        out = nd.BatchNorm(data, gamma, beta, mm, mv, fix_gamma=False, eps=1e-3)
    out.backward(nd.array(og))  # backward's default train_mode must not matter
    invstd = 1 / np.sqrt(mv.asnumpy() + 1e-3)
    np.testing.assert_allclose(data.grad.asnumpy(),
                               og * (gamma.asnumpy() * invstd)[None, :, None], rtol=1e-5)
    np.testing.assert_allclose(beta.grad.asnumpy(), og.sum(axis=(0, 2)), rtol=1e-5)


def test_batchnorm_fix_gamma_gives_zero_gamma_gradient():
    _x, (data, gamma, beta, mm, mv) = _bn_inputs()
    gamma.attach_grad()
    data.attach_grad()
    with ag.record():
        out = nd.BatchNorm(data, gamma, beta, mm, mv, fix_gamma=True)
    out.backward(nd.array(np.random.default_rng(2).standard_normal(out.shape)))
    np.testing.assert_array_equal(gamma.grad.asnumpy(), np.zeros(3))
    # a normalised output's gradient sums to zero per channel
    np.testing.assert_allclose(data.grad.asnumpy().sum(axis=(0, 2)), 0, atol=1e-5)


# -- Dropout -----------------------------------------------------------------------------------
def test_dropout_is_identity_in_predict_mode():
    x = nd.array(np.arange(12.0).reshape(3, 4))
    y = nd.Dropout(x, p=0.9)
    assert isinstance(y, nd.NDArray)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    with ag.record(train_mode=False):
        y2 = nd.Dropout(x, p=0.9)
    np.testing.assert_array_equal(y2.asnumpy(), x.asnumpy())


def test_dropout_in_training_drops_scales_and_its_gradient_uses_the_same_mask():
    x = nd.array(np.random.default_rng(0).uniform(1, 2, (50, 40)))
    x.attach_grad()
    with ag.record():
        y = nd.Dropout(x, p=0.25)
    y.backward()
    out = y.asnumpy()
    kept = out != 0
    assert 0.65 < kept.mean() < 0.85
    np.testing.assert_allclose(out[kept], x.asnumpy()[kept] / 0.75, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), kept / 0.75, rtol=1e-6)


def test_dropout_mode_always_drops_at_inference_and_p1_gives_zeros():
    x = nd.ones((30, 30))
    y = nd.Dropout(x, p=0.5, mode="always")
    assert 0.3 < (y.asnumpy() == 0).mean() < 0.7
    x.attach_grad()
    with ag.record():
        z = nd.Dropout(x, p=1.0)
    z.backward()
    np.testing.assert_array_equal(z.asnumpy(), 0)
    np.testing.assert_array_equal(x.grad.asnumpy(), 0)


def test_dropout_axes_share_the_mask_and_seed_reproduces_it():
    x = nd.ones((20, 3, 10))
    with ag.train_mode():
        mx.random.seed(5)
        a = nd.Dropout(x, p=0.5, axes=(1,)).asnumpy()
        mx.random.seed(5)
        b = nd.Dropout(x, p=0.5, axes=(1,)).asnumpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.broadcast_to(a[:, :1], a.shape))
    assert 0 < (a == 0).mean() < 1
