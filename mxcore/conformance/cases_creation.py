"""Conformance cases for :mod:`mxcore.ops.creation` (ops with no array inputs; the runner
passes the dtype under test as ``dtype=``)."""

from __future__ import annotations

import numpy as np

from .case import ALL_DTYPES, FLOATS, SIGNED, Case, ErrorCase

CASES = [
    Case("_zeros", [], lambda shape, dtype: np.zeros(shape), {"shape": (2, 3)},
         dtypes=ALL_DTYPES, grad=False),
    Case("_zeros", [], lambda shape, dtype: np.zeros(shape), {"shape": (0, 3)},
         name="zero_size", grad=False),
    Case("_ones", [], lambda shape, dtype: np.ones(shape), {"shape": (4, 1, 2)},
         dtypes=ALL_DTYPES, grad=False),
    Case("_full", [], lambda shape, value, dtype: np.full(shape, value),
         {"shape": (3, 2), "value": 7.0}, dtypes=SIGNED, grad=False),
    Case("_full", [], lambda shape, value, dtype: np.full(shape, value),
         {"shape": (2,), "value": float("nan")}, name="nan", grad=False),
    Case("_arange", [], lambda start, stop, step, dtype: np.arange(start, stop, step),
         {"start": 1.0, "stop": 10.0, "step": 2.0}, dtypes=SIGNED, grad=False),
    Case("_arange", [], lambda start, dtype: np.arange(start), {"start": 5.0},
         name="stop_only", dtypes=SIGNED, grad=False),
    Case("_arange", [], lambda start, stop, step, repeat, dtype:
         np.repeat(np.arange(start, stop, step), repeat),
         {"start": 0.0, "stop": 3.0, "step": 0.5, "repeat": 2}, name="repeat", grad=False),
    Case("_arange", [], lambda start, stop, step, dtype: np.arange(start, stop, step),
         {"start": 5.0, "stop": 0.0, "step": -1.5}, name="negative_step", grad=False),
    Case("_linspace", [], lambda start, stop, num, dtype: np.linspace(start, stop, num),
         {"start": -1.0, "stop": 2.0, "num": 7}, dtypes=FLOATS, grad=False),
    Case("_linspace", [], lambda start, stop, num, endpoint, dtype:
         np.linspace(start, stop, num, endpoint=endpoint),
         {"start": 0.0, "stop": 1.0, "num": 4, "endpoint": False}, name="no_endpoint",
         grad=False),
    Case("_eye", [], lambda N, dtype: np.eye(N), {"N": 3}, dtypes=ALL_DTYPES, grad=False),
    Case("_eye", [], lambda N, M, k, dtype: np.eye(N, M, k), {"N": 3, "M": 5, "k": 1},
         name="rect_offset", grad=False),
    Case("_eye", [], lambda N, M, k, dtype: np.eye(N, M, k), {"N": 4, "M": 2, "k": -1},
         name="below_diagonal", grad=False),
]

ERROR_CASES = [
    ErrorCase("_zeros", [], {"shape": (2, -1)}, name="negative_dim"),
    ErrorCase("_arange", [], {"start": 0.0, "stop": 3.0, "step": 0.0}, name="zero_step"),
    ErrorCase("_linspace", [], {"start": 0.0, "stop": 1.0, "num": -1}, name="negative_num"),
    ErrorCase("_eye", [], {"N": -2}, name="negative_N"),
    ErrorCase("_full", [], {"shape": (2,), "value": "x"}, name="bad_value"),
]
