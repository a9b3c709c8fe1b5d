"""``mx.gluon.contrib``: experimental Gluon layers (MXNet 1.x ``gluon.contrib``)."""

from . import nn  # noqa: F401
