"""Basic layers: Dense, Dropout, BatchNorm, InstanceNorm, LayerNorm, GroupNorm, Embedding
and Flatten, as in MXNet 1.x.

Layers whose input size is not given (``in_units=0``, ``in_channels=0``) create their
parameters with a 0 in the unknown dimension; ``infer_shape`` fills it from the first input
and the parameters are initialised then (deferred initialisation).
(``Sequential``, ``HybridSequential``, ``Lambda`` ... live in ``sequential.py``.)
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Union

import numpy as np

from ...base import MXNetValueError
from ..block import HybridBlock
from .activations import _make_activation

__all__ = ["Dense", "Dropout", "BatchNorm", "InstanceNorm", "LayerNorm", "GroupNorm",
           "Embedding", "Flatten"]

Init = Union[str, Any, None]


def _axis_size(block: HybridBlock, x: Any, axis: int) -> int:
    """``x.shape[axis]``, or an MXNetValueError naming the block when ``axis`` is invalid."""
    ndim = len(x.shape)
    if not -ndim <= axis < ndim:
        raise MXNetValueError(f"{block.name}: axis {axis} is out of range for input of shape "
                              f"{tuple(x.shape)}")
    return int(x.shape[axis])


def _kwargs_repr(kwargs: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


class Dense(HybridBlock):
    """Fully connected layer: ``activation(dot(x, weight.T) + bias)``.

    ``weight`` has shape ``(units, in_units)`` and ``bias`` ``(units,)``. With
    ``flatten=True`` every axis but the first is collapsed; otherwise the layer applies to
    the last axis. ``in_units=0`` infers the input size from the first input.

    Example::

        >>> layer = mx.gluon.nn.Dense(3, in_units=2)
        >>> layer.initialize(mx.init.One())
        >>> layer(mx.nd.ones((1, 2))).asnumpy().tolist()
        [[2.0, 2.0, 2.0]]
    """

    def __init__(self, units: int, activation: Optional[str] = None, use_bias: bool = True,
                 flatten: bool = True, dtype: Any = "float32", weight_initializer: Init = None,
                 bias_initializer: Init = "zeros", in_units: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            self.act = _make_activation(activation)

    def infer_shape(self, x: Any, *args: Any) -> None:
        shape = tuple(x.shape)
        if not shape:
            raise MXNetValueError(f"{self.name}: Dense needs at least 1-d input, got a 0-d array")
        in_units = math.prod(shape[1:]) if self._flatten else shape[-1]
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        out = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten)
        return out if self.act is None else self.act(out)

    def __repr__(self) -> str:
        shape = self.weight.shape
        act = self.act if self.act is not None else "linear"
        return f"{type(self).__name__}({shape[1] or None} -> {shape[0]}, {act})"


class Dropout(HybridBlock):
    """Sets a fraction ``rate`` of the input to zero in training (scaling the rest by
    ``1 / (1 - rate)``); the identity otherwise. ``axes`` share one mask value along them.

    Example::

        >>> mx.gluon.nn.Dropout(0.5)(mx.nd.ones((2,))).asnumpy().tolist()  # not training
        [1.0, 1.0]
    """

    def __init__(self, rate: float, axes: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes)
        return F.identity(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p = {self._rate}, axes={self._axes})"


class BatchNorm(HybridBlock):
    """Batch normalisation (Ioffe and Szegedy, 2015) over every axis but ``axis``.

    Parameters ``gamma``, ``beta``, ``running_mean`` and ``running_var``, each of shape
    ``(in_channels,)``. In training (``autograd.record()`` or ``autograd.train_mode()``) the
    batch statistics are used and the running statistics (``grad_req='null'``) are updated
    in place: ``running = momentum * running + (1 - momentum) * batch``. Otherwise, or
    with ``use_global_stats=True``, the running statistics are used.

    Example::

        >>> bn = mx.gluon.nn.BatchNorm()
        >>> bn.initialize()
        >>> bn(mx.nd.zeros((2, 3))).shape
        (2, 3)
    """

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Init = "zeros", gamma_initializer: Init = "ones",
                 running_mean_initializer: Init = "zeros",
                 running_variance_initializer: Init = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum,
                        "fix_gamma": not scale, "use_global_stats": use_global_stats}
        if in_channels != 0:
            self.in_channels = in_channels
        shape = (in_channels,)
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=shape, init=gamma_initializer,
                                     allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=shape, init=beta_initializer,
                                    allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get("running_mean", grad_req="null", shape=shape,
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get("running_var", grad_req="null", shape=shape,
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def cast(self, dtype: Any) -> None:
        """Cast the parameters; float16 becomes float32 (statistics need the range)."""
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def infer_shape(self, x: Any, *args: Any) -> None:
        channels = _axis_size(self, x, self._kwargs["axis"])
        for param in (self.gamma, self.beta, self.running_mean, self.running_var):
            param.shape = (channels,)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any,
                       running_var: Any) -> Any:
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, **self._kwargs)

    def __repr__(self) -> str:
        in_channels = self.gamma.shape[0]
        return (f"{type(self).__name__}({_kwargs_repr(self._kwargs)}, "
                f"in_channels={in_channels or None})")


class _ChannelNorm(HybridBlock):
    """Shared part of InstanceNorm and LayerNorm: gamma/beta of shape ``(in_channels,)``
    taken from ``x.shape[axis]`` when ``in_channels`` is 0."""

    def __init__(self, axis: int, epsilon: float, center: bool, scale: bool,
                 beta_initializer: Init, gamma_initializer: Init, in_channels: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)

    def infer_shape(self, x: Any, *args: Any) -> None:
        channels = _axis_size(self, x, self._axis)
        self.gamma.shape = (channels,)
        self.beta.shape = (channels,)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({_kwargs_repr(self._kwargs)}, "
                f"in_channels={self.gamma.shape[0]})")


class InstanceNorm(_ChannelNorm):
    """Instance normalisation (Ulyanov et al., 2016): each sample and channel ``axis`` is
    normalised over the remaining axes, then scaled by ``gamma`` and shifted by ``beta``.
    Note MXNet's default ``scale=False`` (gamma stays at its initial ones).

    Example::

        >>> layer = mx.gluon.nn.InstanceNorm()
        >>> layer.initialize()
        >>> layer(mx.nd.array([[[1.0, 3.0]]])).asnumpy().round(3).tolist()
        [[[-1.0, 1.0]]]
    """

    def __init__(self, axis: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = False, beta_initializer: Init = "zeros",
                 gamma_initializer: Init = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         in_channels, **kwargs)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, eps=self._epsilon)
        x = F.swapaxes(x, dim1=1, dim2=self._axis)
        out = F.InstanceNorm(x, gamma, beta, eps=self._epsilon)
        return F.swapaxes(out, dim1=1, dim2=self._axis)


class LayerNorm(_ChannelNorm):
    """Layer normalisation (Ba et al., 2016) over ``axis``, then ``gamma`` and ``beta``.

    Example::

        >>> layer = mx.gluon.nn.LayerNorm()
        >>> layer.initialize()
        >>> layer(mx.nd.array([[1.0, 3.0]])).asnumpy().round(3).tolist()
        [[-1.0, 1.0]]
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Init = "zeros",
                 gamma_initializer: Init = "ones", in_channels: int = 0,
                 prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         in_channels, prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        return F.LayerNorm(x, gamma, beta, axis=self._axis, eps=self._epsilon)


