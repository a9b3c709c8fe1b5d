"""gluon.Parameter, Constant and ParameterDict: creation, init, contexts, files, errors."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError
from mxcore.gluon import Constant, Parameter, ParameterDict
from mxcore.gluon.parameter import DeferredInitializationError, ParameterNotInitializedError


class Fill(mx.init.Initializer):
    """Fills every array with one value."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name, arr):
        arr[:] = self.value


def test_attributes_and_repr():
    p = Parameter("fc_weight", shape=3, lr_mult=2.0, wd_mult=0.5)
    assert p.name == "fc_weight"
    assert p.shape == (3,)
    assert p.dtype == np.float32
    assert (p.grad_req, p.lr_mult, p.wd_mult) == ("write", 2.0, 0.5)
    assert repr(p) == "Parameter fc_weight (shape=(3,), dtype=float32)"


def test_initialize_creates_data_and_grad():
    p = Parameter("w", shape=(2, 3), init=mx.init.One())
    p.initialize()
    np.testing.assert_array_equal(p.data().asnumpy(), np.ones((2, 3), np.float32))
    assert p.grad().shape == (2, 3)
    assert p.list_ctx() == [mx.cpu(0)]
    x = mx.nd.ones((2, 3))
    with mx.autograd.record():
        y = (p.data() * x * 3).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), np.full((2, 3), 3, np.float32))
    p.zero_grad()
    assert p.grad().asnumpy().sum() == 0


def test_init_precedence():
    p = Parameter("w", shape=(2,), init=Fill(2.0))
    p.initialize(default_init=Fill(5.0))
    assert p.data().asnumpy().tolist() == [2.0, 2.0]
    p.initialize(init=Fill(7.0), force_reinit=True)
    assert p.data().asnumpy().tolist() == [7.0, 7.0]
    q = Parameter("q", shape=(2,))
    q.initialize(default_init=Fill(5.0))
    assert q.data().asnumpy().tolist() == [5.0, 5.0]


def test_default_initializer_is_uniform():
    p = Parameter("fc_weight", shape=(50,))
    p.initialize()
    values = p.data().asnumpy()
    assert np.all(np.abs(values) <= 0.07) and values.std() > 0


def test_reinitialize_warns_and_keeps_data():
    p = Parameter("w", shape=(2,), init=Fill(1.0))
    p.initialize()
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize(init=Fill(3.0))
    assert p.data().asnumpy().tolist() == [1.0, 1.0]


def test_uninitialized_errors_are_actionable():
    p = Parameter("enc_weight", shape=(2,))
    with pytest.raises(ParameterNotInitializedError, match="enc_weight.*initialize"):
        p.data()
    with pytest.raises(MXNetError):
        p.list_ctx()
    with pytest.raises(MXNetError, match="invalid shape"):
        Parameter("v", shape=(0, 3)).initialize()


def test_deferred_init_waits_for_shape():
    p = Parameter("w", shape=(4, 0), allow_deferred_init=True, init=Fill(1.0))
    p.initialize(ctx=mx.cpu(0))
    assert p.list_ctx() == [mx.cpu(0)]
    with pytest.raises(DeferredInitializationError, match="deferred"):
        p.data()
    with pytest.raises(MXNetError, match="incompatible"):
        p.shape = (5, 3)
    p.shape = (4, 3)
    p._finish_deferred_init()
    assert p.data().shape == (4, 3)


def test_set_data_before_deferred_init_finishes():
    p = Parameter("w", shape=(0,), allow_deferred_init=True)
    p.initialize()
    p.set_data(mx.nd.array([1, 2, 3]))
    p._finish_deferred_init()
    assert p.data().asnumpy().tolist() == [1, 2, 3]


