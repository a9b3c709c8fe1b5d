"""Shared parts of the digits examples: data loading, the progress bar, the Gluon training
loop and the command line. Each example script defines only its model (and, for
``train_digits.py``, its hand-written training loop) and calls into this module."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable, Optional, Tuple

import numpy as np

import mxcore as mx
from mxcore import autograd, gluon

Split = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_digits_split(seed: int, test_size: float = 0.2,
                      sample_shape: Optional[Tuple[int, ...]] = None) -> Split:
    """Standardised float32 features and float32 labels, split (stratified) into train and
    test; each sample reshaped to ``sample_shape`` when given (e.g. ``(1, 8, 8)``)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=test_size, random_state=seed,
        stratify=digits.target)
    scaler = StandardScaler().fit(x_train)

    def features(x: np.ndarray) -> np.ndarray:
        out = scaler.transform(x).astype(np.float32)
        return out if sample_shape is None else out.reshape(-1, *sample_shape)

    return features(x_train), y_train.astype(np.float32), features(x_test), \
        y_test.astype(np.float32)


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


def evaluate(net: gluon.Block, loader: gluon.data.DataLoader, ctx: mx.Context) -> float:
    """Accuracy of ``net`` over every batch of ``loader``."""
    metric = mx.metric.Accuracy()
    for data, label in loader:
        output = net(data.as_in_context(ctx))
        metric.update(label.as_in_context(ctx), output)
    return metric.get()[1]


def train_epoch(net: gluon.Block, loss_fn: gluon.loss.Loss, trainer: gluon.Trainer,
                metric: mx.metric.EvalMetric, loader: gluon.data.DataLoader, ctx: mx.Context,
                bar: Optional[ProgressBar], batch_scale: int = 1) -> float:
    """One pass over ``loader``: forward, loss, backward and ``trainer.step`` over the batch
    size times ``batch_scale`` (the number of workers when they share each step); resets and
    updates ``metric``, redraws ``bar`` unless it is None. Returns the mean loss."""
    metric.reset()
    total_loss, seen = 0.0, 0
    for i, (data, label) in enumerate(loader, 1):
        data, label = data.as_in_context(ctx), label.as_in_context(ctx)
        with autograd.record():
            output = net(data)
            loss = loss_fn(output, label)
        loss.backward()
        trainer.step(data.shape[0] * batch_scale)
        metric.update(label, output)
        total_loss += float(loss.sum().asscalar())
        seen += data.shape[0]
        if bar is not None:
            bar.update(i, f"loss {total_loss / seen:.4f}  acc {metric.get()[1]:.4f}")
    return total_loss / seen


def train_gluon(build_net: Callable[[], gluon.Block], epochs: int, batch_size: int, lr: float,
                optimizer: str, ctx: mx.Context, seed: int,
                sample_shape: Optional[Tuple[int, ...]] = None,
                hybridize: bool = False) -> float:
    """Train ``build_net()`` (Xavier-initialised) with ``SoftmaxCrossEntropyLoss`` and a
    ``gluon.Trainer``, one progress bar per epoch; returns the final test accuracy."""
    mx.random.seed(seed)
    np.random.seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed, sample_shape=sample_shape)
    print(f"digits: {len(y_train)} train, {len(y_test)} test, context {ctx}")
    train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_train, y_train),
                                       batch_size=batch_size, shuffle=True)
    test_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_test, y_test),
                                      batch_size=256)

    net = build_net()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), optimizer, {"learning_rate": lr})
    metric = mx.metric.Accuracy()

    test_acc = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        bar = ProgressBar(len(train_data), f"epoch {epoch:2d}/{epochs}")
        mean_loss = train_epoch(net, loss_fn, trainer, metric, train_data, ctx, bar)
        test_acc = evaluate(net, test_data, ctx)
        bar.finish(f"loss {mean_loss:.4f}  train acc {metric.get()[1]:.4f}  "
                   f"test acc {test_acc:.4f}  ({time.perf_counter() - start:.2f} s)")
    print(f"final test accuracy {test_acc:.4f}")
    return test_acc


def new_parser(doc: str) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of ``doc``, with ``--epochs``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="passes over the train set")
    return parser


def add_ctx_seed(parser: argparse.ArgumentParser, seed_help: str) -> None:
    """Add ``--ctx`` (a device type, device 0) and ``--seed``."""
    parser.add_argument("--ctx", default="cpu",
                        help="device type to train on: cpu, gpu, opencl (device 0)")
    parser.add_argument("--seed", type=int, default=0, help=seed_help)


def add_trainer_args(parser: argparse.ArgumentParser, batch_help: str) -> None:
    """Add ``--batch-size``, ``--lr`` and ``--optimizer`` (adam or sgd)."""
    parser.add_argument("--batch-size", type=int, default=32, help=batch_help)
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: 0.001 for adam, 0.1 for sgd)")
    parser.add_argument("--optimizer", default="adam", choices=("adam", "sgd"),
                        help="gluon.Trainer optimizer")


def learning_rate(args: argparse.Namespace) -> float:
    """``--lr``, or the default of ``--optimizer``."""
    return args.lr if args.lr is not None else {"adam": 0.001, "sgd": 0.1}[args.optimizer]


def run_timed(parser: argparse.ArgumentParser, job: Callable[[mx.Context], object],
              ctx: str) -> None:
    """Run ``job(mx.Context(ctx, 0))`` and print the total time; an unavailable backend
    (e.g. ``--ctx gpu`` without a GPU backend) exits with status 2 and a one-line error."""
    start = time.perf_counter()
    try:
        job(mx.Context(ctx, 0))
    except mx.base.BackendUnavailableError as exc:
        parser.exit(2, f"error: {exc}\n")
    print(f"total time {time.perf_counter() - start:.2f} s")


def gluon_main(doc: str, build_net: Callable[[], gluon.Block],
               sample_shape: Optional[Tuple[int, ...]] = None,
               hybridize: bool = False) -> None:
    """The command line shared by the Gluon digits examples."""
    parser = new_parser(doc)
    add_trainer_args(parser, "mini-batch size")
    add_ctx_seed(parser, "seed for split, init, shuffle")
    args = parser.parse_args()
    lr = learning_rate(args)
    run_timed(parser, lambda ctx: train_gluon(
        build_net, args.epochs, args.batch_size, lr, args.optimizer, ctx, args.seed,
        sample_shape=sample_shape, hybridize=hybridize), args.ctx)
