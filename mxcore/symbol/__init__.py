"""``mx.sym``: symbolic graphs built from the same op declarations as ``mx.nd``."""

from .symbol import *  # noqa: F401,F403
