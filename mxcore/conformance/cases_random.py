"""Conformance cases for :mod:`mxcore.ops.random`."""

CASES: list = []
ERROR_CASES: list = []
