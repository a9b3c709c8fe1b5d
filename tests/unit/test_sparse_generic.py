"""The sparse conformance cases of the CSR products, run through the generic decompositions
(the CPU backend's SciPy-fused kernels removed): what a backend without fused kernels runs."""

import functools

import pytest

import mxcore as mx
from mxcore.conformance.runner import PASS, Runner, items_for_area
from mxcore.ndarray.invoke import resolve_kernel
from mxcore.ops.registry import OPS

FUSED = ("_sparse_csr_dot_dense", "_sparse_csr_t_dot_dense", "_sparse_dense_dot_csr")
ITEMS = [item for item in items_for_area("sparse") if item.op in FUSED + ("dot",)]


@pytest.fixture(scope="module")
def generic_runner():
    backend = mx.cpu().backend
    saved = {name: backend.kernels.pop(name) for name in FUSED if name in backend.kernels}
    for name in FUSED:
        OPS[name].kernel_cache.clear()
        assert isinstance(resolve_kernel(OPS[name], mx.cpu()), functools.partial)
    try:
        yield Runner("cpu")
    finally:
        backend.kernels.update(saved)
        for name in FUSED:
            OPS[name].kernel_cache.clear()


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_generic_decomposition(item, generic_runner):
    result = generic_runner.run(item)
    assert result.status == PASS, result.message
