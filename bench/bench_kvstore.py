"""kvstore benchmark: ``dist_sync`` pushpull against a raw mpi4py Allreduce, same run.

    python bench/bench_kvstore.py [--ranks 2 4] [--sizes-mb 1 64] [--repeat 15] [--json OUT]

For each rank count the script starts itself under mpiexec. Every rank times, alternately,
``comm.Allreduce(MPI.IN_PLACE, buf)`` on a float32 NumPy buffer and
``kv.pushpull(key, arr, out=arr)`` on an NDArray of the same size (so both see the same
machine load); rank 0 reports the medians and the ratio (target: pushpull within 1.2x of
raw MPI). It then runs ``examples/dist_gluon_mlp_digits.py`` on 2 workers for 2 epochs and
reports the share of the step time spent communicating. Oversubscribed machines (more ranks
than cores) make every MPI number slower, raw and kvstore alike; the ratio is what counts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]


def _worker(sizes_mb: List[float], repeat: int) -> None:
    import numpy as np
    from mpi4py import MPI

    import mxcore as mx

    kv = mx.kv.create("dist_sync")
    comm = MPI.COMM_WORLD
    rows = []
    for i, size_mb in enumerate(sizes_mb):
        n = int(size_mb * 2**20) // 4
        buf = np.ones(n, dtype=np.float32)
        arr = mx.nd.ones((n,))
        kv.init(i, arr)
        raw, ours = [], []
        for r in range(repeat + 2):  # two warm-up rounds
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            t1 = time.perf_counter()
            comm.Barrier()
            t2 = time.perf_counter()
            kv.pushpull(i, arr, out=arr)
            arr.wait_to_read()
            t3 = time.perf_counter()
            if r >= 2:
                raw.append(t1 - t0)
                ours.append(t3 - t2)
            buf[:] = 1.0
            arr[:] = 1.0
        check = kv.num_workers
        kv.pushpull(i, arr, out=arr)
        ok = bool(np.allclose(arr.asnumpy()[:4], check))
        rows.append({"size_mb": size_mb, "raw_s": statistics.median(raw),
                     "kvstore_s": statistics.median(ours), "correct": ok})
    if kv.rank == 0:
        print("RESULT " + json.dumps({"ranks": kv.num_workers, "rows": rows}), flush=True)


def _mpiexec() -> str:
    sys.path.insert(0, str(ROOT))
    from mxcore.launch import find_mpiexec

    return find_mpiexec()


def bench_pushpull(ranks: int, sizes_mb: List[float], repeat: int, timeout: float) -> Dict:
    cmd = [_mpiexec(), "-n", str(ranks), sys.executable, __file__, "--worker", "--repeat",
           str(repeat), "--sizes-mb", *map(str, sizes_mb)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def bench_example(workers: int, epochs: int, timeout: float) -> Dict:
    """Per-step communication share of the distributed digits example (last epoch)."""
    cmd = [_mpiexec(), "-n", str(workers), sys.executable,
           str(ROOT / "examples" / "dist_gluon_mlp_digits.py"), "--epochs", str(epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    found = re.findall(r"\((\d+\.\d+) s, communication (\d+)% of it\)", proc.stdout)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"example failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    seconds, share = found[-1]
    steps = int(re.search(r"\((\d+) batches", proc.stdout).group(1))
    return {"workers": workers, "epoch_s": float(seconds), "steps": steps,
            "step_ms": 1000 * float(seconds) / steps, "communication_pct": int(share)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[1.0, 64.0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-example", action="store_true")
    args = parser.parse_args()
    if args.worker:
        _worker(args.sizes_mb, args.repeat)
        return
    results = {"cpus": os.cpu_count(), "pushpull": [], "example": None}
    print(f"dist_sync pushpull vs raw mpi4py Allreduce (float32, median of {args.repeat}; "
          f"{os.cpu_count()} CPUs)")
    print(f"{'ranks':>5} {'size':>7} {'raw MPI':>10} {'pushpull':>10} {'ratio':>6}")
    for ranks in args.ranks:
        res = bench_pushpull(ranks, args.sizes_mb, args.repeat, args.timeout)
        for row in res["rows"]:
            ratio = row["kvstore_s"] / row["raw_s"]
            row.update(ranks=ranks, ratio=ratio)
            results["pushpull"].append(row)
            flag = "" if row["correct"] else "  WRONG SUM"
            print(f"{ranks:>5} {row['size_mb']:>5g}MB {1e3 * row['raw_s']:>8.2f}ms "
                  f"{1e3 * row['kvstore_s']:>8.2f}ms {ratio:>5.2f}x{flag}")
    if not args.skip_example:
        ex = bench_example(2, 2, args.timeout)
        results["example"] = ex
        print(f"examples/dist_gluon_mlp_digits.py, {ex['workers']} workers: "
              f"{ex['step_ms']:.2f} ms/step, communication {ex['communication_pct']}% of it")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
