"""Model parallelism: ``group2ctx`` places nodes on contexts; copies cross between them."""

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError

DEV1, DEV2 = mx.cpu(0), mx.cpu(1)
G2C = {"dev1": DEV1, "dev2": DEV2}


def _mlp(batchnorm=False):
    data = mx.sym.Variable("data")
    with mx.AttrScope(ctx_group="dev1"):
        fc1 = mx.sym.FullyConnected(data, num_hidden=8, name="fc1")
        act = mx.sym.Activation(fc1, act_type="tanh", name="act1")
    with mx.AttrScope(ctx_group="dev2"):
        fc2 = mx.sym.FullyConnected(act, num_hidden=3, name="fc2")
        if batchnorm:
            fc2 = mx.sym.BatchNorm(fc2, name="bn")
        out = mx.sym.SoftmaxOutput(fc2, name="softmax")
    return out


def _values(exe, seed=0):
    rng = np.random.RandomState(seed)
    vals = {}
    for name, arr in exe.arg_dict.items():
        if name == "softmax_label":
            vals[name] = np.array([0, 2, 1, 1], dtype=np.float32)
        else:
            vals[name] = rng.uniform(-1, 1, arr.shape).astype(np.float32)
    return vals


def _run(exe, vals):
    for name, value in vals.items():
        exe.arg_dict[name][:] = mx.nd.array(value, ctx=exe.arg_dict[name].context)
    out = exe.forward(is_train=True)[0].asnumpy()
    exe.backward()
    return out, {k: g.asnumpy() for k, g in exe.grad_dict.items()}


@pytest.mark.parametrize("batchnorm", [False, True])
def test_simple_bind_split_matches_one_device(batchnorm):
    sym = _mlp(batchnorm)
    split = sym.simple_bind(DEV1, data=(4, 5), group2ctx=G2C)
    single = sym.simple_bind(DEV1, data=(4, 5))
    vals = _values(single)
    out_s, grads_s = _run(split, vals)
    out_1, grads_1 = _run(single, vals)
    np.testing.assert_allclose(out_s, out_1, rtol=1e-6, atol=1e-7)
    assert set(grads_s) == set(grads_1)
    for name in grads_1:
        np.testing.assert_allclose(grads_s[name], grads_1[name], rtol=1e-5, atol=1e-7)
    assert np.abs(grads_s["fc1_weight"]).sum() > 0  # the gradient crossed the copy back
    for name in split.aux_dict:
        np.testing.assert_allclose(split.aux_dict[name].asnumpy(),
                                   single.aux_dict[name].asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(split.forward()[0].asnumpy(), single.forward()[0].asnumpy(),
                               rtol=1e-6, atol=1e-7)


def test_arrays_live_on_their_group_context():
    exe = _mlp(batchnorm=True).simple_bind(DEV1, data=(4, 5), group2ctx=G2C)
    where = {n: a.context for n, a in exe.arg_dict.items()}
    assert where["data"] is DEV1  # no group: the default context
    assert where["fc1_weight"] is DEV1 and where["fc1_bias"] is DEV1
    assert where["fc2_weight"] is DEV2 and where["softmax_label"] is DEV2
    assert all(g.context is exe.arg_dict[n].context for n, g in exe.grad_dict.items())
    assert all(a.context is DEV2 for a in exe.aux_arrays)
    exe.forward(is_train=True)
    assert exe.outputs[0].context is DEV2
    steps = exe._program.steps
    copies = [s for s in steps if s.op.name == "_CrossDeviceCopy"]
    assert [(c.op.src, c.op.dst) for c in copies] == [(DEV1, DEV2)]
    assert {s.name: s.ctx for s in steps}["fc1"] is DEV1
    assert {s.name: s.ctx for s in steps}["fc2"] is DEV2
    assert "_CrossDeviceCopy" in exe.debug_str()


def test_without_group2ctx_everything_on_default():
    exe = _mlp().simple_bind(DEV2, data=(4, 5))
    assert all(a.context is DEV2 for a in exe.arg_arrays)
    assert not [s for s in exe._program.steps if s.op.name == "_CrossDeviceCopy"]


def test_bind_uses_the_arrays_contexts_and_placement():
    sym = _mlp()
    shapes, _, _ = sym.infer_shape(data=(4, 5))
    names = sym.list_arguments()
    rng = np.random.RandomState(1)
    vals = {n: rng.uniform(-1, 1, s).astype(np.float32) for n, s in zip(names, shapes)}
    vals["softmax_label"] = np.array([0, 2, 1, 1], dtype=np.float32)
    homes = {"data": DEV2, "fc1_weight": DEV1, "fc1_bias": DEV2, "fc2_weight": DEV1,
             "fc2_bias": DEV2, "softmax_label": DEV1}  # deliberately mixed
    args = {n: mx.nd.array(v, ctx=homes[n]) for n, v in vals.items()}
    grads = {n: mx.nd.zeros(v.shape, ctx=homes[n]) for n, v in vals.items()
             if n != "softmax_label"}
    exe = sym.bind(DEV1, args, args_grad=grads, group2ctx=G2C)
    exe.forward(is_train=True)
    exe.backward()
    ref = sym.simple_bind(DEV1, data=(4, 5))
    _, ref_grads = _run(ref, vals)
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), ref.outputs[0].asnumpy(), rtol=1e-6)
    for name, grad in grads.items():
        assert grad.context is homes[name]
        np.testing.assert_allclose(grad.asnumpy(), ref_grads[name], rtol=1e-5, atol=1e-7)
    assert {s.name: s.ctx for s in exe._program.steps}["fc2"] is DEV2


