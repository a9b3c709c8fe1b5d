"""GPU benchmark (CUDA backend on CuPy) against CuPy and PyTorch CUDA, same run, same GPU.

    python bench/bench_gpu.py [--json OUT.json]

Measures: per-op dispatch of ``a + b`` on (64,) float32; 4096x4096 float32 matmul versus
``cupy.matmul``; one training step (forward, backward, SGD update) of the seed MLP
(784-128-64-10, batch 100 and 4096) versus PyTorch eager. Prints a table of ratios.
"""

from __future__ import annotations

import argparse
import json
from typing import Dict

import numpy as np
import run  # bench/ is on sys.path when this file is run as a script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", help="write results as JSON here")
    args = parser.parse_args()

    import cupy

    import mxcore as mx

    results: Dict[str, Dict[str, float]] = {}
    ctx = mx.gpu(0)
    sync_mx = mx.nd.waitall

    def sync_cp() -> None:
        cupy.cuda.Device(0).synchronize()

    try:
        import torch

        have_torch = torch.cuda.is_available()
    except ImportError:
        have_torch = False

    def sync_t() -> None:
        torch.cuda.synchronize()

    # -- dispatch ---------------------------------------------------------------------------
    a = mx.nd.ones((64,), ctx=ctx)
    b = mx.nd.ones((64,), ctx=ctx)
    ca, cb = cupy.ones(64, np.float32), cupy.ones(64, np.float32)
    row = {"mxcore": run.measure(lambda: a + b, sync_mx),
           "cupy": run.measure(lambda: ca + cb, sync_cp)}
    if have_torch:
        ta = torch.ones(64, device="cuda")
        tb = torch.ones(64, device="cuda")
        row["torch"] = run.measure(lambda: ta + tb, sync_t)
    results["dispatch a+b (64,)"] = row

    # -- matmul -------------------------------------------------------------------------------
    n = 4096
    x = mx.nd.random.uniform(shape=(n, n), ctx=ctx)
    y = mx.nd.random.uniform(shape=(n, n), ctx=ctx)
    cx, cy = cupy.asarray(x.asnumpy()), cupy.asarray(y.asnumpy())
    row = {"mxcore": run.measure(lambda: mx.nd.dot(x, y), sync_mx),
           "cupy": run.measure(lambda: cupy.matmul(cx, cy), sync_cp)}
    if have_torch:
        tx = torch.as_tensor(x.asnumpy(), device="cuda")
        ty = torch.as_tensor(y.asnumpy(), device="cuda")
        row["torch"] = run.measure(lambda: tx @ ty, sync_t)
    results["matmul 4096x4096"] = row

    # -- MLP training step --------------------------------------------------------------------
    for batch in (100, 4096):
        rng = np.random.default_rng(0)
        data_np = rng.standard_normal((batch, 784)).astype(np.float32)
        label_np = rng.integers(0, 10, batch)
        sizes = [(784, 128), (128, 64), (64, 10)]
        weights_np = [(rng.standard_normal((o, i)).astype(np.float32) * 0.05,
                       np.zeros(o, np.float32)) for i, o in sizes]
        data = mx.nd.array(data_np, ctx=ctx)
        label = mx.nd.array(label_np, ctx=ctx)
        params = []
        for w, bias in weights_np:
            for p in (mx.nd.array(w, ctx=ctx), mx.nd.array(bias, ctx=ctx)):
                p.attach_grad()
                params.append(p)

        def mx_step(data=data, label=label, params=params) -> None:
            with mx.autograd.record():
                h = data
                for i in range(3):
                    h = mx.nd.FullyConnected(h, params[2 * i], params[2 * i + 1],
                                             num_hidden=params[2 * i].shape[0])
                    if i < 2:
                        h = mx.nd.relu(h)
                loss = -mx.nd.mean(mx.nd.pick(mx.nd.log_softmax(h), label))
            loss.backward()
            for p in params:
                p -= 0.1 * p.grad

        row = {"mxcore": run.measure(mx_step, sync_mx)}
        if have_torch:
            tdata = torch.as_tensor(data_np, device="cuda")
            tlabel = torch.as_tensor(label_np, device="cuda")
            tparams = []
            for w, bias in weights_np:
                tparams.append(torch.tensor(w, device="cuda", requires_grad=True))
                tparams.append(torch.tensor(bias, device="cuda", requires_grad=True))

            def t_step(tdata=tdata, tlabel=tlabel, tparams=tparams) -> None:
                h = tdata
                for i in range(3):
                    h = torch.nn.functional.linear(h, tparams[2 * i], tparams[2 * i + 1])
                    if i < 2:
                        h = torch.relu(h)
                loss = torch.nn.functional.cross_entropy(h, tlabel)
                loss.backward()
                with torch.no_grad():
                    for p in tparams:
                        p -= 0.1 * p.grad
                        p.grad = None

            row["torch"] = run.measure(t_step, sync_t)
        results[f"MLP train step batch {batch}"] = row

    print(f"{'benchmark':32s} {'mxcore':>12s} {'cupy':>12s} {'torch':>12s}  ratios")
    for name, row in results.items():
        cells = [f"{row[k] * 1e6:10.1f}us" if k in row else f"{'-':>12s}"
                 for k in ("mxcore", "cupy", "torch")]
        ratios = ", ".join(f"mxcore/{k}={row['mxcore'] / row[k]:.2f}"
                           for k in ("cupy", "torch") if k in row)
        print(f"{name:32s} {' '.join(cells)}  {ratios}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
