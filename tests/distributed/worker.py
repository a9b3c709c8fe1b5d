"""Programs the distributed tests run under mpiexec: ``python worker.py MODE OUTDIR [ARGS]``.

Each mode writes what the test checks to ``OUTDIR/<mode>-<rank>.npz`` (or ``.json``); the
test process compares. Models are tiny and runs are a few steps: the tests check equality of
results, not speed.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

import mxcore as mx
from mxcore import autograd, gluon

FEATURES, CLASSES, PER_WORKER, STEPS = 4, 3, 4, 3


def _data(num_workers: int, steps: int = STEPS):
    rng = np.random.RandomState(0)
    total = steps * PER_WORKER * num_workers
    x = rng.randn(total, FEATURES).astype(np.float32)
    y = rng.randint(0, CLASSES, size=total).astype(np.float32)
    return x, y


def _net(seed: int = 7) -> gluon.nn.HybridSequential:
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation="relu"), gluon.nn.Dense(CLASSES))
    net.initialize(mx.init.Xavier())
    net(mx.nd.zeros((1, FEATURES)))
    return net


def _params(net) -> dict:
    """Parameters by position (names carry per-process prefixes)."""
    return {f"p{i}": p.data().asnumpy() for i, p in enumerate(net.collect_params().values())}


def _train_step(net, trainer, x, y, batch) -> None:
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    with autograd.record():
        loss = loss_fn(net(mx.nd.array(x)), mx.nd.array(y))
    loss.backward()
    trainer.step(batch)


def _multi_step(net, trainer, x, y, ctxs, batch) -> None:
    """One step with the batch split over ``ctxs``."""
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    half = len(x) // len(ctxs)
    losses = []
    with autograd.record():
        for i, ctx in enumerate(ctxs):
            xs = mx.nd.array(x[i * half:(i + 1) * half], ctx=ctx)
            ys = mx.nd.array(y[i * half:(i + 1) * half], ctx=ctx)
            losses.append(loss_fn(net(xs), ys))
    autograd.backward(losses)
    trainer.step(batch)


def _save(out: str, mode: str, rank: int, **arrays) -> None:
    np.savez(os.path.join(out, f"{mode}-{rank}.npz"), **arrays)


# -- modes ---------------------------------------------------------------------------------------
def trainer(out: str) -> None:
    """Trainer(kvstore='dist_sync') with and without update_on_kvstore, and with two contexts
    per worker, vs one process."""
    kv = mx.kv.create("dist_sync")
    rank, workers = kv.rank, kv.num_workers
    x, y = _data(workers)
    global_batch = PER_WORKER * workers
    results = {}
    ctxs = [mx.cpu(0), mx.cpu(1)]
    for tag in ("kv", "local", "multi"):
        update_on_kvstore = tag != "local"
        net = _net(seed=7 + rank)  # different on purpose: init broadcasts rank 0's values
        ref = _net(seed=7)
        if tag == "multi":  # two contexts per worker: summed on the worker, then across
            net.collect_params().reset_ctx(ctxs)
        store = "dist_sync" if update_on_kvstore else kv
        tr = gluon.Trainer(net.collect_params(), "sgd",
                           {"learning_rate": 0.5, "momentum": 0.9, "wd": 1e-3},
                           kvstore=store, update_on_kvstore=update_on_kvstore)
        for s in range(STEPS):
            lo = s * global_batch + rank * PER_WORKER
            if tag == "multi":
                _multi_step(net, tr, x[lo:lo + PER_WORKER], y[lo:lo + PER_WORKER], ctxs,
                            global_batch)
            else:
                _train_step(net, tr, x[lo:lo + PER_WORKER], y[lo:lo + PER_WORKER],
                            global_batch)
        results.update({f"{tag}/{k}": v for k, v in _params(net).items()})
        if rank == 0 and tag == "kv":  # one process on the concatenated batches
            ref_tr = gluon.Trainer(ref.collect_params(), "sgd",
                                   {"learning_rate": 0.5, "momentum": 0.9, "wd": 1e-3},
                                   kvstore=None)
            for s in range(STEPS):
                lo = s * global_batch
                _train_step(ref, ref_tr, x[lo:lo + global_batch], y[lo:lo + global_batch],
                            global_batch)
            results.update({f"ref_{tag}/{k}": v for k, v in _params(ref).items()})
    _save(out, "trainer", rank, **results)


def _mlp_symbol():
    data = mx.sym.Variable("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=8, name="fc1"),
                          act_type="relu")
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=CLASSES, name="fc2"),
                                name="softmax")


def module(out: str) -> None:
    """Module.fit(kvstore='dist_sync') over NDArrayIter shards (one and two contexts per
    worker) vs one process."""
    kv = mx.kv.create("dist_sync")
    rank, workers = kv.rank, kv.num_workers
    x, y = _data(workers)
    opt_params = {"learning_rate": 0.5, "momentum": 0.9}
    ref = mx.mod.Module(_mlp_symbol())
    ref.bind(data_shapes=[("data", (PER_WORKER * workers, FEATURES))],
             label_shapes=[("softmax_label", (PER_WORKER * workers,))])
    mx.random.seed(3)
    ref.init_params(mx.init.Xavier())
    arg_params, aux_params = ref.get_params()
    train = mx.io.NDArrayIter(x, y, batch_size=PER_WORKER, num_parts=workers,
                              part_index=rank)
    results = {}
    for tag, context, store in (("mod", mx.cpu(), kv),
                                ("mod2", [mx.cpu(0), mx.cpu(1)], "dist_sync")):
        train.reset()
        mod = mx.mod.Module(_mlp_symbol(), context=context)
        mod.fit(train, kvstore=store, optimizer="sgd", optimizer_params=opt_params,
                arg_params=arg_params, aux_params=aux_params, num_epoch=2)
        results.update({f"{tag}/{k}": v.asnumpy()
                        for k, v in sorted(mod.get_params()[0].items())})
    if rank == 0:  # one process, each global batch = the workers' batches of that step
        part = len(x) // workers
        order = [r * part + s * PER_WORKER + i for s in range(part // PER_WORKER)
                 for r in range(workers) for i in range(PER_WORKER)]
        full = mx.io.NDArrayIter(x[order], y[order], batch_size=PER_WORKER * workers)
        ref.init_optimizer(kvstore="local", optimizer="sgd", optimizer_params=opt_params)
        for _ in range(2):
            full.reset()
            for batch in full:
                ref.forward_backward(batch)
                ref.update()
        results.update({f"ref/{k}": v.asnumpy()
                        for k, v in sorted(ref.get_params()[0].items())})
    _save(out, "module", rank, **results)


def compress(out: str) -> None:
    """2-bit compressed pushes on dist_sync: the pulled sums after two pushes."""
    kv = mx.kv.create("dist_sync")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    rank = kv.rank
    kv.init("g", mx.nd.zeros((6,)))
    pulled = []
    for step in range(3):
        grad = np.array([0.3, 0.6, -0.7, 0.2 * (rank + 1), 1.2, -0.26 * step],
                        dtype=np.float32)
        kv.push("g", mx.nd.array(grad))
        o = mx.nd.zeros((6,))
        kv.pull("g", out=o)
        pulled.append(o.asnumpy())
    _save(out, "compress", rank, pulled=np.stack(pulled))


def api(out: str) -> None:
    """The KVStore API on dist_sync: keys, lists, pushpull, broadcast, states, row_sparse."""
    kv = mx.kv.create("dist_sync")
    rank, workers = kv.rank, kv.num_workers
    res = {"rank": rank, "num_workers": workers, "type": kv.type}
    kv.init(["a", "b"], [mx.nd.ones((2, 3)) * (rank + 1), mx.nd.zeros((2,))])
    o = mx.nd.zeros((2, 3))
    kv.pull("a", out=o)
    res["init_a"] = o.asnumpy().tolist()  # rank 0's value everywhere
    kv.push(["a", "b"], [[mx.nd.ones((2, 3)), mx.nd.ones((2, 3))], mx.nd.ones((2,)) * rank])
    outs = [mx.nd.zeros((2, 3)), mx.nd.zeros((2, 3))]
    kv.pull("a", out=outs)
    res["push_a"] = [x.asnumpy().tolist() for x in outs]
    v = mx.nd.ones((2,)) * (rank + 1)
    kv.pushpull("b", v)
    res["pushpull_b"] = v.asnumpy().tolist()
    kv.init(7, mx.nd.zeros((2,)))
    w = mx.nd.zeros((2,))
    kv.pushpull(7, mx.nd.ones((2,)), out=w)
    res["pushpull_7"] = w.asnumpy().tolist()
    bo = mx.nd.zeros((3,))
    kv.broadcast("c", mx.nd.arange(3) + rank, out=bo)
    res["broadcast"] = bo.asnumpy().tolist()
    kv.init("rows", mx.nd.arange(8).reshape((4, 2)))
    rsp = mx.nd.sparse.zeros("row_sparse", (4, 2))
    kv.row_sparse_pull("rows", out=rsp, row_ids=mx.nd.array([3, 1]))
    res["rsp"] = rsp.asnumpy().tolist()
    kv.set_optimizer(mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9))
    kv.init(9, mx.nd.ones((2,)))
    kv.push(9, mx.nd.ones((2,)))
    path = os.path.join(out, "states")
    if rank == 0:
        kv.save_optimizer_states(path)
    kv.barrier()
    kv.push(9, mx.nd.ones((2,)))
    kv.load_optimizer_states(path)
    kv.push(9, mx.nd.ones((2,)))
    o9 = mx.nd.zeros((2,))
    kv.pull(9, out=o9)
    res["sgd_9"] = o9.asnumpy().tolist()
    kv.barrier()
    with open(os.path.join(out, f"api-{rank}.json"), "w") as f:
        json.dump(res, f)


def async_(out: str) -> None:
    """dist_async with a server rank: linear regression converges."""
    kv = mx.kv.create("dist_async")
    rank, workers = kv.rank, kv.num_workers
    rng = np.random.RandomState(1)
    w_true = np.array([[1.5, -2.0, 0.5]], dtype=np.float32)
    x = rng.randn(64 * workers, 3).astype(np.float32)
    y = x @ w_true.T
    net = gluon.nn.Dense(1, use_bias=False, in_units=3)
    net.initialize(mx.init.Zero())
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.5},
                       kvstore=kv)
    mine = slice(rank * 64, (rank + 1) * 64)
    loss_fn = gluon.loss.L2Loss()
    for _epoch in range(15):
        for b in range(0, 64, 16):
            xb = mx.nd.array(x[mine][b:b + 16])
            yb = mx.nd.array(y[mine][b:b + 16])
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            tr.step(16)
    kv.barrier()
    final = mx.nd.zeros((1, 3))
    kv.pull(0, out=final)
    # the servers' optimizer states: saved from every server, loaded back
    states = os.path.join(out, "async.states")
    if rank == 0:
        tr.save_states(states)
    kv.barrier()
    tr.load_states(states)
    # Module.fit on dist_async: the same regression through the symbolic API
    data = mx.sym.Variable("data")
    pred = mx.sym.FullyConnected(data, num_hidden=1, no_bias=True, name="fc")
    sym = mx.sym.LinearRegressionOutput(pred, name="lro")
    mod = mx.mod.Module(sym, label_names=["lro_label"])
    it = mx.io.NDArrayIter(x, y, batch_size=16, num_parts=workers, part_index=rank,
                           label_name="lro_label")
    mod.fit(it, kvstore="dist_async", optimizer="sgd",
            optimizer_params={"learning_rate": 0.1}, initializer=mx.init.Zero(), num_epoch=15)
    kv.barrier()
    mod_w = mod.get_params()[0]["fc_weight"].asnumpy()
    _save(out, "async", rank, w=final.asnumpy(), w_true=w_true, mod_w=mod_w)


def fault(out: str, how: str) -> None:
    """Rank 1 fails at step 3 (``raise``, ``kill`` or ``hang``); the others must stop."""
    kv = mx.kv.create("dist_sync")
    net = _net()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kv)
    x, y = _data(kv.num_workers, steps=50)
    for step in range(50):
        if kv.rank == 1 and step == 3:
            if how == "raise":
                raise ValueError("injected failure")
            if how == "kill":
                os.kill(os.getpid(), 9)
            if how == "hang":
                time.sleep(120)
        lo = step * PER_WORKER
        _train_step(net, tr, x[lo:lo + PER_WORKER], y[lo:lo + PER_WORKER], PER_WORKER)
    print(f"rank {kv.rank} finished all steps", flush=True)


def resume(out: str, total: str, die_at: str, start: str) -> None:
    """Train to step ``total`` with a checkpoint after every step (rank 0 writes it), from
    the checkpoint of step ``start`` if > 0; rank 1 is killed before step ``die_at``."""
    total_steps, die, begin = int(total), int(die_at), int(start)
    kv = mx.kv.create("dist_sync")
    rank, workers = kv.rank, kv.num_workers
    x, y = _data(workers, steps=total_steps)
    net = _net()
    ckpt = os.path.join(out, "ckpt")
    if begin > 0:
        net.load_parameters(f"{ckpt}-{begin:04d}.params")
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.3, "momentum": 0.9},
                       kvstore=kv)
    if begin > 0:
        tr.load_states(f"{ckpt}-{begin:04d}.states")
    g = PER_WORKER * workers
    for step in range(begin, total_steps):
        if rank == 1 and step == die:
            os.kill(os.getpid(), 9)
        lo = step * g + rank * PER_WORKER
        _train_step(net, tr, x[lo:lo + PER_WORKER], y[lo:lo + PER_WORKER], g)
        if rank == 0:
            net.save_parameters(f"{ckpt}-{step + 1:04d}.params")
            tr.save_states(f"{ckpt}-{step + 1:04d}.states")
        kv.barrier()
    _save(out, f"resume{begin}", rank, **_params(net))


def mismatch(out: str) -> None:
    """Workers that build different shapes for one key: a clear error, not garbage."""
    kv = mx.kv.create("dist_sync")
    kv.init("w", mx.nd.zeros((3, 2 + kv.rank)))
    kv.barrier()


def sparse(out: str) -> None:
    """SparseEmbedding (row_sparse weight) with Trainer(kvstore='dist_sync'): lazy Adam on the
    store, vs one process on the concatenated batches."""
    kv = mx.kv.create("dist_sync")
    rank, workers = kv.rank, kv.num_workers
    rng = np.random.RandomState(3)
    idx = rng.randint(0, 12, size=(STEPS, workers * PER_WORKER, 2)).astype(np.float32)
    opt = {"learning_rate": 0.1, "wd": 0.01}

    def model(seed):
        emb = gluon.contrib.nn.SparseEmbedding(20, 3)
        emb.initialize()
        emb.weight.set_data(mx.nd.array(np.random.RandomState(seed).randn(20, 3)))
        return emb

    def train(emb, trainer, shards, batch):
        for x in shards:
            with autograd.record():
                loss = ((emb(mx.nd.array(x)) - 1) ** 2).sum()
            loss.backward()
            trainer.step(batch)

    emb = model(seed=rank)  # rank 0's initial weight wins
    tr = gluon.Trainer(emb.collect_params(), "adam", opt, kvstore="dist_sync")
    lo, hi = rank * PER_WORKER, (rank + 1) * PER_WORKER
    train(emb, tr, [step[lo:hi] for step in idx], workers * PER_WORKER)
    results = {"weight": emb.weight._reduce().asnumpy()}
    if rank == 0:
        ref = model(seed=0)
        ref_tr = gluon.Trainer(ref.collect_params(), "adam", opt, kvstore="local")
        train(ref, ref_tr, list(idx), workers * PER_WORKER)
        results["ref"] = ref.weight._reduce().asnumpy()
        results["init"] = np.random.RandomState(0).randn(20, 3)
    _save(out, "sparse", rank, **results)


if __name__ == "__main__":
    mode, outdir, *rest = sys.argv[1:]
    {"trainer": trainer, "module": module, "compress": compress, "api": api,
     "async": async_, "fault": fault, "resume": resume, "mismatch": mismatch,
     "sparse": sparse}[mode](outdir, *rest)
