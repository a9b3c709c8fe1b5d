"""mx.sym.random (mxcore/symbol/random.py): the mx.nd.random functions over Symbols."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import gluon


def test_numbers_give_random_nodes_and_symbols_give_sample_nodes():
    fixed = mx.sym.random.uniform(-1, 1, shape=(3, 4), name="u")
    assert fixed.infer_shape()[1] == [(3, 4)]
    values = fixed.eval(mx.cpu())[0].asnumpy()
    assert values.shape == (3, 4) and np.all((-1 <= values) & (values < 1))
    mu, sd = mx.sym.Variable("mu"), mx.sym.Variable("sd")
    per_element = mx.sym.random.normal(mu, sd, shape=(500,))
    assert per_element.list_arguments() == ["mu", "sd"]
    assert per_element.infer_shape(mu=(2,), sd=(2,))[1] == [(2, 500)]
    out = per_element.eval(mx.cpu(), mu=mx.nd.array([0, 100]), sd=mx.nd.array([1, 2]))[0]
    np.testing.assert_allclose(out.asnumpy().mean(axis=1), [0, 100], atol=0.5)


def test_like_functions_and_errors():
    x = mx.sym.Variable("x")
    like = mx.sym.random.uniform_like(x, low=2, high=3)
    out = like.eval(mx.cpu(), x=mx.nd.zeros((2, 5)))[0].asnumpy()
    assert out.shape == (2, 5) and np.all((2 <= out) & (out < 3))
    with pytest.raises(TypeError, match="all be Symbols or all numbers"):
        mx.sym.random.normal(x, 1.0)
    with pytest.raises(TypeError, match="out= is not supported"):
        mx.sym.random.uniform(0, 1, shape=(2,), out=x)


def test_a_hybrid_block_using_f_random_traces():
    class Noisy(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x + F.random.normal(0, 1e-3, shape=(2, 3))

    block = Noisy()
    block.hybridize()
    out = block(mx.nd.ones((2, 3)))
    assert block._trace_error is None, repr(block._trace_error)
    np.testing.assert_allclose(out.asnumpy(), np.ones((2, 3)), atol=1e-2)
    assert not np.allclose(block(mx.nd.ones((2, 3))).asnumpy(), out.asnumpy())


def test_op_namespaces_in_nd_and_sym():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    got = mx.nd.linalg.gemm2(mx.nd.array(a), mx.nd.array(b), alpha=2.0).asnumpy()
    np.testing.assert_allclose(got, 2 * a @ b)
    assert mx.nd.contrib.ctc_loss is mx.nd._contrib_ctc_loss
    node = mx.sym.linalg.gemm2(mx.sym.Variable("a"), mx.sym.Variable("b"))
    assert node.infer_shape(a=(2, 3), b=(3, 4))[1] == [(2, 4)]