def test_batchnorm_aux_on_another_context_is_updated():
    data = mx.sym.Variable("data")
    with mx.AttrScope(ctx_group="dev2"):
        out = mx.sym.BatchNorm(data, name="bn")
    aux = {"bn_moving_mean": mx.nd.zeros((3,), ctx=DEV1),
           "bn_moving_var": mx.nd.ones((3,), ctx=DEV1)}
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    args = {"data": mx.nd.array(x), "bn_gamma": mx.nd.ones((3,)), "bn_beta": mx.nd.zeros((3,))}
    exe = out.bind(DEV1, args, aux_states=aux, group2ctx=G2C)
    exe.forward(is_train=True)
    assert aux["bn_moving_mean"].context is DEV1
    np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), 0.1 * x.mean(0), rtol=1e-5)
    exe.forward(is_train=False)  # inference does not move the statistics
    np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), 0.1 * x.mean(0), rtol=1e-5)


def test_ungrouped_op_follows_its_input():
    data = mx.sym.Variable("data")
    with mx.AttrScope(ctx_group="dev2"):
        fc = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    out = mx.sym.relu(fc, name="post")  # no group: takes its input's context
    exe = out.simple_bind(DEV1, data=(2, 3), group2ctx=G2C)
    assert {s.name: s.ctx for s in exe._program.steps}["post"] is DEV2
    assert exe.forward()[0].context is DEV2


def test_unknown_group_and_bad_group2ctx_raise():
    with pytest.raises(MXNetError, match="dev2"):
        _mlp().simple_bind(DEV1, data=(4, 5), group2ctx={"dev1": DEV1})
    with pytest.raises(MXNetError, match="Context"):
        _mlp().simple_bind(DEV1, data=(4, 5), group2ctx={"dev1": "cpu"})


def test_module_group2ctxs_matches_single_device_training():
    rng = np.random.RandomState(2)
    x = rng.uniform(-1, 1, (8, 5)).astype(np.float32)
    y = rng.randint(0, 3, (8,)).astype(np.float32)
    mods = []
    for group2ctxs in (None, G2C):
        mod = mx.mod.Module(_mlp(batchnorm=True), context=DEV1, group2ctxs=group2ctxs)
        mod.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])
        mx.random.seed(3)
        mod.init_params(mx.init.Xavier())
        mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5,
                                                              "momentum": 0.9})
        mods.append(mod)
    single, split = mods
    split.set_params(*single.get_params())
    exe = split._exec_group.execs[0]
    assert exe.arg_dict["fc2_weight"].context is DEV2
    assert exe.arg_dict["fc1_weight"].context is DEV1
    for step in range(3):
        sl = slice(4 * (step % 2), 4 * (step % 2) + 4)
        batch = mx.io.DataBatch([mx.nd.array(x[sl])], [mx.nd.array(y[sl])])
        for mod in mods:
            mod.forward(batch, is_train=True)
            mod.backward()
            mod.update()
        np.testing.assert_allclose(split.get_outputs()[0].asnumpy(),
                                   single.get_outputs()[0].asnumpy(), rtol=1e-5, atol=1e-6)
    args_1, aux_1 = single.get_params()
    args_s, aux_s = split.get_params()
    for name in args_1:
        np.testing.assert_allclose(args_s[name].asnumpy(), args_1[name].asnumpy(),
                                   rtol=1e-5, atol=1e-6)
    for name in aux_1:
        np.testing.assert_allclose(aux_s[name].asnumpy(), aux_1[name].asnumpy(), rtol=1e-5)
    assert exe.arg_dict["fc2_weight"].context is DEV2  # updates stayed on the device


def test_module_group2ctxs_list_per_context():
    mod = mx.mod.Module(_mlp(), context=[DEV1, DEV2],
                        group2ctxs={"dev1": [DEV1, DEV2], "dev2": DEV2})
    mod.bind(data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])
    first, second = mod._exec_group.execs
    assert first.arg_dict["fc1_weight"].context is DEV1
    assert second.arg_dict["fc1_weight"].context is DEV2
    assert first.arg_dict["fc2_weight"].context is DEV2
    with pytest.raises(MXNetError, match="group2ctxs"):
        mx.mod.Module(_mlp(), context=[DEV1, DEV2], group2ctxs=[G2C]).bind(
            data_shapes=[("data", (4, 5))], label_shapes=[("softmax_label", (4,))])
