"""Conformance cases for :mod:`mxcore.ops.linalg`."""

CASES: list = []
ERROR_CASES: list = []
