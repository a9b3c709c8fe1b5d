"""Conformance cases for :mod:`mxcore.ops.creation`."""

CASES: list = []
ERROR_CASES: list = []
