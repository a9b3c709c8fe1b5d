"""Gluon training steps against PyTorch (CPU), measured in one run on one thread.

    python bench/bench_gluon.py [--quick] [--json OUT.json]

One step is forward, loss, backward and the optimizer update (SGD, lr 0.1), on fixed
random data, for

(a) an MLP 200 -> 128 (relu) -> 64 (relu) -> 10, batch 100;
(b) a LeNet-style CNN on (64, 1, 28, 28): Conv(20, 5x5, relu) -> MaxPool 2 ->
    Conv(50, 5x5, relu) -> MaxPool 2 -> Flatten -> Dense(500, relu) -> Dense(10).

mxcore runs ``gluon.nn`` + ``SoftmaxCrossEntropyLoss`` + ``gluon.Trainer`` exactly as an
MXNet 1.x training loop; PyTorch runs ``torch.nn`` + ``cross_entropy`` + ``torch.optim.SGD``.
The time is the median of several repeats; the ratio is mxcore / torch (lower is better
for mxcore). ``bench/run.py`` includes these rows too.
"""

from __future__ import annotations

import os

# one thread everywhere, set before NumPy loads its BLAS (as bench/run.py does)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import sys  # noqa: E402
from typing import Callable, List, Optional, Tuple  # noqa: E402

import numpy as np  # noqa: E402
import run  # noqa: E402  (bench/ is on sys.path when this file is run as a script)

import mxcore as mx  # noqa: E402
from mxcore import autograd, gluon  # noqa: E402
from mxcore.gluon import nn  # noqa: E402

torch = run.torch
LR = 0.1


def _mlp_mxcore() -> nn.HybridSequential:
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(128, activation="relu", in_units=200))
        net.add(nn.Dense(64, activation="relu", in_units=128))
        net.add(nn.Dense(10, in_units=64))
    return net


def _lenet_mxcore() -> nn.HybridSequential:
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(20, kernel_size=5, activation="relu", in_channels=1))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(nn.Conv2D(50, kernel_size=5, activation="relu", in_channels=20))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(nn.Flatten())
        net.add(nn.Dense(500, activation="relu", in_units=800))
        net.add(nn.Dense(10, in_units=500))
    return net


def _mlp_torch():
    tnn = torch.nn
    return tnn.Sequential(tnn.Linear(200, 128), tnn.ReLU(), tnn.Linear(128, 64), tnn.ReLU(),
                          tnn.Linear(64, 10))


def _lenet_torch():
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 20, 5), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(20, 50, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                          tnn.Linear(800, 500), tnn.ReLU(), tnn.Linear(500, 10))


def mxcore_step(net: nn.HybridSequential, data: np.ndarray, labels: np.ndarray,
                ctx: Optional[mx.Context] = None, hybridize: bool = False
                ) -> Callable[[], None]:
    """A closure running one Gluon training step on ``data`` (on ``ctx``, default cpu); with
    ``hybridize`` the net and the loss are hybridized."""
    ctx = ctx or mx.cpu()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    if hybridize:
        net.hybridize()
        loss_fn.hybridize()
    x, y = mx.nd.array(data, ctx=ctx), mx.nd.array(labels, ctx=ctx)
    batch = data.shape[0]

    def step() -> None:
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(batch)

    return step


def torch_step(net, data: np.ndarray, labels: np.ndarray) -> Callable[[], None]:
    """A closure running the same step in PyTorch."""
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    x = torch.from_numpy(data)
    y = torch.from_numpy(labels.astype(np.int64))

    def step() -> None:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()

    return step


CASES: List[Tuple[str, Callable, Callable, Tuple[int, ...]]] = [
    ("gluon step: MLP 200-128-64-10, batch 100", _mlp_mxcore, _mlp_torch, (100, 200)),
    ("gluon step: LeNet, (64,1,28,28)", _lenet_mxcore, _lenet_torch, (64, 1, 28, 28)),
]


def bench_gluon(repeat: int, budget: float) -> List[run.Row]:
    """One row per case with mxcore and (when importable) torch seconds per step."""
    rng = np.random.default_rng(0)
    rows = []
    for name, mx_net, torch_net, shape in CASES:
        data = rng.standard_normal(shape).astype(np.float32)
        labels = rng.integers(0, 10, size=shape[0]).astype(np.float32)
        row = run.Row(name, unit="ms")
        row.times["mxcore"] = run.measure(mxcore_step(mx_net(), data, labels), mx.nd.waitall,
                                          repeat, budget)
        if torch is not None:
            torch.manual_seed(0)
            row.times["torch"] = run.measure(torch_step(torch_net(), data, labels),
                                             repeat=repeat, budget=budget)
        rows.append(row)
    return rows


def render(rows: List[run.Row]) -> str:
    header = ["benchmark", "mxcore", "torch", "mxcore/torch"]
    table = [[r.name, run._fmt(r.times.get("mxcore"), r.unit),
              run._fmt(r.times.get("torch"), r.unit),
              run._ratio(r.times.get("mxcore"), r.times.get("torch"))] for r in rows]
    return "\n".join(run._table(header, table))


def main(argv: Optional[List[str]] = None) -> int:
    return run.run_main("Gluon training steps vs PyTorch (CPU)", bench_gluon, (3, 0.05),
                        (7, 0.3), render, argv)


if __name__ == "__main__":
    sys.exit(main())
