"""mxcore.test_utils: comparisons, random data, numeric gradients, consistency checks."""

import numpy as np
import pytest

import mxcore as mx
from mxcore import test_utils as tu


class _WrongSquare(mx.autograd.Function):
    """x*x with a wrong gradient (x instead of 2x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved_tensors
        return dy * x


def test_assert_almost_equal_within_and_beyond_tolerance():
    a = np.array([1.0, 2.0, 3.0])
    tu.assert_almost_equal(a, a + 1e-7, rtol=1e-5, atol=0)
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(a, a + np.array([0, 0, 1e-2]), rtol=1e-5, atol=0,
                               names=("got", "want"))
    msg = str(info.value)
    assert "got" in msg and "want" in msg and "(2,)" in msg and "1 of 3" in msg


def test_assert_almost_equal_accepts_ndarrays_and_default_tolerances_follow_dtype():
    x = mx.nd.array([1.0, 2.0], dtype="float16")
    tu.assert_almost_equal(x, np.array([1.004, 2.0]))  # float16 default rtol 1e-2
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(np.array([1.0], np.float64), np.array([1.004], np.float64))


def test_nan_handling():
    a = np.array([1.0, np.nan])
    tu.assert_almost_equal(a, a.copy(), equal_nan=True)
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(a, a.copy())
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(a, np.array([1.0, 2.0]), equal_nan=True)
    tu.assert_almost_equal_ignore_nan(a, np.array([1.0, 5.0]))


def test_infinities_must_match():
    tu.assert_almost_equal(np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf]))
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(np.array([np.inf]), np.array([-np.inf]))


def test_shapes_and_broadcast():
    tu.assert_almost_equal(np.ones((2, 3)), np.ones((1, 3)))
    with pytest.raises(AssertionError, match="shape"):
        tu.assert_almost_equal(np.ones((2, 3)), np.ones((1, 3)), use_broadcast=False)
    with pytest.raises(AssertionError, match="broadcast"):
        tu.assert_almost_equal(np.ones((2, 3)), np.ones((4,)))
    assert not tu.almost_equal(np.ones((2, 3)), np.ones((4,)))


def test_almost_equal_and_same_and_allclose():
    assert tu.almost_equal(np.array([1.0]), np.array([1.0 + 1e-9]))
    assert not tu.almost_equal(np.array([1.0]), np.array([1.1]))
    assert tu.same(mx.nd.array([1, 2]), np.array([1, 2]))
    assert not tu.same(np.array([1, 2]), np.array([1, 3]))
    tu.assert_allclose(np.array([1.0]), np.array([1.0]))
    with pytest.raises(AssertionError, match="context"):
        tu.assert_allclose(np.array([1.0]), np.array([1.001]), err_msg="context")
    with pytest.raises(AssertionError):
        tu.assert_allclose(np.ones((1, 2)), np.ones((2,)))


def test_default_context_roundtrip():
    assert tu.default_context() == mx.current_context()
    try:
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1)
    finally:
        tu.set_default_context(None)
    assert tu.default_context() == mx.current_context()


def test_random_shapes_and_arrays():
    np.random.seed(0)
    for _ in range(20):
        s2, s3, sn = tu.rand_shape_2d(3, 4), tu.rand_shape_3d(2, 2, 5), tu.rand_shape_nd(4, 2)
        assert 1 <= s2[0] <= 3 and 1 <= s2[1] <= 4
        assert len(s3) == 3 and all(1 <= d for d in s3) and s3[2] <= 5
        assert len(sn) == 4 and all(1 <= d <= 2 for d in sn)
    one = tu.random_arrays((2, 3))
    assert isinstance(one, np.ndarray) and one.shape == (2, 3) and one.dtype == np.float32
    many = tu.random_arrays((1,), (2, 2))
    assert [m.shape for m in many] == [(1,), (2, 2)]


def test_rand_ndarray():
    x = tu.rand_ndarray((3, 4), dtype="float64")
    assert x.shape == (3, 4) and x.dtype == np.float64
    values = x.asnumpy()
    assert values.min() >= -1 and values.max() < 1
    assert not tu.rand_ndarray((5, 5), density=0.0).asnumpy().any()
    assert tu.rand_ndarray((2,)).dtype == np.float32


def test_numeric_grad_of_a_simple_function():
    x = np.array([1.0, -2.0, 3.0])
    (g,) = tu.numeric_grad(lambda arrs: float(np.sum(arrs[0] ** 3)), [x], eps=1e-5)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-6)
    assert tu.numeric_grad(lambda arrs: 0.0, [x, x], grad_nodes=[1])[0] is None


def test_check_numeric_gradient_passes_for_correct_gradients():
    np.random.seed(1)
    tu.check_numeric_gradient(lambda x: mx.nd.exp(x) * x, [np.random.rand(2, 3)],
                              dtype=np.float64, numeric_eps=1e-6, rtol=1e-5, atol=1e-7)
    tu.check_numeric_gradient(lambda a, b: a * b + a,
                              {"a": np.random.rand(3), "b": np.random.rand(3)})


def test_check_numeric_gradient_catches_a_wrong_gradient():
    with pytest.raises(AssertionError, match="NUMERICAL_x"):
        tu.check_numeric_gradient(lambda x: _WrongSquare()(x), [np.array([1.0, 2.0])],
                                  dtype=np.float64)


def test_check_numeric_gradient_rejects_non_functions():
    with pytest.raises(mx.MXNetError):
        tu.check_numeric_gradient(object(), [np.ones(2)])


def test_assert_exception():
    exc = tu.assert_exception(mx.nd.array, mx.MXNetError, "not a number")
    assert isinstance(exc, mx.MXNetError)
    with pytest.raises(AssertionError):
        tu.assert_exception(lambda: None, ValueError)


def test_check_consistency_across_dtypes():
    outs = tu.check_consistency(
        lambda data: data * 2 + 1,
        [{"ctx": mx.cpu(0), "data": (2, 3), "type_dict": {"data": np.float32}},
         {"ctx": mx.cpu(0), "data": (2, 3), "type_dict": {"data": np.float64}}])
    assert len(outs) == 2 and outs[0][0].shape == (2, 3)


def test_check_consistency_detects_a_difference():
    def depends_on_dtype(data):
        return data * (2.0 if data.dtype == np.float32 else 1.0)

    entries = [{"ctx": mx.cpu(0), "data": (3,), "type_dict": {"data": np.float32}},
               {"ctx": mx.cpu(0), "data": (3,), "type_dict": {"data": np.float64}}]
    with pytest.raises(AssertionError):
        tu.check_consistency(depends_on_dtype, entries, arg_params={"data": np.ones(3)})
    tu.check_consistency(depends_on_dtype, entries, arg_params={"data": np.ones(3)},
                         raise_on_err=False)
