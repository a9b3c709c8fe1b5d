"""``gluon.data.vision``: datasets and transforms for images."""

from . import transforms  # noqa: F401
from .datasets import *  # noqa: F401,F403
