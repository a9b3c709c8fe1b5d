"""Conformance of ``mxcore/ops/shape.py``; the cases live in
``mxcore/conformance/cases_shape.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("shape")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_shape(item, conformance):
    conformance(item)
