"""Conformance cases for :mod:`mxcore.ops.indexing`."""

CASES: list = []
ERROR_CASES: list = []
