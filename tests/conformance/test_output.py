"""Conformance of ``mxcore/ops/output.py``; the cases live in
``mxcore/conformance/cases_output.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("output")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_output(item, conformance):
    conformance(item)
