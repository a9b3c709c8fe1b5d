"""mx.init: fills, statistics, fan computation, name dispatch, registry and JSON."""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, MXNetTypeError, MXNetValueError
from mxcore.initializer import xavier_fans


def _fill(init, name, shape, dtype="float32", attrs=None):
    arr = mx.nd.zeros(shape, dtype=dtype) - 7  # a sentinel: every element must be written
    init(mx.init.InitDesc(name, attrs), arr)
    return arr.asnumpy()


# -- random fills -----------------------------------------------------------------------------
def test_uniform_bounds_and_std():
    mx.random.seed(0)
    a = _fill(mx.init.Uniform(0.5), "fc_weight", (200, 100))
    assert a.min() >= -0.5 and a.max() <= 0.5
    assert a.min() < -0.45 and a.max() > 0.45
    assert abs(a.std() - 0.5 / math.sqrt(3)) < 0.01
    assert abs(a.mean()) < 0.01


def test_uniform_default_scale():
    assert mx.init.Uniform().scale == 0.07
    a = _fill(mx.init.Uniform(), "w_weight", (100, 100))
    assert np.abs(a).max() <= 0.07


def test_normal_std():
    mx.random.seed(1)
    assert mx.init.Normal().sigma == 0.01
    a = _fill(mx.init.Normal(2.0), "fc_weight", (200, 100))
    assert abs(a.std() - 2.0) < 0.05
    assert abs(a.mean()) < 0.05