def test_multi_context_copies_have_own_grads():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    p = Parameter("w", shape=(3,), init=Fill(1.0))
    p.initialize(ctx=ctxs)
    assert p.list_ctx() == ctxs
    d0, d1 = p.list_data()
    assert d0.context == mx.cpu(0) and d1.context == mx.cpu(1)
    assert p.data(mx.cpu(1)) is d1
    with mx.autograd.record():
        y0 = (d0 * 2).sum()
        y1 = (d1 * 5).sum()
    mx.autograd.backward([y0, y1])
    assert p.grad(mx.cpu(0)).asnumpy().tolist() == [2, 2, 2]
    assert p.grad(mx.cpu(1)).asnumpy().tolist() == [5, 5, 5]
    assert [g.context for g in p.list_grad()] == ctxs
    with pytest.raises(ParameterNotInitializedError, match="cpu\\(2\\)"):
        p.data(mx.cpu(2))
    p.set_data(mx.nd.array([4, 5, 6]))
    assert p.data(mx.cpu(1)).asnumpy().tolist() == [4, 5, 6]


def test_reset_ctx_moves_data():
    p = Parameter("w", shape=(2,), init=Fill(3.0))
    p.initialize(ctx=mx.cpu(0))
    p.reset_ctx([mx.cpu(1), mx.cpu(2)])
    assert p.list_ctx() == [mx.cpu(1), mx.cpu(2)]
    assert p.data(mx.cpu(2)).asnumpy().tolist() == [3, 3]
    assert p.grad(mx.cpu(2)).context == mx.cpu(2)
    with pytest.raises(MXNetError, match="not been initialized"):
        Parameter("u", shape=(1,)).reset_ctx(mx.cpu(0))


def test_grad_req_null_and_back():
    p = Parameter("w", shape=(2,), init=Fill(1.0))
    p.initialize()
    p.grad_req = "null"
    with pytest.raises(MXNetError, match="grad_req='null'"):
        p.grad()
    p.grad_req = "add"
    assert p.grad().shape == (2,)
    for _ in range(2):
        with mx.autograd.record():
            y = (p.data() * 2).sum()
        y.backward()
    assert p.grad().asnumpy().tolist() == [4, 4]
    with pytest.raises(MXNetError, match="grad_req"):
        p.grad_req = "sometimes"
    q = Parameter("q", shape=(1,), differentiable=False)
    assert q.grad_req == "null"


def test_cast_keeps_values_and_grads():
    p = Parameter("w", shape=(2,), init=Fill(1.5))
    p.initialize()
    p.cast("float64")
    assert p.dtype == np.float64
    assert p.data().dtype == np.float64 and p.grad().dtype == np.float64
    with mx.autograd.record():
        y = (p.data() * 2).sum()
    y.backward()
    assert p.grad().asnumpy().tolist() == [2.0, 2.0]


def test_constant():
    c = Constant("const", [[1, 2], [3, 4]])
    assert c.grad_req == "null"
    assert repr(c) == "Constant const (shape=(2, 2), dtype=float32)"
    c.initialize(init=Fill(9.0))
    assert c.data().asnumpy().tolist() == [[1, 2], [3, 4]]
    with pytest.warns(UserWarning, match="does not support grad_req"):
        c.grad_req = "write"
    assert c.grad_req == "null"


def test_parameter_dict_get_and_sharing():
    params = ParameterDict("net_")
    w = params.get("weight", shape=(2, 0))
    assert w.name == "net_weight"
    assert params.get("weight", shape=(2, 5)) is w and w.shape == (2, 5)
    with pytest.raises(MXNetError, match="does not match"):
        params.get("weight", shape=(3, 5))
    with pytest.raises(MXNetError, match="does not match"):
        params.get("weight", lr_mult=3.0)
    shared = ParameterDict("net_", shared=params)
    assert shared.get("weight") is w
    assert list(shared.keys()) == ["net_weight"]
    assert "net_weight" in params and len(params) == 1
    with pytest.raises(KeyError):
        params["missing"]


