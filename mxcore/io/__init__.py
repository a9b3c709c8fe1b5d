"""``mx.io``: data iterators and batches."""

from .io import *  # noqa: F401,F403
