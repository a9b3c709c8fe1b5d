"""Conformance of ``mxcore/ops/elemwise.py``; the cases live in
``mxcore/conformance/cases_elemwise.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("elemwise")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_elemwise(item, conformance):
    conformance(item)
