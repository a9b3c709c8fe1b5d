"""Conformance cases for :mod:`mxcore.ops.nn`."""

CASES: list = []
ERROR_CASES: list = []
