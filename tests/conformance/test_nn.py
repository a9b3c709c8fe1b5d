"""Conformance of the nn area (``mxcore/ops/conv.py``, ``pooling.py``, ``norm.py`` and
``nn.py``); the cases live in ``mxcore/conformance/cases_nn.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("nn")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_nn(item, conformance):
    conformance(item)
