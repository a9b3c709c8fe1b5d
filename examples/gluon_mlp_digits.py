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

from digits_common import gluon_main, train_gluon

import mxcore as mx
from mxcore.gluon import nn


def build_net() -> nn.Sequential:
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(128, activation="relu"))
        net.add(nn.Dense(64, activation="relu"))
        net.add(nn.Dense(10))
    return net


def train(epochs: int, batch_size: int, lr: float, optimizer: str, ctx: mx.Context,
          seed: int) -> float:
    return train_gluon(build_net, epochs, batch_size, lr, optimizer, ctx, seed)


def main() -> None:
    gluon_main(__doc__, build_net)


if __name__ == "__main__":
    main()
