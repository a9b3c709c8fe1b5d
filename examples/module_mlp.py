"""Train a symbolic MLP with the Module API on scikit-learn's digits, MXNet 1.x style.

    python examples/module_mlp.py [--epochs 10] [--batch-size 32] [--lr 0.1]
                                  [--ctx cpu] [--num-devices 1] [--seed 0]

The program is MXNet 1.x's classic symbolic loop: variables ``data``, ``softmax_label``, ``w``
and ``b``; ``FullyConnected(weight=w, bias=b)`` -> ReLU -> ``FullyConnected`` ->
``SoftmaxOutput``; a ``Module`` bound to an ``NDArrayIter``, Xavier-initialised (``w`` and
``b`` are initialised by the role they play), then ``forward`` / ``update_metric`` /
``backward`` / ``update`` per batch with SGD at learning rate 0.1. ``--num-devices 2`` splits
each batch over two contexts of the ``--ctx`` type (data parallelism). Each epoch prints the
training and test accuracy; the last lines give the final ones. Only the import differs from
MXNet code.
"""

from __future__ import annotations

import time
from typing import List

from digits_common import add_ctx_seed, load_digits_split, new_parser, run_timed

import mxcore as mx


def build_symbol(hidden: int = 64, num_classes: int = 10) -> mx.sym.Symbol:
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    w = mx.sym.Variable("w")
    b = mx.sym.Variable("b")
    net = mx.sym.FullyConnected(data=data, weight=w, bias=b, num_hidden=hidden, name="fc1")
    net = mx.sym.Activation(data=net, act_type="relu", name="relu1")
    net = mx.sym.FullyConnected(data=net, num_hidden=num_classes, name="fc2")
    return mx.sym.SoftmaxOutput(data=net, label=label, name="softmax")


def train(epochs: int, batch_size: int, lr: float, contexts: List[mx.Context],
          seed: int) -> float:
    """Train and return the final training accuracy."""
    mx.random.seed(seed)
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    print(f"digits: {len(y_train)} train, {len(y_test)} test, contexts "
          f"{', '.join(str(c) for c in contexts)}")
    train_iter = mx.io.NDArrayIter(x_train, y_train, batch_size=batch_size, shuffle=True)
    test_iter = mx.io.NDArrayIter(x_test, y_test, batch_size=256)

    mod = mx.mod.Module(build_symbol(), data_names=("data",),
                        label_names=("softmax_label",), context=contexts)
    mod.bind(data_shapes=train_iter.provide_data, label_shapes=train_iter.provide_label)
    mod.init_params(initializer=mx.init.Xavier())
    mod.init_optimizer(optimizer="sgd", optimizer_params=(("learning_rate", lr),))
    metric = mx.metric.Accuracy()

    train_acc = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_iter.reset()
        metric.reset()
        for batch in train_iter:
            mod.forward(batch, is_train=True)
            mod.update_metric(metric, batch.label)
            mod.backward()
            mod.update()
        train_acc = metric.get()[1]
        # predict drops the padding of the last batch (score's metric would count it)
        predicted = mod.predict(test_iter).asnumpy().argmax(axis=1)
        test_acc = float((predicted == y_test).mean())
        print(f"epoch {epoch:2d}  train acc {train_acc:.4f}  test acc {test_acc:.4f}  "
              f"({time.perf_counter() - start:.2f} s)")
    print(f"final train accuracy {train_acc:.4f}")
    print(f"final test accuracy {test_acc:.4f}")
    return train_acc


def main() -> None:
    parser = new_parser(__doc__)
    parser.add_argument("--batch-size", type=int, default=32, help="mini-batch size")
    parser.add_argument("--lr", type=float, default=0.1, help="SGD learning rate")
    parser.add_argument("--num-devices", type=int, default=1,
                        help="contexts to split each batch over (data parallelism)")
    add_ctx_seed(parser, "seed for split, init, shuffle")
    args = parser.parse_args()
    if args.num_devices < 1:
        parser.error("--num-devices must be at least 1")

    def job(ctx: mx.Context) -> float:
        contexts = [mx.Context(ctx.device_type, i) for i in range(args.num_devices)]
        return train(args.epochs, args.batch_size, args.lr, contexts, args.seed)

    run_timed(parser, job, args.ctx)


if __name__ == "__main__":
    main()
