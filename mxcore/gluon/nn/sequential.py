"""Containers and wrappers: Sequential, HybridSequential, Lambda, HybridLambda, Identity."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

from ... import ndarray as nd
from ...base import MXNetTypeError, MXNetValueError
from ..block import Block, HybridBlock, _indent
from ..parameter import ParameterDict

__all__ = ["Sequential", "HybridSequential", "Lambda", "HybridLambda", "Identity"]


def _run_chain(children: Any, x: Any, args: tuple) -> Any:
    """Feed ``x`` through ``children``; a list/tuple output spreads over the next inputs."""
    for block in children:
        x = block(x, *args)
        args = ()
        if isinstance(x, (tuple, list)):
            args = tuple(x[1:])
            x = x[0]
    if args:
        return (x,) + args
    return x


def _chain_repr(block: Block) -> str:
    lines = [f"  ({key}): {_indent(repr(child), 2)}" for key, child in block._children.items()]
    return f"{type(block).__name__}(\n" + "\n".join(lines) + "\n)"


class _ChainMixin:
    """``add``, indexing and ``len`` shared by the two sequential containers."""

    _children: Any
    _prefix: str

    def add(self, *blocks: Block) -> None:
        """Append ``blocks`` in order."""
        for block in blocks:
            self.register_child(block)  # type: ignore[attr-defined]

    def __getitem__(self, key: Union[int, slice]) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)  # type: ignore[call-arg]
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)

    def __repr__(self) -> str:
        return _chain_repr(self)  # type: ignore[arg-type]


class Sequential(_ChainMixin, Block):
    """Stacks Blocks: each one's output is the next one's input.

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.nn.Sequential()
        >>> net.add(mx.gluon.nn.Lambda(lambda x: x + 1), mx.gluon.nn.Lambda("sqrt"))
        >>> net(mx.nd.array([3, 8])).asnumpy()
        array([2., 3.], dtype=float32)
    """

    def __init__(self, prefix: Optional[str] = None,
                 params: Optional[ParameterDict] = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def forward(self, x: Any, *args: Any) -> Any:
        return _run_chain(self._children.values(), x, args)


class HybridSequential(_ChainMixin, HybridBlock):
    """Stacks HybridBlocks (a HybridBlock itself).

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.nn.HybridSequential()
        >>> net.add(mx.gluon.nn.Identity(), mx.gluon.nn.HybridLambda("relu"))
        >>> net(mx.nd.array([-1, 2])).asnumpy()
        array([0., 2.], dtype=float32)
    """

    def __init__(self, prefix: Optional[str] = None,
                 params: Optional[ParameterDict] = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return _run_chain(self._children.values(), x, args)


def _function_name(function: Any) -> str:
    return getattr(function, "__name__", type(function).__name__)


class Lambda(Block):
    """Wraps a function (or the name of an ``mx.nd`` function) as a Block.

    Example::

        >>> import mxcore as mx
        >>> mx.gluon.nn.Lambda(lambda x: x * 2)(mx.nd.array([1])).asnumpy()
        array([2.], dtype=float32)
    """

    def __init__(self, function: Union[str, Callable[..., Any]],
                 prefix: Optional[str] = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise MXNetValueError(f"Lambda: function name {function!r} is not found in "
                                      "mx.nd")
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise MXNetTypeError(f"Lambda: unrecognized function {function!r} of type "
                                 f"{type(function).__name__}")

    def forward(self, *args: Any) -> Any:
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_function_name(self._func_impl)})"


class HybridLambda(HybridBlock):
    """Wraps ``function(F, x, *args)`` (or the name of an ``F`` function) as a HybridBlock.

    Example::

        >>> import mxcore as mx
        >>> blk = mx.gluon.nn.HybridLambda(lambda F, x: F.relu(x))
        >>> blk(mx.nd.array([-1, 1])).asnumpy()
        array([0., 1.], dtype=float32)
    """

    def __init__(self, function: Union[str, Callable[..., Any]],
                 prefix: Optional[str] = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise MXNetValueError(f"HybridLambda: function name {function!r} is not found "
                                      "in mx.nd")
            name = function

            def call_by_name(F: Any, *args: Any) -> Any:
                return getattr(F, name)(*args)

            self._func = call_by_name
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = _function_name(function)
        else:
            raise MXNetTypeError(f"HybridLambda: unrecognized function {function!r} of type "
                                 f"{type(function).__name__}")

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_name})"


class Identity(HybridBlock):
    """Returns its input unchanged (useful as a placeholder branch).

    Example::

        >>> import mxcore as mx
        >>> mx.gluon.nn.Identity()(mx.nd.array([1, 2])).asnumpy()
        array([1., 2.], dtype=float32)
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x