class GroupNorm(HybridBlock):
    """Group normalisation (Wu and He, 2018): the channels (axis 1) are split into
    ``num_groups`` groups, each normalised per sample; ``gamma``/``beta`` have shape
    ``(num_groups,)`` as in MXNet 1.x.

    Example::

        >>> layer = mx.gluon.nn.GroupNorm()
        >>> layer.initialize()
        >>> layer(mx.nd.array([[[1.0], [3.0]]])).asnumpy().round(3).tolist()
        [[[-1.0], [1.0]]]
    """

    def __init__(self, num_groups: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Init = "zeros",
                 gamma_initializer: Init = "ones", prefix: Optional[str] = None,
                 params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center,
                        "scale": scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(num_groups,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(num_groups,), init=beta_initializer,
                                    allow_deferred_init=True)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        return F.GroupNorm(x, gamma, beta, num_groups=self._num_groups, eps=self._epsilon)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_kwargs_repr(self._kwargs)})"


class Embedding(HybridBlock):
    """Maps integer indices to rows of ``weight`` (shape ``(input_dim, output_dim)``):
    input ``(d1, ..., dk)`` gives output ``(d1, ..., dk, output_dim)``.

    Example::

        >>> emb = mx.gluon.nn.Embedding(4, 2)
        >>> emb.initialize()
        >>> emb(mx.nd.array([0, 3])).shape
        (2, 2)
    """

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Init = None, sparse_grad: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        grad_stype = "row_sparse" if sparse_grad else "default"
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True, grad_stype=grad_stype)

    def hybrid_forward(self, F: Any, x: Any, weight: Any) -> Any:
        return F.Embedding(x, weight, **self._kwargs)

    def __repr__(self) -> str:
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"


class Flatten(HybridBlock):
    """Collapses every axis but the first: ``(N, d1, ..., dk)`` -> ``(N, d1 * ... * dk)``.

    Example::

        >>> mx.gluon.nn.Flatten()(mx.nd.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.Flatten(x)

    def __repr__(self) -> str:
        return type(self).__name__
