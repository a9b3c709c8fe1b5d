"""The shared conformance suite: cases per op area, the runner and the coverage report.

Run it with ``mxcore-conformance --backend NAME`` (or ``python -m mxcore.conformance``), or
through pytest: ``pytest tests/conformance --backend NAME``. See ``docs/conformance.md``.
"""

from .case import ALL_DTYPES, FLOATS, INTS, SIGNED, Case, ErrorCase, Input

__all__ = ["Input", "Case", "ErrorCase", "FLOATS", "INTS", "SIGNED", "ALL_DTYPES"]