def test_parameter_dict_constant_update_setattr():
    params = ParameterDict("b_")
    c = params.get_constant("c", [1.0, 2.0])
    assert params.get_constant("c") is c
    with pytest.raises(MXNetError, match="specify value"):
        params.get_constant("other")
    other = ParameterDict("b_")
    other.get("w", shape=(1,))
    params.update(other)
    assert list(params.keys()) == ["b_c", "b_w"]
    clash = ParameterDict("b_")
    clash.get("w", shape=(1,))
    with pytest.raises(MXNetError, match="b_w"):
        params.update(clash)
    params.setattr("lr_mult", 0.1)
    assert params["b_w"].lr_mult == 0.1
    assert "Parameter b_w" in repr(params)


def test_parameter_dict_initialize_and_zero_grad():
    params = ParameterDict("m_")
    params.get("weight", shape=(2, 2))
    params.get("bias", shape=(2,), init=Fill(0.0))
    params.initialize(Fill(1.0), ctx=[mx.cpu(0), mx.cpu(1)])
    assert params["m_weight"].data(mx.cpu(1)).asnumpy().sum() == 4
    assert params["m_bias"].data().asnumpy().sum() == 0
    assert params.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    params.zero_grad()
    params.reset_ctx(mx.cpu(0))
    assert params.list_ctx() == [mx.cpu(0)]


def test_parameter_dict_save_load(tmp_path):
    path = str(tmp_path / "p.params")
    src = ParameterDict("net_")
    src.get("weight", shape=(2, 3), init=Fill(2.0))
    src.get("bias", shape=(2,), init=Fill(1.0))
    src.initialize()
    src.save(path, strip_prefix="net_")
    assert sorted(mx.nd.load(path)) == ["bias", "weight"]
    with pytest.raises(MXNetError, match="does not start with"):
        src.save(path, strip_prefix="other_")

    dst = ParameterDict("net_")
    dst.get("weight", shape=(2, 0), allow_deferred_init=True)
    dst.get("bias", shape=(2,))
    dst.load(path, ctx=mx.cpu(1), restore_prefix="net_")
    assert dst["net_weight"].shape == (2, 3)
    assert dst["net_weight"].data(mx.cpu(1)).asnumpy().sum() == 12

    extra = ParameterDict("net_")
    extra.get("weight", shape=(2, 3))
    with pytest.raises(MXNetError, match="bias.*ignore_extra"):
        extra.load(path, restore_prefix="net_")
    extra.load(path, restore_prefix="net_", ignore_extra=True)

    missing = ParameterDict("net_")
    for name in ("weight", "bias", "gamma"):
        missing.get(name, shape=(2,) if name != "weight" else (2, 3))
    with pytest.raises(MXNetError, match="net_gamma.*missing"):
        missing.load(path, restore_prefix="net_")
    missing.load(path, restore_prefix="net_", allow_missing=True)

    bad = ParameterDict("net_")
    bad.get("weight", shape=(3, 3))
    with pytest.raises(MXNetError, match="shape incompatible"):
        bad.load(path, restore_prefix="net_", ignore_extra=True)


def test_load_dtype_mismatch(tmp_path):
    path = str(tmp_path / "d.params")
    mx.nd.save(path, {"w": mx.nd.ones((2,), dtype="float64")})
    p = ParameterDict()
    p.get("w", shape=(2,))
    with pytest.raises(MXNetError, match="cast_dtype"):
        p.load(path)
    p.load(path, cast_dtype=True)
    assert p["w"].data().dtype == np.float32
    q = ParameterDict()
    q.get("w", shape=(2,))
    q.load(path, cast_dtype=True, dtype_source="saved")
    assert q["w"].dtype == np.float64


def test_get_merges_constructor_flags_and_checks_the_rest():
    params = ParameterDict("x_")
    w = params.get("w", shape=(2,))
    assert params.get("w", allow_deferred_init=True, differentiable=True) is w
    assert w._allow_deferred_init
    with pytest.raises(MXNetError, match="'_stype'"):
        params.get("w", stype="csr")
    assert not hasattr(w, "allow_deferred_init")
