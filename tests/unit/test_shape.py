"""Shape and indexing operators beyond the conformance cases: MXNet's Reshape codes as a pure
function, call forms (positional, string parameters, fluent methods), multi-output ops,
parameter errors and higher-order gradients."""

from __future__ import annotations

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetTypeError, MXNetValueError
from mxcore.ops.shape import reshape_shape

RESHAPE_TABLE = [
    # MXNet 1.x's documented examples
    ((2, 3, 4), (4, 0, 2), False, (4, 3, 2)),
    ((2, 3, 4), (2, 0, 0), False, (2, 3, 4)),
    ((2, 3, 4), (6, 1, -1), False, (6, 1, 4)),
    ((2, 3, 4), (3, -1, 8), False, (3, 1, 8)),
    ((2, 3, 4), (-1,), False, (24,)),
    ((2, 3, 4), (-2,), False, (2, 3, 4)),
    ((2, 3, 4), (2, -2), False, (2, 3, 4)),
    ((2, 3, 4), (-2, 1, 1), False, (2, 3, 4, 1, 1)),
    ((2, 3, 4), (-3, 4), False, (6, 4)),
    ((2, 3, 4, 5), (-3, -3), False, (6, 20)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4), (-3, -2), False, (6, 4)),
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (2, -4, -1, 3, -2), False, (2, 1, 3, 4)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((0, 3), (-1, 3), False, (0, 3)),
]


@pytest.mark.parametrize("src,codes,reverse,want", RESHAPE_TABLE)
def test_reshape_shape_codes(src, codes, reverse, want):
    assert reshape_shape(src, codes, reverse) == want


@pytest.mark.parametrize("src,codes", [((2, 3), (4, -1)), ((2, 3), (-1, -1)),
                                       ((2, 0), (-1, 0)), ((2, 3), (-4, -1, -1)),
                                       ((2, 3), (0, 0, 0)), ((2, 3), (-6,))])
def test_reshape_shape_rejects_bad_codes(src, codes):
    with pytest.raises(ValueError):
        reshape_shape(src, codes)


def test_reshape_call_forms():
    x = mx.nd.array(np.arange(24).reshape(2, 3, 4))
    assert x.reshape(4, 6).shape == (4, 6)
    assert x.reshape((4, -1)).shape == (4, 6)
    assert x.reshape(shape=(-3, 0)).shape == (6, 4)
    assert x.reshape((-1, 0), reverse=True).shape == (6, 4)
    assert mx.nd.reshape(x, (0, -1)).shape == (2, 12)
    assert mx.nd.Reshape(x, shape="(-1, 2)").shape == (12, 2)
    np.testing.assert_array_equal(x.reshape(-1).asnumpy(), np.arange(24))


def test_reshape_result_does_not_alias_its_input():
    x = mx.nd.zeros((2, 2))
    y = x.reshape((4,))
    y[0] = 5.0
    assert x.asnumpy()[0, 0] == 0.0


def test_string_parameters_as_in_symbol_json():
    x = mx.nd.array(np.arange(12).reshape(3, 4))
    got = mx.nd.slice(x, begin="(1, None)", end="(None, 3)", step="(None, 2)")
    np.testing.assert_array_equal(got.asnumpy(), np.arange(12).reshape(3, 4)[1:, :3:2])
    assert mx.nd.transpose(x, axes="(1, 0)").shape == (4, 3)
    assert mx.nd.split(x, num_outputs="2", axis="1")[0].shape == (3, 2)


def test_split_returns_a_list_and_a_single_array_for_one_output():
    x = mx.nd.array(np.arange(12).reshape(3, 4))
    parts = mx.nd.split(x, num_outputs=2)
    assert isinstance(parts, list) and [p.shape for p in parts] == [(3, 2), (3, 2)]
    assert isinstance(mx.nd.SliceChannel(x, num_outputs=1), mx.nd.NDArray)


def test_split_gradient_with_an_unused_output():
    x = mx.nd.array(np.arange(6.0).reshape(2, 3))
    x.attach_grad()
    with mx.autograd.record():
        a, b, c = mx.nd.split(x, num_outputs=3, axis=1)
        y = b * 2.0
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 2, 0], [0, 2, 0]])


def test_concat_and_stack_accept_a_list_and_num_args():
    a, b = mx.nd.ones((2, 2)), mx.nd.zeros((2, 2))
    assert mx.nd.concat(a, b, dim=0).shape == (4, 2)
    assert mx.nd.concat([a, b], dim=1).shape == (2, 4)
    assert mx.nd.stack(a, b, axis=1, num_args=2).shape == (2, 2, 2)


