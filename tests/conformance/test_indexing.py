"""Conformance of ``mxcore/ops/indexing.py``; the cases live in
``mxcore/conformance/cases_indexing.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("indexing")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_indexing(item, conformance):
    conformance(item)
