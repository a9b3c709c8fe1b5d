"""Conformance of ``mxcore/ops/reduce.py``; the cases live in
``mxcore/conformance/cases_reduce.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("reduce")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_reduce(item, conformance):
    conformance(item)
