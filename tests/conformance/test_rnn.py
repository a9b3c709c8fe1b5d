"""Conformance of ``mxcore/ops/rnn.py``; the cases live in
``mxcore/conformance/cases_rnn.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("rnn")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_rnn(item, conformance):
    conformance(item)