def test_multi_output_topk_and_both_gradient():
    x = mx.nd.array([[1.0, 4.0, 2.0], [3.0, 0.0, 5.0]])
    x.attach_grad()
    with mx.autograd.record():
        values, indices = mx.nd.topk(x, k=2, ret_typ="both")
        y = values * mx.nd.array([[1.0, 10.0], [1.0, 10.0]])
    y.backward()
    np.testing.assert_array_equal(indices.asnumpy(), [[1, 2], [2, 0]])
    assert indices.dtype == np.float32
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 1, 10], [10, 0, 1]])


def test_fluent_methods_reach_the_ops():
    x = mx.nd.array(np.arange(6.0).reshape(2, 3))
    assert x.flatten().shape == (2, 3)
    assert x.expand_dims(0).shape == (1, 2, 3)
    assert x.swapaxes(0, 1).shape == (3, 2)
    assert x.slice_axis(axis=1, begin=1, end=None).shape == (2, 2)
    assert x.tile((2,)).shape == (2, 6)
    np.testing.assert_array_equal(x.take(mx.nd.array([1])).asnumpy(), [[3, 4, 5]])
    np.testing.assert_array_equal(x.pick(mx.nd.array([2, 0])).asnumpy(), [2, 3])
    np.testing.assert_array_equal(x.clip(1, 4).asnumpy(), [[1, 1, 2], [3, 4, 4]])
    assert x.T.shape == (3, 2)


@pytest.mark.parametrize("call,error", [
    (lambda x: mx.nd.expand_dims(x, axis="x"), MXNetTypeError),
    (lambda x: mx.nd.pad(x, mode="wrap", pad_width=(0, 0, 1, 1)), MXNetValueError),
    (lambda x: mx.nd.take(x, x, mode="nearest"), MXNetValueError),
    (lambda x: mx.nd.topk(x, ret_typ="values"), MXNetValueError),
    (lambda x: mx.nd.one_hot(x), MXNetValueError),
    (lambda x: mx.nd.Embedding(x, x, output_dim=3), MXNetValueError),
    (lambda x: mx.nd.clip(x, a_max=1.0), MXNetValueError),
    (lambda x: mx.nd.reshape(x, shape=(2, 3), bogus=1), MXNetValueError),
])
def test_parameter_errors_name_the_op(call, error):
    with pytest.raises(error) as info:
        call(mx.nd.zeros((2, 3)))
    assert str(info.value).split(":")[0] in {"expand_dims", "Pad", "take", "topk",
                                             "one_hot", "Embedding", "clip", "Reshape"}


def test_second_order_gradient_through_slice_and_take():
    x = mx.nd.array([1.0, 2.0, 3.0], dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.slice(x, begin=(1,), end=(None,)) ** 3
        (g,) = mx.autograd.grad(y, [x], create_graph=True)
        z = mx.nd.take(g, mx.nd.array([2, 2]))
    z.backward()
    # g = 3 x^2 on x[1:], z sums g[2] twice -> dz/dx[2] = 2 * 6 x[2]
    np.testing.assert_allclose(x.grad.asnumpy(), [0.0, 0.0, 36.0])


def test_broadcast_to_gradient_sums_repeated_axes():
    x = mx.nd.array([[1.0], [2.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.broadcast_to(x, shape=(3, 0, 4))
    y.backward()
    assert y.shape == (3, 2, 4)
    np.testing.assert_array_equal(x.grad.asnumpy(), [[12.0], [12.0]])


def test_where_with_one_dim_condition_routes_gradients():
    c = mx.nd.array([1.0, 0.0])
    x = mx.nd.ones((2, 2))
    y = mx.nd.zeros((2, 2))
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        out = mx.nd.where(c, x, y)
    out.backward()
    np.testing.assert_array_equal(out.asnumpy(), [[1, 1], [0, 0]])
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 1], [0, 0]])
    np.testing.assert_array_equal(y.grad.asnumpy(), [[0, 0], [1, 1]])


def test_index_dtypes_of_shape_and_sort_helpers():
    x = mx.nd.zeros((2, 3))
    assert mx.nd.shape_array(x).dtype == np.int64
    assert mx.nd.size_array(x).asnumpy().tolist() == [6]
    assert mx.nd.argsort(x, dtype="int32").dtype == np.int32
    assert mx.nd.one_hot(mx.nd.array([1]), depth=2, dtype="uint8").dtype == np.uint8
