"""The seed MLP's training step through ``mx.mod.Module`` against imperative Gluon and
PyTorch (CPU), measured in one run on one thread.

    python bench/bench_module.py [--quick] [--json OUT.json]

One step on fixed random data (MLP 200 -> 128 (relu) -> 64 (relu) -> 10, batch 100, SGD lr
0.1): for the Module, ``forward(is_train=True)``, ``backward`` and ``update`` of a bound
symbol ending in ``SoftmaxOutput``; for Gluon and PyTorch the loops of
``bench/bench_gluon.py``. The time is the median of several repeats; ratios are to PyTorch
(lower is better for mxcore).
"""

from __future__ import annotations

import os

# one thread everywhere, set before NumPy loads its BLAS (as bench/run.py does)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import sys  # noqa: E402
from typing import Callable, List, Optional  # noqa: E402

import bench_gluon  # noqa: E402  (bench/ is on sys.path when this file is run as a script)
import numpy as np  # noqa: E402
import run  # noqa: E402

import mxcore as mx  # noqa: E402

SHAPE = (100, 200)


def _mlp_symbol() -> mx.sym.Symbol:
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    w = mx.sym.Variable("w")
    b = mx.sym.Variable("b")
    net = mx.sym.FullyConnected(data=data, weight=w, bias=b, num_hidden=128, name="fc1")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.FullyConnected(net, num_hidden=64, name="fc2")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.FullyConnected(net, num_hidden=10, name="fc3")
    return mx.sym.SoftmaxOutput(net, label=label, name="softmax")


def module_step(data: np.ndarray, labels: np.ndarray) -> Callable[[], None]:
    """A closure running one Module training step on ``data``."""
    mod = mx.mod.Module(_mlp_symbol())
    mod.bind(data_shapes=[("data", data.shape)], label_shapes=[("softmax_label",
                                                                labels.shape)])
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": bench_gluon.LR})
    batch = mx.io.DataBatch([mx.nd.array(data)], [mx.nd.array(labels)])

    def step() -> None:
        mod.forward(batch, is_train=True)
        mod.backward()
        mod.update()

    return step


def bench_module(repeat: int, budget: float) -> List[run.Row]:
    rng = np.random.default_rng(0)
    data = rng.standard_normal(SHAPE).astype(np.float32)
    labels = rng.integers(0, 10, size=SHAPE[0]).astype(np.float32)
    row = run.Row("MLP 200-128-64-10 step, batch 100", unit="ms")
    row.times["module"] = run.measure(module_step(data, labels), mx.nd.waitall, repeat, budget)
    row.times["gluon"] = run.measure(
        bench_gluon.mxcore_step(bench_gluon._mlp_mxcore(), data, labels), mx.nd.waitall,
        repeat, budget)
    if run.torch is not None:
        run.torch.manual_seed(0)
        row.times["torch"] = run.measure(
            bench_gluon.torch_step(bench_gluon._mlp_torch(), data, labels), repeat=repeat,
            budget=budget)
    return [row]


def render(rows: List[run.Row]) -> str:
    header = ["benchmark", "Module", "Gluon", "torch", "Module/torch", "Gluon/torch"]
    table = [[r.name, run._fmt(r.times.get("module"), r.unit),
              run._fmt(r.times.get("gluon"), r.unit), run._fmt(r.times.get("torch"), r.unit),
              run._ratio(r.times.get("module"), r.times.get("torch")),
              run._ratio(r.times.get("gluon"), r.times.get("torch"))] for r in rows]
    return "\n".join(run._table(header, table))


def main(argv: Optional[List[str]] = None) -> int:
    return run.run_main("Module training step vs Gluon and PyTorch (CPU)", bench_module,
                        (3, 0.05), (7, 0.3), render, argv)


if __name__ == "__main__":
    sys.exit(main())
