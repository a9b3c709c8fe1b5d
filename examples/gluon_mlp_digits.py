"""Train a Gluon MLP on scikit-learn's bundled digits, MXNet 1.x style.

    python examples/gluon_mlp_digits.py [--epochs 10] [--batch-size 32] [--lr 0.001]
                                        [--optimizer adam] [--ctx cpu] [--seed 0]

The 8x8 digit images (1797 of them, shipped with scikit-learn: no download) are split 80/20
into train and test sets and standardised with the train set's statistics. The network is
``nn.Sequential``: Dense(128, relu) -> Dense(64, relu) -> Dense(10), Xavier-initialised,
trained with ``SoftmaxCrossEntropyLoss`` and a ``gluon.Trainer`` over a ``DataLoader``.
Each epoch draws a progress bar; the last line is the final test accuracy. Only the import
differs from MXNet code.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Tuple

import numpy as np

import mxcore as mx
from mxcore import autograd, gluon
from mxcore.gluon import nn


def load_digits_split(seed: int, test_size: float = 0.2
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardised float32 features and float32 labels, split into train and test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=test_size, random_state=seed,
        stratify=digits.target)
    scaler = StandardScaler().fit(x_train)
    return (scaler.transform(x_train).astype(np.float32), y_train.astype(np.float32),
            scaler.transform(x_test).astype(np.float32), y_test.astype(np.float32))


class ProgressBar:
    """One text bar per epoch: redrawn in place on a terminal, printed once when done
    otherwise (so logs get one line per epoch)."""

    def __init__(self, total: int, prefix: str, width: int = 30) -> None:
        self.total, self.prefix, self.width = total, prefix, width
        self.interactive = sys.stdout.isatty()
        self._drawn = 0  # length of the line on screen, to blank leftovers

    def _line(self, done: int, info: str) -> str:
        filled = self.width * done // self.total
        bar = "=" * filled + (">" if filled < self.width else "") \
            + "." * (self.width - filled - 1)
        return f"{self.prefix} [{bar[:self.width]}] {done:3d}/{self.total}  {info}"

    def _draw(self, line: str) -> None:
        sys.stdout.write("\r" + line.ljust(self._drawn))
        sys.stdout.flush()
        self._drawn = len(line)

    def update(self, done: int, info: str) -> None:
        if self.interactive:
            self._draw(self._line(done, info))

    def finish(self, info: str) -> None:
        line = self._line(self.total, info)
        if self.interactive:
            self._draw(line)
            print(flush=True)
        else:
            print(line, flush=True)


def build_net() -> nn.Sequential:
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(128, activation="relu"))
        net.add(nn.Dense(64, activation="relu"))
        net.add(nn.Dense(10))
    return net


def evaluate(net: nn.Sequential, loader: gluon.data.DataLoader, ctx: mx.Context) -> float:
    metric = mx.metric.Accuracy()
    for data, label in loader:
        output = net(data.as_in_context(ctx))
        metric.update(label.as_in_context(ctx), output)
    return metric.get()[1]


def train(epochs: int, batch_size: int, lr: float, optimizer: str, ctx: mx.Context,
          seed: int) -> float:
    mx.random.seed(seed)
    np.random.seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    print(f"digits: {len(y_train)} train, {len(y_test)} test, context {ctx}")
    train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_train, y_train),
                                       batch_size=batch_size, shuffle=True)
    test_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_test, y_test),
                                      batch_size=256)

    net = build_net()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), optimizer, {"learning_rate": lr})
    metric = mx.metric.Accuracy()

    test_acc = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        metric.reset()
        total_loss, seen = 0.0, 0
        bar = ProgressBar(len(train_data), f"epoch {epoch:2d}/{epochs}")
        for i, (data, label) in enumerate(train_data, 1):
            data, label = data.as_in_context(ctx), label.as_in_context(ctx)
            with autograd.record():
                output = net(data)
                loss = loss_fn(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            metric.update(label, output)
            total_loss += float(loss.sum().asscalar())
            seen += data.shape[0]
            bar.update(i, f"loss {total_loss / seen:.4f}  acc {metric.get()[1]:.4f}")
        test_acc = evaluate(net, test_data, ctx)
        bar.finish(f"loss {total_loss / seen:.4f}  train acc {metric.get()[1]:.4f}  "
                   f"test acc {test_acc:.4f}  ({time.perf_counter() - start:.2f} s)")
    print(f"final test accuracy {test_acc:.4f}")
    return test_acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="passes over the train set")
    parser.add_argument("--batch-size", type=int, default=32, help="mini-batch size")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: 0.001 for adam, 0.1 for sgd)")
    parser.add_argument("--optimizer", default="adam", choices=("adam", "sgd"),
                        help="gluon.Trainer optimizer")
    parser.add_argument("--ctx", default="cpu",
                        help="device type to train on: cpu, gpu, opencl (device 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed for split, init, shuffle")
    args = parser.parse_args()
    lr = args.lr if args.lr is not None else {"adam": 0.001, "sgd": 0.1}[args.optimizer]
    start = time.perf_counter()
    try:
        train(args.epochs, args.batch_size, lr, args.optimizer, mx.Context(args.ctx, 0),
              args.seed)
    except mx.base.BackendUnavailableError as exc:  # e.g. --ctx gpu without a GPU backend
        parser.exit(2, f"error: {exc}\n")
    print(f"total time {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
