"""Conformance cases for :mod:`mxcore.ops.elemwise` (being written)."""

CASES: list = []
ERROR_CASES: list = []
