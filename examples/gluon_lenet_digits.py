"""Train a LeNet-style Gluon CNN on scikit-learn's bundled digits, MXNet 1.x style.

    python examples/gluon_lenet_digits.py [--epochs 10] [--batch-size 32] [--lr 0.001]
                                          [--optimizer adam] [--ctx cpu] [--seed 0]

The 8x8 digit images (1797 of them, shipped with scikit-learn: no download) are split 80/20
into train and test sets, standardised with the train set's statistics and shaped
(1, 8, 8). The network is ``nn.HybridSequential``: Conv2D(20, 3x3, pad 1, relu) ->
MaxPool2D -> Conv2D(50, 3x3, pad 1, relu) -> MaxPool2D -> Flatten -> Dense(128, relu) ->
Dense(10), Xavier-initialised and trained with ``SoftmaxCrossEntropyLoss`` and a
``gluon.Trainer`` over a ``DataLoader``. Each epoch draws a progress bar; the last line is
the final test accuracy. Only the import differs from MXNet code.
"""

from __future__ import annotations

from digits_common import gluon_main, train_gluon

import mxcore as mx
from mxcore.gluon import nn


def build_net() -> nn.HybridSequential:
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(channels=20, kernel_size=3, padding=1, activation="relu"))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(nn.Conv2D(channels=50, kernel_size=3, padding=1, activation="relu"))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(nn.Flatten())
        net.add(nn.Dense(128, activation="relu"))
        net.add(nn.Dense(10))
    return net


def train(epochs: int, batch_size: int, lr: float, optimizer: str, ctx: mx.Context,
          seed: int) -> float:
    return train_gluon(build_net, epochs, batch_size, lr, optimizer, ctx, seed,
                       sample_shape=(1, 8, 8), hybridize=True)


def main() -> None:
    gluon_main(__doc__, build_net, sample_shape=(1, 8, 8), hybridize=True)


if __name__ == "__main__":
    main()
