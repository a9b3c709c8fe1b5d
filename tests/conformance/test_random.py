"""Conformance of ``mxcore/ops/random.py``; the cases live in
``mxcore/conformance/cases_random.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("random")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_random(item, conformance):
    conformance(item)
