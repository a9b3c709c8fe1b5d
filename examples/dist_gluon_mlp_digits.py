"""Train the digits MLP of gluon_mlp_digits.py data-parallel on several processes (MPI).

    mpiexec -n 2 python examples/dist_gluon_mlp_digits.py [--epochs 10] [--batch-size 32]
    mxcore-launch -n 4 examples/dist_gluon_mlp_digits.py --kvstore dist_sync
    mxcore-launch -n 2 -s 1 examples/dist_gluon_mlp_digits.py --kvstore dist_async
    ... --checkpoint ckpt/digits            # save after every epoch (rank 0)
    ... --checkpoint ckpt/digits --resume 3 # continue from the end of epoch 3

Every worker reads the same split (same seed) and trains on its own part of the train set
(``SplitSampler(len, num_workers, rank)``, shuffled per epoch from the seed, so a run resumed
from a checkpoint matches an uninterrupted one); ``gluon.Trainer(kvstore='dist_sync')`` starts all
workers from rank 0's weights and sums the gradients of all workers at every step, so the
result equals one process training with a batch ``num_workers`` times larger. Rank 0 draws
the progress bars, evaluates on the test set and reports which share of the step time went
to communication.
"""

from __future__ import annotations

import os
import time

from digits_common import (
    ProgressBar,
    add_trainer_args,
    evaluate,
    learning_rate,
    load_digits_split,
    new_parser,
    train_epoch,
)
from gluon_mlp_digits import build_net

import mxcore as mx
from mxcore import gluon


def train(kvstore: str, epochs: int, batch_size: int, lr: float, optimizer: str,
          ctx: mx.Context, seed: int, checkpoint: str = "", resume: int = 0) -> float:
    begin = time.perf_counter()
    kv = mx.kv.create(kvstore)
    rank, workers = kv.rank, kv.num_workers
    mx.random.seed(seed)  # the same weights everywhere (rank 0's are broadcast anyway)
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    dataset = gluon.data.ArrayDataset(x_train, y_train)
    train_data = gluon.data.DataLoader(
        dataset, batch_size=batch_size,
        sampler=gluon.data.SplitSampler(len(dataset), workers, rank))
    test_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_test, y_test), batch_size=256)
    if rank == 0:
        print(f"digits: {len(y_train)} train ({len(train_data)} batches of {batch_size} per "
              f"worker), {len(y_test)} test; {workers} workers, kvstore {kvstore}")

    net = build_net()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net(mx.nd.zeros((1, x_train.shape[1]), ctx=ctx))  # shapes known: weights broadcast now
    if resume:
        net.load_parameters(f"{checkpoint}-{resume:04d}.params", ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), optimizer, {"learning_rate": lr},
                            kvstore=kv)
    if resume:
        trainer.load_states(f"{checkpoint}-{resume:04d}.states")
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    metric = mx.metric.Accuracy()

    test_acc = 0.0
    for epoch in range(resume + 1, epochs + 1):
        # the shuffle of each epoch depends only on (seed, epoch, rank): a resumed run
        # sees the same batches as an uninterrupted one
        mx.random.seed(seed + 1000 * epoch + rank)
        start = time.perf_counter()
        comm_before = getattr(kv, "comm_seconds", 0.0)
        bar = ProgressBar(len(train_data), f"epoch {epoch:2d}/{epochs}")
        # steps over the global batch (workers times ours): gradients averaged
        mean_loss = train_epoch(net, loss_fn, trainer, metric, train_data, ctx,
                                bar if rank == 0 else None, batch_scale=workers)
        elapsed = time.perf_counter() - start
        comm = getattr(kv, "comm_seconds", 0.0) - comm_before
        if checkpoint and rank == 0:
            os.makedirs(os.path.dirname(os.path.abspath(checkpoint)), exist_ok=True)
            net.save_parameters(f"{checkpoint}-{epoch:04d}.params")
            trainer.save_states(f"{checkpoint}-{epoch:04d}.states")
        kv.barrier()
        if rank == 0:
            test_acc = evaluate(net, test_data, ctx)
            bar.finish(f"loss {mean_loss:.4f}  train acc {metric.get()[1]:.4f}  "
                       f"test acc {test_acc:.4f}  ({elapsed:.2f} s, communication "
                       f"{100 * comm / elapsed:.0f}% of it)")
    if rank == 0:
        print(f"final test accuracy {test_acc:.4f}")
        print(f"total time {time.perf_counter() - begin:.2f} s")
    return test_acc


def main() -> None:
    parser = new_parser(__doc__)
    add_trainer_args(parser, "mini-batch per worker")
    parser.add_argument("--kvstore", default="dist_sync",
                        choices=("dist_sync", "dist_sync_device", "dist_async"))
    parser.add_argument("--ctx", default="cpu", help="device type (device 0 on each rank)")
    parser.add_argument("--seed", type=int, default=0, help="seed for split and init")
    parser.add_argument("--checkpoint", default="", help="path prefix to save every epoch")
    parser.add_argument("--resume", type=int, default=0,
                        help="continue from this epoch's checkpoint")
    args = parser.parse_args()
    if args.resume and not args.checkpoint:
        parser.error("--resume needs --checkpoint")
    lr = learning_rate(args)
    train(args.kvstore, args.epochs, args.batch_size, lr, args.optimizer,
          mx.Context(args.ctx, 0), args.seed, args.checkpoint, args.resume)


if __name__ == "__main__":
    main()
