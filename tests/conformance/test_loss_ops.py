"""Conformance of ``mxcore/ops/loss_ops.py``; the cases live in
``mxcore/conformance/cases_loss_ops.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("loss_ops")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_loss_ops(item, conformance):
    conformance(item)
