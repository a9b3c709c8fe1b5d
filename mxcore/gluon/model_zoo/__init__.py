"""``gluon.model_zoo``: ready-made model definitions (no pretrained weights are downloaded)."""

from . import vision  # noqa: F401
