"""mx.nd.save / mx.nd.load (being written)."""

from ..base import MXNetError


def save(fname, data):
    raise MXNetError("save: not written yet")


def load(fname):
    raise MXNetError("load: not written yet")
