"""Activation layers: Activation, LeakyReLU, PReLU, ELU, SELU, GELU, Swish.

Each is a HybridBlock whose ``hybrid_forward`` calls one operator through ``F`` (``mx.nd``
when run eagerly), as in MXNet 1.x.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from ... import initializer
from ...base import MXNetValueError
from ..block import HybridBlock

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish"]


class Activation(HybridBlock):
    """Applies an element-wise activation: 'relu', 'sigmoid', 'tanh', 'softrelu' or
    'softsign' (see ``mx.nd.Activation``).

    Example::

        >>> act = mx.gluon.nn.Activation('relu')
        >>> act(mx.nd.array([-1.0, 2.0])).asnumpy().tolist()
        [0.0, 2.0]
    """

    def __init__(self, activation: str, **kwargs: Any) -> None:
        if not isinstance(activation, str):
            raise MXNetValueError(f"Activation: activation must be a string such as 'relu', "
                                  f"got {activation!r}")
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self) -> str:
        return self._act_type

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.Activation(x, act_type=self._act_type)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """Leaky rectifier: ``x`` for ``x > 0``, else ``alpha * x``.

    Example::

        >>> mx.gluon.nn.LeakyReLU(0.1)(mx.nd.array([-1.0, 2.0])).asnumpy().tolist()
        [-0.10000000149011612, 2.0]
    """

    def __init__(self, alpha: float, **kwargs: Any) -> None:
        if alpha < 0:
            raise MXNetValueError(f"LeakyReLU: the slope alpha must be >= 0, got {alpha}")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._alpha})"


class PReLU(HybridBlock):
    """Parametric leaky rectifier: the negative slope ``alpha`` is learned, one value per
    channel (axis 1) or one shared value (``in_channels=1``). Parameter: ``alpha``,
    initialised by ``alpha_initializer`` (default ``mx.init.Constant(0.25)``).

    Example::

        >>> prelu = mx.gluon.nn.PReLU()
        >>> prelu.initialize()
        >>> prelu(mx.nd.array([[-4.0, 2.0]])).asnumpy().tolist()
        [[-1.0, 2.0]]
    """

    def __init__(self, alpha_initializer: Union[str, Any, None] = None, in_channels: int = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if alpha_initializer is None:  # MXNet's default, built here so import needs no init
            alpha_initializer = initializer.Constant(0.25)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F: Any, x: Any, alpha: Any) -> Any:
        return F.LeakyReLU(x, alpha, act_type="prelu")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ELU(HybridBlock):
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Example::

        >>> mx.gluon.nn.ELU()(mx.nd.array([0.0, 1.0])).asnumpy().tolist()
        [0.0, 1.0]
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="elu", slope=self._alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._alpha})"


class SELU(HybridBlock):
    """Scaled exponential linear unit (Klambauer et al., 2017).

    Example::

        >>> mx.gluon.nn.SELU()(mx.nd.array([0.0])).asnumpy().tolist()
        [0.0]
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="selu")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class GELU(HybridBlock):
    """Gaussian error linear unit, ``x * Phi(x)`` with the exact (erf) normal CDF.

    Example::

        >>> mx.gluon.nn.GELU()(mx.nd.array([0.0])).asnumpy().tolist()
        [0.0]
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.LeakyReLU(x, act_type="gelu")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Swish(HybridBlock):
    """Swish: ``x * sigmoid(beta * x)`` (Ramachandran et al., 2017).

    Example::

        >>> mx.gluon.nn.Swish()(mx.nd.array([0.0])).asnumpy().tolist()
        [0.0]
    """

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x * F.sigmoid(x * self._beta)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._beta})"


def _make_activation(activation: Optional[str]) -> Optional[Activation]:
    """The Activation child a Dense/Conv layer creates (prefixed ``<act>_``), or None."""
    if activation is None:
        return None
    return Activation(activation, prefix=activation + "_")
