"""Conformance of ``mxcore/ops/optimizer_ops.py``; the cases live in
``mxcore/conformance/cases_optimizer_ops.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("optimizer_ops")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_optimizer_ops(item, conformance):
    conformance(item)
