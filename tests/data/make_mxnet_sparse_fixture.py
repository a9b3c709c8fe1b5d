"""Write ``mxnet_sparse_ops.params``: sparse inputs and what MXNet 1.9.1 computes from them.

Run it with a real MXNet 1.9.1 (not mxcore)::

    /tmp/mxvenv/bin/python tests/data/make_mxnet_sparse_fixture.py

The file is a dict saved by ``mx.nd.save``: inputs (``in_*``) and results (``out_*``) of
sparse operators, Embedding's row_sparse gradient and lazy optimizer updates, each in the
storage type MXNet produced. ``tests/unit/test_sparse_io.py`` loads it and recomputes every
result with mxcore. Values come from a seeded generator, so reruns give identical files.
"""

from __future__ import annotations

import os

import mxnet as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    rng = np.random.default_rng(20261126)
    dense = rng.standard_normal((6, 8)).astype("float32")
    dense[rng.random((6, 8)) < 0.7] = 0
    dense[3] = 0  # an empty row
    csr = mx.nd.array(dense).tostype("csr")
    rows = np.zeros((7, 3), "float32")
    rows[[1, 4, 5]] = rng.standard_normal((3, 3))
    rsp = mx.nd.array(rows).tostype("row_sparse")
    rows2 = np.zeros((7, 3), "float32")
    rows2[[0, 4]] = rng.standard_normal((2, 3))
    rsp2 = mx.nd.array(rows2).tostype("row_sparse")
    rhs = mx.nd.array(rng.standard_normal((8, 4)).astype("float32"))
    rhs_t = mx.nd.array(rng.standard_normal((6, 4)).astype("float32"))
    lhs = mx.nd.array(rng.standard_normal((5, 6)).astype("float32"))
    weight = mx.nd.array(rng.standard_normal((7, 3)).astype("float32"))
    out = {
        "in_csr": csr, "in_rsp": rsp, "in_rsp2": rsp2, "in_rhs": rhs, "in_rhs_t": rhs_t,
        "in_lhs": lhs, "in_weight": weight,
        "out_dot": mx.nd.sparse.dot(csr, rhs),
        "out_dot_t": mx.nd.sparse.dot(csr, rhs_t, transpose_a=True),
        "out_dense_dot": mx.nd.sparse.dot(lhs, csr),
        "out_add_rsp": mx.nd.sparse.elemwise_add(rsp, rsp2),
        "out_mul_rsp_dense": mx.nd.sparse.elemwise_mul(rsp, weight),
        "out_sum0": mx.nd.sparse.sum(csr, axis=0),
        "out_mean1": mx.nd.sparse.mean(csr, axis=1),
        "out_sqrt_abs": mx.nd.sparse.sqrt(mx.nd.sparse.abs(csr)),
        "out_retain": mx.nd.sparse.retain(rsp, mx.nd.array([4, 5], dtype="int64")),
    }
    # Embedding with a row_sparse gradient
    emb_w = weight.copy()
    emb_w.attach_grad(stype="row_sparse")
    idx = mx.nd.array([[1, 4], [4, 6]])
    with mx.autograd.record():
        y = mx.nd.Embedding(idx, emb_w, input_dim=7, output_dim=3, sparse_grad=True)
        loss = (y * y).sum()
    loss.backward()
    out["in_emb_idx"] = idx
    out["out_emb_grad"] = emb_w.grad
    # lazy updates: weight and states changed only in the rows the gradient holds
    w = weight.copy()
    mx.nd.sgd_update(w, rsp, lr=0.1, wd=0.1, lazy_update=True, out=w)
    out["out_sgd"] = w
    w, mom = weight.copy(), mx.nd.ones((7, 3))
    mx.nd.sgd_mom_update(w, rsp, mom, lr=0.1, momentum=0.9, wd=0.1, out=w)
    out["out_sgd_mom"], out["out_sgd_mom_state"] = w, mom
    w, mean, var = weight.copy(), mx.nd.ones((7, 3)) * 0.1, mx.nd.ones((7, 3)) * 0.2
    mx.nd.adam_update(w, rsp, mean, var, lr=0.01, wd=0.01, out=w)
    out["out_adam"], out["out_adam_mean"], out["out_adam_var"] = w, mean, var
    w, z, n = weight.copy(), mx.nd.ones((7, 3)) * 0.1, mx.nd.ones((7, 3)) * 0.3
    mx.nd.ftrl_update(w, rsp, z, n, lr=0.1, lamda1=0.01, wd=0.01, out=w)
    out["out_ftrl"], out["out_ftrl_z"], out["out_ftrl_n"] = w, z, n
    mx.nd.save(os.path.join(HERE, "mxnet_sparse_ops.params"), out)


if __name__ == "__main__":
    main()
