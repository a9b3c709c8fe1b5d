"""A linear classifier on sparse one-hot features, trained with row_sparse gradients.

scikit-learn's bundled digits (8x8 images, intensities 0..16) become sparse binary features:
every pixel's intensity one-hot over 17 levels, plus every horizontally adjacent pixel pair's
coarse intensities (5 levels each) one-hot over 25 combinations. Each image has exactly
64 + 56 = 120 of the 2488 features set (4.8% density), held as a CSRNDArray.

The model is ``softmax(dot(x, W) + b)``. ``dot(csr, W)``'s gradient with respect to ``W`` is
``dot(x.T, grad)``: a row_sparse array holding only the rows of the features present in the
batch, and the optimizer's lazy update touches only those rows. The script reports accuracy
and the memory the sparse data and gradients save against dense ones.

    python examples/sparse_linear_digits.py [--epochs 10] [--batch-size 64] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Tuple

import numpy as np

import mxcore as mx
from mxcore import autograd

LEVELS = 17
PAIR_LEVELS = 5


def one_hot_features(images: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """CSR parts (values, indices, indptr) and the width of the one-hot encoding."""
    n = images.shape[0]
    pixels = images.reshape(n, 8, 8).astype(np.int64)
    pixel_cols = np.arange(64) * LEVELS + pixels.reshape(n, 64)
    coarse = np.minimum(pixels * PAIR_LEVELS // LEVELS, PAIR_LEVELS - 1)
    pair = coarse[:, :, :-1] * PAIR_LEVELS + coarse[:, :, 1:]  # (n, 8, 7)
    pair_cols = 64 * LEVELS + np.arange(56) * PAIR_LEVELS ** 2 + pair.reshape(n, 56)
    indices = np.concatenate([pixel_cols, pair_cols], axis=1)  # already ascending per row
    per_row = indices.shape[1]
    indptr = np.arange(0, n * per_row + 1, per_row, dtype=np.int64)
    width = 64 * LEVELS + 56 * PAIR_LEVELS ** 2
    return np.ones(indices.size, np.float32), indices.reshape(-1), indptr, width


def load(seed: int) -> Tuple[mx.nd.sparse.CSRNDArray, np.ndarray, mx.nd.sparse.CSRNDArray,
                             np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.2, random_state=seed, stratify=digits.target)
    out = []
    for x in (x_train, x_test):
        values, indices, indptr, width = one_hot_features(x)
        out.append(mx.nd.sparse.csr_matrix((values, indices, indptr),
                                           shape=(x.shape[0], width)))
    return out[0], y_train.astype(np.float32), out[1], y_test.astype(np.float32)


def nbytes(x: mx.nd.NDArray) -> int:
    """Bytes held by an array's storage (all components of a sparse one)."""
    if x.stype == "csr":
        return sum(a.asnumpy().nbytes for a in (x.data, x.indices, x.indptr))
    if x.stype == "row_sparse":
        return x.data.asnumpy().nbytes + x.indices.asnumpy().nbytes
    return x.asnumpy().nbytes


def accuracy(x: mx.nd.sparse.CSRNDArray, y: np.ndarray, w: mx.nd.NDArray,
             b: mx.nd.NDArray) -> float:
    logits = mx.nd.dot(x, w) + b
    return float((logits.asnumpy().argmax(axis=1) == y).mean())


def train(epochs: int, batch_size: int, seed: int, lr: float) -> List[str]:
    mx.random.seed(seed)
    x_train, y_train, x_test, y_test = load(seed)
    n, width = x_train.shape
    w = mx.nd.random.normal(0, 0.01, shape=(width, 10))
    b = mx.nd.zeros((10,))
    w.attach_grad(stype="row_sparse")
    b.attach_grad()
    updater = mx.optimizer.get_updater(mx.optimizer.Adam(learning_rate=lr, lazy_update=True))
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(seed)
    lines = []
    grad_rows: List[int] = []
    host = x_train.asscipy()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        x_epoch = mx.nd.sparse.csr_matrix(host[order])  # shuffled once per epoch
        y_epoch = y_train[order]
        total = 0.0
        for start in range(0, n, batch_size):
            xb = x_epoch[start:start + batch_size]  # a CSR row slice
            yb = mx.nd.array(y_epoch[start:start + batch_size])
            with autograd.record():
                loss = loss_fn(mx.nd.dot(xb, w) + b, yb)
            loss.backward()
            grad_rows.append(w.grad.indices.shape[0])
            updater(0, w.grad, w)
            updater(1, b.grad, b)
            total += float(loss.sum().asscalar())
        line = (f"epoch {epoch:3d}  loss {total / n:.4f}  train acc "
                f"{accuracy(x_train, y_train, w, b):.4f}  test acc "
                f"{accuracy(x_test, y_test, w, b):.4f}")
        print(line, flush=True)
        lines.append(line)
    final = f"final test accuracy {accuracy(x_test, y_test, w, b):.4f}"
    dense_data = n * width * 4
    sparse_data = nbytes(x_train)
    dense_grad = width * 10 * 4
    mean_rows = float(np.mean(grad_rows))
    sparse_grad = mean_rows * (10 * 4 + 8)
    memory = [
        f"features: {width}, {x_train.data.shape[0] // n} set per sample "
        f"({x_train.data.shape[0] / (n * width):.1%} density)",
        f"memory: training data csr {sparse_data / 1024:.0f} KiB vs dense "
        f"{dense_data / 1024:.0f} KiB ({dense_data / sparse_data:.1f}x smaller)",
        f"memory: weight gradient row_sparse {sparse_grad / 1024:.1f} KiB ({mean_rows:.0f} of "
        f"{width} rows on average) vs dense {dense_grad / 1024:.1f} KiB "
        f"({dense_grad / sparse_grad:.1f}x smaller)",
    ]
    for line in [final] + memory:
        print(line)
    return lines + [final] + memory


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    train(args.epochs, args.batch_size, args.seed, args.lr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
