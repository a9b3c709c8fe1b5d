"""Conformance of ``mxcore/ops/linalg.py``; the cases live in
``mxcore/conformance/cases_linalg.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("linalg")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_linalg(item, conformance):
    conformance(item)
