"""``gluon.model_zoo.vision``: standard image-classification architectures."""

from .models import *  # noqa: F401,F403
