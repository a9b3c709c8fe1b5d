"""Conformance of ``mxcore/ops/creation.py``; the cases live in
``mxcore/conformance/cases_creation.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("creation")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_creation(item, conformance):
    conformance(item)
