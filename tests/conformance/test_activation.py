"""Conformance of ``mxcore/ops/activation.py``; the cases live in
``mxcore/conformance/cases_activation.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("activation")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_activation(item, conformance):
    conformance(item)
