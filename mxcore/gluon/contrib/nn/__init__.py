"""``mx.gluon.contrib.nn``: contributed layers (``SparseEmbedding``)."""

from .sparse_layers import *  # noqa: F401,F403
