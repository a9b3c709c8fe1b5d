"""Train a small MLP on scikit-learn's bundled digits with ``mx.nd`` and ``mx.autograd``.

    python examples/train_digits.py [--epochs 10] [--ctx cpu] [--seed 0] [--lr 0.2]

The 8x8 digit images (1797 of them, shipped with scikit-learn: no download) are split
80/20 into train and test sets. The network is 64 -> 128 (relu) -> 10, trained with
softmax cross-entropy written with ``log_softmax`` + ``pick`` and plain mini-batch SGD
updating the weights by hand, as in the MXNet 1.x autograd tutorials. Only the import
differs from MXNet code.
"""

from __future__ import annotations

import time
from typing import List, Tuple

import numpy as np
from digits_common import add_ctx_seed, new_parser, run_timed

import mxcore as mx


def load_digits_split(seed: int, test_fraction: float = 0.2
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features scaled to [0, 1] and labels, shuffled and split into train and test."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    features = digits.data.astype(np.float32) / 16.0
    labels = digits.target.astype(np.float32)
    order = np.random.RandomState(seed).permutation(len(labels))
    n_test = int(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return features[train], labels[train], features[test], labels[test]


def init_params(ctx: mx.Context, sizes=(64, 128, 10)) -> List[mx.nd.NDArray]:
    """He-initialised weights (MXNet's FullyConnected layout: (out, in)) and zero biases."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        weight = mx.nd.random.normal(0, (2.0 / fan_in) ** 0.5, shape=(fan_out, fan_in),
                                     ctx=ctx)
        bias = mx.nd.zeros((fan_out,), ctx=ctx)
        params.extend([weight, bias])
    for p in params:
        p.attach_grad()
    return params


def forward(x: mx.nd.NDArray, params: List[mx.nd.NDArray]) -> mx.nd.NDArray:
    w1, b1, w2, b2 = params
    hidden = mx.nd.relu(mx.nd.FullyConnected(x, w1, b1, num_hidden=w1.shape[0]))
    return mx.nd.FullyConnected(hidden, w2, b2, num_hidden=w2.shape[0])


def cross_entropy(logits: mx.nd.NDArray, labels: mx.nd.NDArray) -> mx.nd.NDArray:
    """Mean softmax cross-entropy: -log p(label)."""
    return -mx.nd.pick(mx.nd.log_softmax(logits, axis=1), labels, axis=1).mean()


def accuracy(features: mx.nd.NDArray, labels: mx.nd.NDArray,
             params: List[mx.nd.NDArray]) -> float:
    predicted = mx.nd.argmax(forward(features, params), axis=1)
    return float((predicted == labels).mean().asscalar())


def train(epochs: int, ctx: mx.Context, seed: int, batch_size: int = 32,
          lr: float = 0.2) -> float:
    mx.random.seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    print(f"digits: {len(y_train)} train, {len(y_test)} test, context {ctx}")
    train_x = mx.nd.array(x_train, ctx=ctx)
    train_y = mx.nd.array(y_train, ctx=ctx)
    test_x = mx.nd.array(x_test, ctx=ctx)
    test_y = mx.nd.array(y_test, ctx=ctx)
    params = init_params(ctx)
    shuffle = np.random.RandomState(seed + 1)
    test_acc = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = shuffle.permutation(len(y_train))
        xs = mx.nd.array(x_train[order], ctx=ctx)
        ys = mx.nd.array(y_train[order], ctx=ctx)
        total, batches = 0.0, 0
        for i in range(0, len(y_train), batch_size):
            data, label = xs[i:i + batch_size], ys[i:i + batch_size]
            with mx.autograd.record():
                loss = cross_entropy(forward(data, params), label)
            loss.backward()
            for p in params:  # plain SGD, outside record
                p[:] = p - lr * p.grad
            total += float(loss.asscalar())
            batches += 1
        train_acc = accuracy(train_x, train_y, params)
        test_acc = accuracy(test_x, test_y, params)
        print(f"epoch {epoch:2d}  loss {total / batches:.4f}  train acc {train_acc:.4f}  "
              f"test acc {test_acc:.4f}  ({time.perf_counter() - start:.2f} s)")
    print(f"final test accuracy {test_acc:.4f}")
    return test_acc


def main() -> None:
    parser = new_parser(__doc__)
    add_ctx_seed(parser, "seed for data split and init")
    parser.add_argument("--batch-size", type=int, default=32, help="mini-batch size")
    parser.add_argument("--lr", type=float, default=0.2, help="SGD learning rate")
    args = parser.parse_args()
    run_timed(parser, lambda ctx: train(args.epochs, ctx, args.seed, args.batch_size, args.lr),
              args.ctx)


if __name__ == "__main__":
    main()
