"""mx.random / mx.nd.random: seeding, signatures, shapes, dtypes, errors, multinomial grad."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError
from mxcore.conformance import cases_random
from mxcore.ops.registry import OPS

SAMPLERS = [
    lambda: mx.nd.random.uniform(-1, 2, shape=(50,)),
    lambda: mx.nd.random.normal(1, 3, shape=(50,)),
    lambda: mx.nd.random.randn(5, 10),
    lambda: mx.nd.random.randint(0, 1000, shape=(50,)),
    lambda: mx.nd.random.exponential(2, shape=(50,)),
    lambda: mx.nd.random.gamma(2, 2, shape=(50,)),
    lambda: mx.nd.random.poisson(30, shape=(50,)),
    lambda: mx.nd.random.negative_binomial(5, 0.3, shape=(50,)),
    lambda: mx.nd.random.generalized_negative_binomial(10, 0.5, shape=(50,)),
    lambda: mx.nd.random.multinomial(mx.nd.ones((5,)) / 5, shape=(50,)),
    lambda: mx.nd.random.shuffle(mx.nd.arange(50)),
    lambda: mx.nd.random.uniform(mx.nd.zeros((5,)), mx.nd.ones((5,)), shape=(10,)),
    lambda: mx.nd.random.uniform_like(mx.nd.zeros((5, 10))),
]


@pytest.mark.parametrize("sample", SAMPLERS)
def test_same_seed_same_numbers(sample):
    mx.random.seed(123)
    a = sample().asnumpy()
    b = sample().asnumpy()
    mx.random.seed(123)
    assert np.array_equal(sample().asnumpy(), a)
    assert np.array_equal(sample().asnumpy(), b)
    assert not np.array_equal(a, b)  # the stream moves on


@pytest.mark.parametrize("sample", SAMPLERS)
def test_different_seeds_differ(sample):
    mx.random.seed(1)
    a = sample().asnumpy()
    mx.random.seed(2)
    assert not np.array_equal(sample().asnumpy(), a)


def test_seed_one_context_equals_seed_all():
    mx.random.seed(99, ctx=mx.cpu(0))
    a = mx.nd.random.uniform(shape=(20,)).asnumpy()
    mx.random.seed(99)
    assert np.array_equal(mx.nd.random.uniform(shape=(20,)).asnumpy(), a)
    mx.random.seed(99, ctx="cpu")
    assert np.array_equal(mx.nd.random.uniform(shape=(20,)).asnumpy(), a)


def test_devices_get_distinct_streams():
    c1 = mx.cpu(1)
    mx.random.seed(5)
    a = mx.nd.random.uniform(shape=(20,), ctx=mx.cpu(0)).asnumpy()
    b = mx.nd.random.uniform(shape=(20,), ctx=c1)
    assert b.context == c1
    assert not np.array_equal(a, b.asnumpy())
    mx.random.seed(5)
    mx.nd.random.uniform(shape=(20,), ctx=mx.cpu(0))
    assert np.array_equal(mx.nd.random.uniform(shape=(20,), ctx=c1).asnumpy(), b.asnumpy())


def test_seed_ignores_other_devices():
    mx.random.seed(11)
    a = mx.nd.random.uniform(shape=(20,)).asnumpy()
    mx.random.seed(11)
    mx.random.seed(12, ctx=mx.cpu(1))  # reseeding another device leaves cpu(0) alone
    assert np.array_equal(mx.nd.random.uniform(shape=(20,)).asnumpy(), a)


@pytest.mark.parametrize("bad", [1.5, "3", None, True])
def test_seed_state_must_be_int(bad):
    with pytest.raises(MXNetValueError, match="seed_state"):
        mx.random.seed(bad)


def test_seed_accepts_numpy_and_negative_ints():
    mx.random.seed(np.int64(3))
    a = mx.nd.random.uniform(shape=(5,)).asnumpy()
    mx.random.seed(3)
    assert np.array_equal(mx.nd.random.uniform(shape=(5,)).asnumpy(), a)
    mx.random.seed(-3)
    mx.random.seed(2 ** 70)


def test_mx_random_reexports_samplers():
    for name in ("uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
                 "negative_binomial", "generalized_negative_binomial", "multinomial",
                 "shuffle"):
        assert getattr(mx.random, name) is getattr(mx.nd.random, name)


def test_defaults_shape_and_dtype():
    x = mx.nd.random.uniform()
    assert x.shape == (1,) and x.dtype == np.float32
    assert mx.nd.random.randn().shape == (1,)
    assert mx.nd.random.randn(2, 3).shape == (2, 3)
    assert mx.nd.random.normal(shape=4, dtype="float64").dtype == np.float64
    assert mx.nd.random.randint(0, 5).dtype == np.int32
    assert mx.nd.random.randint(0, 5, shape=(2,), dtype="int64").dtype == np.int64
    assert mx.nd.random.uniform(shape=(2, 0)).shape == (2, 0)


def test_ctx_argument():
    c = mx.cpu(2)
    assert mx.nd.random.normal(shape=(2,), ctx=c).context == c
    with c:
        assert mx.nd.random.poisson(shape=(2,)).context == c


def test_out_gives_shape_and_dtype():
    out = mx.nd.zeros((2, 3), dtype="float64")
    result = mx.nd.random.uniform(5, 6, out=out)
    assert result is out
    host = out.asnumpy()
    assert host.dtype == np.float64 and host.shape == (2, 3)
    assert (host >= 5).all() and (host < 6).all()


def test_array_parameters_use_sample_ops():
    low = mx.nd.array([0, 10])
    high = mx.nd.array([1, 20])
    x = mx.nd.random.uniform(low, high, shape=(3, 4))
    assert x.shape == (2, 3, 4) and x.dtype == np.float32
    h = x.asnumpy()
    assert (h[0] < 1).all() and (h[1] >= 10).all()
    assert mx.nd.random.uniform(low, high).shape == (2,)
    assert mx.nd.random.normal(low, high, dtype="float64").dtype == np.float64
    lam = mx.nd.array([[1.0, 2.0]])
    assert mx.nd.random.exponential(lam, shape=(5,)).shape == (1, 2, 5)


def test_exponential_takes_scale():
    mx.random.seed(0)
    x = mx.nd.random.exponential(4, shape=(20000,)).asnumpy()
    assert abs(x.mean() - 4) < 0.2
    x = mx.nd.random.exponential(mx.nd.array([0.5, 8.0]), shape=(20000,)).asnumpy()
    assert abs(x[0].mean() - 0.5) < 0.05 and abs(x[1].mean() - 8) < 0.5


def test_mixed_parameter_kinds_are_rejected():
    with pytest.raises(MXNetTypeError, match="all be NDArrays or all numbers"):
        mx.nd.random.uniform(0, mx.nd.ones((2,)))
    with pytest.raises(MXNetTypeError, match="all be NDArrays or all numbers"):
        mx.nd.random.normal(mx.nd.ones((2,)), 1)
    with pytest.raises(MXNetTypeError):
        mx.nd.random.uniform("a", 1)
    with pytest.raises(MXNetTypeError, match="randint"):
        mx.nd.random.randint(mx.nd.zeros((2,)), mx.nd.ones((2,)))


@pytest.mark.parametrize("call, match", [
    (lambda: mx.nd.random.uniform(2, 1), "low must be <= high"),
    (lambda: mx.nd.random.normal(0, 0), "scale must be > 0"),
    (lambda: mx.nd.random.gamma(-1, 1), "alpha must be > 0"),
    (lambda: mx.nd.random.poisson(-0.5), "lam must be >= 0"),
    (lambda: mx.nd.random.exponential(0), "scale must be > 0"),
    (lambda: mx.nd.random.exponential(-2), "lam must be > 0"),
    (lambda: mx.nd.random.randint(3, 3), "low must be < high"),
    (lambda: mx.nd.random.randint(0, 2 ** 33), "does not fit int32"),
    (lambda: mx.nd.random.uniform(shape=(2, -3)), "negative dimension"),
    (lambda: mx.nd.random.uniform(dtype="int32"), "dtype must be float"),
    (lambda: mx.nd.random.randint(0, 2, dtype="float32"), "int32 or int64"),
    (lambda: mx.nd.random.uniform(mx.nd.ones((2,)), mx.nd.ones((3,))), "one shape"),
    (lambda: mx.nd.random.multinomial(mx.nd.ones((2, 0))), "at least one category"),
    (lambda: mx.nd.random.multinomial(mx.nd.ones((2,)), dtype="bool"), "integer or float"),
])
def test_invalid_parameters(call, match):
    with pytest.raises(MXNetError, match=match):
        call()
        mx.nd.waitall()  # an asynchronous engine reports the error at the sync point


def test_errors_name_op_and_backend():
    with pytest.raises(MXNetValueError) as info:
        mx.nd.random.gamma(0, 1).wait_to_read()
    assert "_random_gamma" in str(info.value) and "[backend cpu_numpy]" in str(info.value)


def test_randint_int64_range():
    x = mx.nd.random.randint(2 ** 40, 2 ** 40 + 2, shape=(100,), dtype="int64").asnumpy()
    assert set(np.unique(x)) <= {2 ** 40, 2 ** 40 + 1}


def test_multinomial_shapes_and_dtypes():
    p1 = mx.nd.array([0.2, 0.8])
    assert mx.nd.random.multinomial(p1).shape == (1,)
    assert mx.nd.random.multinomial(p1, shape=(3,)).shape == (3,)
    p2 = mx.nd.array([[0.2, 0.8]] * 4)
    assert mx.nd.random.multinomial(p2).shape == (4,)
    x = mx.nd.random.multinomial(p2, shape=(2, 3))
    assert x.shape == (4, 2, 3) and x.dtype == np.int32
    assert mx.nd.random.multinomial(p2, dtype="float32").dtype == np.float32
    idx, logp = mx.nd.random.multinomial(mx.nd.array(p2, dtype="float64"), get_prob=True)
    assert idx.shape == logp.shape == (4,) and logp.dtype == np.float64


def test_multinomial_zero_probability_never_drawn():
    p = mx.nd.array([[0.0, 0.5, 0.0, 0.5, 0.0]])
    idx = mx.nd.random.multinomial(p, shape=(5000,)).asnumpy()
    assert set(np.unique(idx)) == {1, 3}


def test_multinomial_normalises_rows():
    mx.random.seed(4)
    idx = mx.nd.random.multinomial(mx.nd.array([2.0, 6.0]), shape=(20000,)).asnumpy()
    assert abs(idx.mean() - 0.75) < 0.02


@pytest.mark.parametrize("ctx", [mx.cpu(0), mx.cpu(1)])
def test_multinomial_get_prob_gradient(ctx):
    p = mx.nd.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], dtype="float64", ctx=ctx)
    p.attach_grad()
    weights = mx.nd.array(np.arange(1, 11, dtype=np.float64).reshape(2, 5), dtype="float64",
                          ctx=ctx)
    with mx.autograd.record():
        idx, logp = mx.nd.random.multinomial(p, shape=(5,), get_prob=True)
        loss = (logp * weights).sum()
    loss.backward()
    idx_h, p_h, w_h = idx.asnumpy(), p.asnumpy(), weights.asnumpy()
    want = np.zeros_like(p_h)
    for r in range(2):
        for s in range(5):
            want[r, idx_h[r, s]] += w_h[r, s] / p_h[r, idx_h[r, s]]
    assert np.allclose(p.grad.asnumpy(), want)
    assert np.allclose(logp.asnumpy(), np.log(np.take_along_axis(p_h, idx_h, axis=1)))


def test_samplers_are_not_differentiable():
    loc = mx.nd.zeros((3,))
    loc.attach_grad()
    with mx.autograd.record():
        y = mx.nd.random.normal(loc, mx.nd.ones((3,)))
    with pytest.raises(MXNetError):
        y.backward()


def test_shuffle():
    x = mx.nd.array(np.arange(30).reshape(10, 3), dtype="int32")
    mx.random.seed(2)
    y = mx.nd.random.shuffle(x)
    assert y.dtype == np.int32 and y.shape == (10, 3)
    rows = y.asnumpy()
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x.asnumpy()))
    assert not np.array_equal(rows, x.asnumpy())
    assert np.array_equal(x.asnumpy(), np.arange(30).reshape(10, 3))  # input untouched
    assert mx.nd.shuffle(mx.nd.zeros((0, 2))).shape == (0, 2)


def test_like_samplers():
    data = mx.nd.zeros((4, 5), dtype="float64")
    x = mx.nd.random.uniform_like(data, 3, 4)
    assert x.shape == (4, 5) and x.dtype == np.float64
    assert (x.asnumpy() >= 3).all()
    assert mx.nd.random.normal_like(mx.nd.zeros((2,), dtype="int32")).dtype == np.float32
    assert mx.nd.random.poisson_like(data, lam=2).shape == (4, 5)


def test_generated_aliases():
    assert mx.nd.uniform(shape=(2,)).shape == (2,)
    assert mx.nd.random_normal(shape=(2,)).shape == (2,)
    assert mx.nd.sample_normal(mx.nd.zeros((2,)), mx.nd.ones((2,))).shape == (2,)
    assert mx.nd.shuffle(mx.nd.ones((3,))).shape == (3,)


# -- the conformance references themselves must be able to fail --------------------------------
def _attrs(case):
    """As the runner does: the case dtype goes to ``dtype=`` when no input carries it."""
    attrs = dict(case.attrs)
    op = OPS[case.op]
    if "dtype" in op.params and "dtype" not in attrs and all(i.dtype for i in case.inputs):
        attrs["dtype"] = case.dtypes[0]
    return attrs


def _call(case, arrays):
    if case.call is not None:
        return case.call(mx.nd, *arrays, **_attrs(case))
    return getattr(mx.nd, case.op)(*arrays, **_attrs(case))


def _inputs(case):
    return [mx.nd.array(np.asarray(i.values), dtype=i.dtype or "float32") for i in case.inputs]


def _verdict(case, outs):
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return case.reference(*[np.asarray(o, dtype=np.float64) for o in outs], **_attrs(case))


STAT_CASES = [c for c in cases_random.CASES
              if c.random and all(i.values is not None for i in c.inputs)
              and c.name not in ("zero-size", "no shape gives (1,)", "1-D data, one draw")]


@pytest.mark.parametrize("case", STAT_CASES, ids=lambda c: f"{c.op}-{c.name}")
def test_reference_accepts_real_samples(case):
    mx.random.seed(0)
    assert _verdict(case, _call(case, _inputs(case))) is True


@pytest.mark.parametrize("case", STAT_CASES, ids=lambda c: f"{c.op}-{c.name}")
def test_reference_rejects_wrong_samples(case):
    mx.random.seed(0)
    outs = _call(case, _inputs(case))
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    first = np.asarray(outs[0], dtype=np.float64)
    wrong = first.copy()
    flat = wrong.reshape(-1)
    flat[: flat.size // 2] = flat[0]  # half the sample collapsed onto one value
    verdict = case.reference(wrong, *[np.asarray(o, np.float64) for o in outs[1:]],
                             **_attrs(case))
    assert verdict is not True