def test_seed_makes_fills_reproducible():
    mx.random.seed(42)
    a = _fill(mx.init.Xavier(), "w_weight", (8, 5))
    mx.random.seed(42)
    b = _fill(mx.init.Xavier(), "w_weight", (8, 5))
    c = _fill(mx.init.Xavier(), "w_weight", (8, 5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_fills_keep_dtype(dtype):
    for init in (mx.init.Uniform(), mx.init.Normal(), mx.init.Xavier(), mx.init.Orthogonal(),
                 mx.init.Constant(2.0), mx.init.One()):
        arr = mx.nd.zeros((4, 6), dtype=dtype)
        init(mx.init.InitDesc("x_weight"), arr)
        assert arr.dtype == np.dtype(dtype)


# -- Xavier and MSRAPrelu ---------------------------------------------------------------------
def test_xavier_fans_follow_mxnet():
    assert xavier_fans((10, 20)) == (20, 10)
    assert xavier_fans((64, 32, 3, 3)) == (32 * 9, 64 * 9)
    assert xavier_fans((8, 4, 2, 3, 5)) == (4 * 30, 8 * 30)


@pytest.mark.parametrize("factor_type,factor", [("avg", (288 + 576) / 2), ("in", 288),
                                                ("out", 576)])
def test_xavier_uniform_bound_on_conv_weight(factor_type, factor):
    mx.random.seed(2)
    bound = math.sqrt(3.0 / factor)
    a = _fill(mx.init.Xavier(factor_type=factor_type), "conv0_weight", (64, 32, 3, 3))
    assert np.abs(a).max() <= bound + 1e-7
    assert np.abs(a).max() > 0.95 * bound
    assert abs(a.std() - bound / math.sqrt(3)) < 0.02 * bound


def test_xavier_gaussian_std():
    mx.random.seed(3)
    a = _fill(mx.init.Xavier(rnd_type="gaussian", magnitude=2), "fc_weight", (300, 200))
    assert abs(a.std() - math.sqrt(2 / 250)) < 0.002


def test_xavier_defaults_and_errors():
    x = mx.init.Xavier()
    assert (x.rnd_type, x.factor_type, x.magnitude) == ("uniform", "avg", 3.0)
    with pytest.raises(MXNetValueError, match=r"\(5,\)"):
        x(mx.init.InitDesc("fc_weight"), mx.nd.zeros((5,)))
    with pytest.raises(MXNetValueError, match="rnd_type"):
        mx.init.Xavier(rnd_type="bad")
    with pytest.raises(MXNetValueError, match="factor_type"):
        mx.init.Xavier(factor_type="bad")


def test_msraprelu_is_gaussian_xavier():
    mx.random.seed(4)
    init = mx.init.MSRAPrelu(factor_type="in", slope=0.0)
    assert init.rnd_type == "gaussian" and init.magnitude == 2.0
    a = _fill(init, "conv_weight", (100, 50, 3, 3))
    assert abs(a.std() - math.sqrt(2.0 / 450)) < 0.002
    assert mx.init.MSRAPrelu().magnitude == pytest.approx(2 / 1.0625)
    assert json.loads(mx.init.MSRAPrelu().dumps()) == [
        "msraprelu", {"factor_type": "avg", "slope": 0.25}]


# -- deterministic fills ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2, 2)])
@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
def test_orthogonal(shape, rand_type):
    a = _fill(mx.init.Orthogonal(scale=2.0, rand_type=rand_type), "w_weight", shape)
    flat = a.reshape(shape[0], -1).astype(np.float64)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_orthogonal_defaults():
    o = mx.init.Orthogonal()
    assert (o.scale, o.rand_type) == (1.414, "uniform")
    with pytest.raises(MXNetValueError):
        mx.init.Orthogonal(rand_type="bad")


def test_constant_zero_one():
    np.testing.assert_array_equal(_fill(mx.init.Constant(3.5), "w_weight", (2, 3)),
                                  np.full((2, 3), 3.5))
    np.testing.assert_array_equal(_fill(mx.init.Constant([1, 2, 3]), "w_weight", (2, 3)),
                                  np.array([[1, 2, 3], [1, 2, 3]]))
    np.testing.assert_array_equal(_fill(mx.init.Zero(), "w_weight", (2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(_fill(mx.init.One(), "w_weight", (2, 2)), np.ones((2, 2)))
    with pytest.raises(MXNetValueError, match="broadcast"):
        _fill(mx.init.Constant([1, 2]), "w_weight", (2, 3))


def _bilinear_reference(shape):
    weight = np.zeros(int(np.prod(shape)), dtype=np.float32)
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    for i in range(weight.size):
        x = i % shape[3]
        y = (i // shape[3]) % shape[2]
        weight[i] = (1 - abs(x / f - c)) * (1 - abs(y / f - c))
    return weight.reshape(shape)


@pytest.mark.parametrize("shape", [(1, 1, 4, 4), (2, 3, 3, 5), (1, 2, 6, 2)])
def test_bilinear(shape):
    np.testing.assert_allclose(_fill(mx.init.Bilinear(), "up_weight", shape),
                               _bilinear_reference(shape), rtol=1e-6)
    with pytest.raises(MXNetValueError, match="4-d"):
        _fill(mx.init.Bilinear(), "up_weight", (2, 2))


def test_lstm_bias():
    a = _fill(mx.init.LSTMBias(), "lstm_i2h_bias", (8,), attrs={"__init__": mx.init.LSTMBias()})
    np.testing.assert_array_equal(a, [0, 0, 1, 1, 0, 0, 0, 0])
    b = _fill(mx.init.Uniform(), "b", (12,), attrs={"__init__": mx.init.LSTMBias(2.5).dumps()})
    np.testing.assert_array_equal(b, [0] * 3 + [2.5] * 3 + [0] * 6)


# -- dispatch by name and by __init__ ---------------------------------------------------------
@pytest.mark.parametrize("name,value", [
    ("fc_bias", 0.0), ("bn_gamma", 1.0), ("bn_beta", 0.0), ("bn_moving_mean", 0.0),
    ("bn_moving_var", 1.0), ("bn_moving_inv_var", 0.0), ("bn_moving_avg", 0.0),
    ("q_min", 0.0), ("q_max", 1.0)])
def test_suffix_dispatch(name, value):
    np.testing.assert_array_equal(_fill(mx.init.Uniform(), name, (3,)), np.full(3, value))


def test_weight_suffix_uses_own_distribution():
    a = _fill(mx.init.Constant(4.0), "dense0_weight", (2, 2))
    np.testing.assert_array_equal(a, np.full((2, 2), 4.0))
    # Constant on a bias name still gives the bias rule (MXNet's behaviour)
    np.testing.assert_array_equal(_fill(mx.init.Constant(4.0), "dense0_bias", (2,)), [0, 0])


def test_unknown_pattern_raises():
    with pytest.raises(MXNetValueError, match="strange_param"):
        _fill(mx.init.Uniform(), "strange_param", (2,))


@pytest.mark.parametrize("explicit", ["ones", "One", mx.init.One(), '["one", {}]',
                                      mx.init.Constant(1.0).dumps()])
def test_explicit_init_attribute_wins(explicit):
    # the name says "bias" (zeros) and the global init is Uniform; __init__ decides
    a = _fill(mx.init.Uniform(), "fc_bias", (3,), attrs={"__init__": explicit})
    np.testing.assert_array_equal(a, np.ones(3))


def test_global_init_recorded_and_plain_string_names():
    init = mx.init.Zero()
    desc = mx.init.InitDesc("w_weight")
    arr = mx.nd.ones((2,))
    init(desc, arr)
    assert desc.global_init is init
    arr2 = mx.nd.ones((2,))
    mx.init.Uniform()("fc_bias", arr2)  # a plain str works like an InitDesc
    np.testing.assert_array_equal(arr2.asnumpy(), [0, 0])


def test_call_validates_arguments():
    with pytest.raises(MXNetTypeError, match="NDArray"):
        mx.init.Uniform()(mx.init.InitDesc("w_weight"), np.zeros(3))
    with pytest.raises(MXNetTypeError):
        mx.init.Uniform()(3, mx.nd.zeros((3,)))


def test_initdesc_is_a_str():
    d = mx.init.InitDesc("fc_weight", {"lr_mult": "2"})
    assert isinstance(d, str) and d == "fc_weight"
    assert d.attrs == {"lr_mult": "2"} and d.global_init is None
    assert mx.init.InitDesc("x").attrs == {}


def test_zero_size_array_is_fine():
    arr = mx.nd.zeros((0, 3))
    mx.init.Xavier()(mx.init.InitDesc("w_weight"), arr)
    assert arr.shape == (0, 3)


# -- registry and JSON ------------------------------------------------------------------------
@pytest.mark.parametrize("name,cls", [
    ("zeros", mx.init.Zero), ("zero", mx.init.Zero), ("ones", mx.init.One),
    ("one", mx.init.One), ("xavier", mx.init.Xavier), ("Xavier", mx.init.Xavier),
    ("uniform", mx.init.Uniform), ("normal", mx.init.Normal),
    ("msraprelu", mx.init.MSRAPrelu), ("orthogonal", mx.init.Orthogonal),
    ("bilinear", mx.init.Bilinear), ("lstmbias", mx.init.LSTMBias)])
def test_create_by_name(name, cls):
    assert type(mx.init.create(name)) is cls


def test_create_forms():
    assert mx.init.create("constant", value=2).value == 2
    assert mx.init.create("uniform", 0.3).scale == 0.3
    inst = mx.init.Normal(0.5)
    assert mx.init.create(inst) is inst
    assert mx.init.create({"initializer": "normal", "sigma": 0.2}).sigma == 0.2
    made = mx.init.create(mx.init.Xavier("gaussian", "in", 2).dumps())
    assert (made.rnd_type, made.factor_type, made.magnitude) == ("gaussian", "in", 2.0)


def test_create_errors():
    with pytest.raises(MXNetValueError, match="nosuch.*known:.*xavier.*zeros"):
        mx.init.create("nosuch")
    with pytest.raises(MXNetError):
        mx.init.create(mx.init.Zero(), scale=2)
    with pytest.raises(MXNetTypeError):
        mx.init.create(3)
    with pytest.raises(MXNetValueError, match="JSON"):
        mx.init.create("[not json")
    with pytest.raises(MXNetTypeError, match="Uniform"):
        mx.init.create("uniform", nonsense=1)


def test_dumps_json_form():
    assert json.loads(mx.init.Xavier().dumps()) == [
        "xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]
    assert json.loads(mx.init.Uniform().dumps()) == ["uniform", {"scale": 0.07}]
    assert json.loads(mx.init.Zero().dumps()) == ["zero", {}]
    assert json.loads(mx.init.Constant(mx.nd.array([1, 2])).dumps()) == [
        "constant", {"value": [1.0, 2.0]}]


def test_register_and_alias():
    @mx.init.alias("sevens_alias")
    class Sevens(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 7.0

    for name in ("sevens", "sevens_alias"):
        np.testing.assert_array_equal(_fill(mx.init.create(name), "w_weight", (2,)), [7, 7])
    with pytest.raises(MXNetTypeError):
        mx.init.register(int)


# -- Mixed and Load ---------------------------------------------------------------------------
def test_mixed():
    init = mx.init.Mixed(["fc1_.*", ".*"], [mx.init.Constant(2.0), mx.init.One()])
    np.testing.assert_array_equal(_fill(init, "fc1_weight", (2,)), [2, 2])
    np.testing.assert_array_equal(_fill(init, "fc2_weight", (2,)), [1, 1])
    np.testing.assert_array_equal(_fill(init, "fc2_bias", (2,)), [0, 0])
    # Gluon passes the global initializer as __init__: no infinite recursion
    np.testing.assert_array_equal(_fill(init, "fc1_weight", (2,), attrs={"__init__": init}),
                                  [2, 2])
    strict = mx.init.Mixed(["fc1_.*"], [mx.init.One()])
    with pytest.raises(MXNetValueError, match="fc9_weight"):
        _fill(strict, "fc9_weight", (2,))
    with pytest.raises(MXNetValueError):
        mx.init.Mixed(["a", "b"], [mx.init.One()])


def test_load_from_dict_and_file(tmp_path):
    params = {"arg:fc_weight": mx.nd.array([[1, 2], [3, 4]]), "aux:bn_moving_var":
              mx.nd.array([5, 6])}
    init = mx.init.Load(params, default_init=mx.init.Constant(9.0))
    np.testing.assert_array_equal(_fill(init, "fc_weight", (2, 2)), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(_fill(init, "bn_moving_var", (2,)), [5, 6])
    np.testing.assert_array_equal(_fill(init, "other_weight", (2,)), [9, 9])
    with pytest.raises(MXNetValueError, match=r"\(3, 2\).*\(2, 2\)"):
        _fill(init, "fc_weight", (3, 2))
    with pytest.raises(MXNetValueError, match="other_weight"):
        _fill(mx.init.Load(params), "other_weight", (2,))

    path = str(tmp_path / "p.params")
    mx.nd.save(path, params)
    np.testing.assert_array_equal(_fill(mx.init.Load(path), "fc_weight", (2, 2)),
                                  [[1, 2], [3, 4]])


def test_verbose_logging(caplog):
    init = mx.init.One().set_verbosity(True)
    with caplog.at_level(logging.INFO):
        _fill(init, "fc_weight", (4,))
    assert "fc_weight" in caplog.text and "1.0" in caplog.text
