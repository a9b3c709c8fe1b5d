"""AlexNet (Krizhevsky et al. 2012), the single-tower variant of MXNet's model zoo."""

from __future__ import annotations

from typing import Any, Optional

from ....context import Context
from ... import nn
from ._common import DEFAULT_ROOT, FeaturesOutput, check_pretrained

__all__ = ["AlexNet", "alexnet"]


class AlexNet(FeaturesOutput):
    """Five convolutions and three max pools, then two 4096-unit dense layers with dropout.

    Inputs need a side of at least 63 (224 for the original geometry).

    Example::

        >>> import mxcore as mx
        >>> net = mx.gluon.model_zoo.vision.alexnet(classes=10)
        >>> net.initialize()
        >>> net(mx.nd.ones((1, 3, 64, 64))).shape
        (1, 10)
    """

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                self.features.add(nn.Conv2D(64, kernel_size=11, strides=4, padding=2,
                                            activation="relu"))
                self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
                self.features.add(nn.Conv2D(192, kernel_size=5, padding=2, activation="relu"))
                self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
                self.features.add(nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"))
                self.features.add(nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"))
                self.features.add(nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"))
                self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
                self.features.add(nn.Flatten())
                for _ in range(2):
                    self.features.add(nn.Dense(4096, activation="relu"))
                    self.features.add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)


def alexnet(pretrained: bool = False, ctx: Optional[Context] = None, root: str = DEFAULT_ROOT,
            **kwargs: Any) -> AlexNet:
    """AlexNet; ``pretrained=True`` raises (no weights are downloaded)."""
    check_pretrained("alexnet", pretrained, root)
    del ctx
    return AlexNet(**kwargs)
