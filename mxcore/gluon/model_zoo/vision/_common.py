"""Pieces shared by the model-zoo architectures: the pretrained-weights guard, the
``features`` + ``output`` network layout, and a concatenating container (MXNet 1.x keeps it
in ``gluon.contrib.nn`` as HybridConcurrent)."""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from ....base import MXNetError
from ...block import HybridBlock
from ...nn import HybridSequential
from ...parameter import ParameterDict

DEFAULT_ROOT = os.path.join("~", ".mxnet", "models")


class PretrainedUnavailableError(MXNetError, RuntimeError):
    """``pretrained=True`` was asked for; mxcore ships no weights and downloads nothing."""


class FeaturesOutput(HybridBlock):
    """A network whose ``features`` block feeds its ``output`` classifier (the layout of
    every model-zoo architecture, so their parameter names match MXNet's)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def check_pretrained(model: str, pretrained: bool, root: str = DEFAULT_ROOT) -> None:
    """Raise :class:`PretrainedUnavailableError` when ``pretrained`` is set."""
    if pretrained:
        raise PretrainedUnavailableError(
            f"{model}: pretrained=True is not supported: mxcore downloads no model weights "
            f"(root={root!r} is not read). Build the network with pretrained=False and load "
            "a parameter file you have with net.load_parameters(path).")


def variant(name: str, doc: str, getter: Callable[..., Any], *args: Any,
            **fixed: Any) -> Callable[..., Any]:
    """The zoo constructor ``name(**kwargs)``: ``getter(*args, **kwargs)`` with the ``fixed``
    keyword arguments overriding the caller's; named and documented as a ``def`` would be."""

    def build(**kwargs: Any) -> Any:
        return getter(*args, **{**kwargs, **fixed})

    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    build.__module__ = getter.__module__
    return build


class HybridConcurrent(HybridSequential):
    """Runs every child on the same input and concatenates their outputs along ``axis``."""

    def __init__(self, axis: int = -1, prefix: Optional[str] = None,
                 params: Optional[ParameterDict] = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        outputs = [block(x) for block in self._children.values()]
        return F.concat(*outputs, dim=self.axis)
