"""Conformance cases for :mod:`mxcore.ops.reduce`."""

CASES: list = []
ERROR_CASES: list = []
