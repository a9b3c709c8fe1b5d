"""Conformance of the sparse kernels (``mxcore/ops/sparse_ops.py``, ``sparse_kernels.py``,
``sparse_updates.py``); the cases live in ``mxcore/conformance/cases_sparse.py``."""

import pytest

from mxcore.conformance.runner import items_for_area

ITEMS = items_for_area("sparse")


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_sparse(item, conformance):
    conformance(item)
