"""Conformance cases for :mod:`mxcore.ops.shape`."""

CASES: list = []
ERROR_CASES: list = []
