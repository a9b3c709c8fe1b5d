"""mx.model: checkpoints in MXNet's layout (prefix-symbol.json, prefix-%04d.params with
arg:/aux: keys)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import mxcore as mx


def _net():
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    return mx.sym.BatchNorm(net, name="bn")


def test_save_load_checkpoint_round_trip(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    net = _net()
    args = {"fc_weight": mx.nd.array(np.arange(12).reshape(3, 4)), "fc_bias": mx.nd.ones((3,)),
            "bn_gamma": mx.nd.ones((3,)), "bn_beta": mx.nd.zeros((3,))}
    auxs = {"bn_moving_mean": mx.nd.array([1, 2, 3]), "bn_moving_var": mx.nd.ones((3,))}
    prefix = str(tmp_path / "model")
    mx.model.save_checkpoint(prefix, 7, net, args, auxs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-0007.params",
                                                          "model-symbol.json"]
    assert 'Saved checkpoint to "' in caplog.text
    raw = mx.nd.load(prefix + "-0007.params")
    assert sorted(raw) == sorted([f"arg:{k}" for k in args] + [f"aux:{k}" for k in auxs])

    sym, args2, auxs2 = mx.model.load_checkpoint(prefix, 7)
    assert sym.list_arguments() == net.list_arguments()
    assert sym.list_auxiliary_states() == net.list_auxiliary_states()
    assert sym.tojson() == net.tojson()
    for mine, theirs in ((args, args2), (auxs, auxs2)):
        assert sorted(mine) == sorted(theirs)
        for name in mine:
            np.testing.assert_array_equal(theirs[name].asnumpy(), mine[name].asnumpy())


def test_load_params_and_symbol_none(tmp_path):
    prefix = str(tmp_path / "only")
    mx.model.save_checkpoint(prefix, 0, None, {"w": mx.nd.ones((2,))}, {})
    assert not (tmp_path / "only-symbol.json").exists()
    args, auxs = mx.model.load_params(prefix, 0)
    assert list(args) == ["w"] and auxs == {}


def test_load_params_rejects_unprefixed_keys(tmp_path):
    mx.nd.save(str(tmp_path / "bad-0001.params"), {"w": mx.nd.ones((2,))})
    with pytest.raises(mx.MXNetError, match="'arg:' or 'aux:'"):
        mx.model.load_params(str(tmp_path / "bad"), 1)


def test_save_checkpoint_type_errors(tmp_path):
    with pytest.raises(TypeError, match="arg_params"):
        mx.model.save_checkpoint(str(tmp_path / "x"), 1, None, [mx.nd.ones((1,))], {})


def test_batch_end_param_fields():
    param = mx.model.BatchEndParam(epoch=1, nbatch=2, eval_metric=None, locals={})
    assert param._fields == ("epoch", "nbatch", "eval_metric", "locals")
    assert mx.callback.BatchEndParam is mx.model.BatchEndParam
