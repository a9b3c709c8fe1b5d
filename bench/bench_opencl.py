"""The OpenCL backend against the NumPy CPU backend and raw NumPy, measured in one run.

    python bench/bench_opencl.py [--quick] [--json OUT.json]

Rows (float32; the OpenCL columns include the device sync at the end of each timed loop):

(a) ``a + b`` on (64,): the per-op overhead (dispatch plus one kernel launch);
(b) ``a + b`` and ``a * b + c`` on 1M elements (one and two kernels);
(c) a 1024x1024 matmul (``mx.nd.dot``; NumPy calls its BLAS);
(d) one Gluon training step of the seed MLP 200 -> 128 (relu) -> 64 (relu) -> 10,
    batch 100, SGD (as ``bench/bench_gluon.py``), imperative and hybridized.

Unlike ``bench/run.py`` the kernel rows are not pinned to one thread: an OpenCL CPU device
(PoCL) runs on every core, so NumPy's BLAS keeps its default thread count too. The MLP rows
run the CPU backend on one BLAS thread (its small matmuls are fastest, and stable, that
way). The environment line says how many cores and which OpenCL device were used. Ratios
compare columns of this run (lower is better for OpenCL).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Callable, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_gluon  # noqa: E402  (the seed MLP and its Gluon step)
import run  # noqa: E402  (bench/run.py: measure, Row, tables)

import mxcore as mx  # noqa: E402

COLUMNS = ("opencl", "cpu", "numpy")


def _device() -> Optional[mx.Context]:
    from mxcore.backend.registry import registry

    try:
        backend = registry().get("opencl")
    except mx.MXNetError:
        return None
    return mx.opencl(0) if backend.available else None


def _sync(ctx: mx.Context) -> Callable[[], None]:
    backend = ctx.backend
    return lambda: backend.synchronize(ctx.device_id)


def _add(a, b):
    return a + b


def _fma(a, b, c):
    return a * b + c


def _matmul(a, b):
    return a @ b if isinstance(a, np.ndarray) else mx.nd.dot(a, b)


def bench_kernels(repeat: int, budget: float, size: int = 1 << 20,
                  matmul: int = 1024) -> List[run.Row]:
    """Element-wise and matmul rows on every column."""
    ctx = _device()
    rng = np.random.default_rng(0)
    small = [rng.standard_normal(64).astype(np.float32) for _ in range(2)]
    big = [rng.standard_normal(size).astype(np.float32) for _ in range(3)]
    mats = [rng.standard_normal((matmul, matmul)).astype(np.float32) for _ in range(2)]
    cases = [
        ("a + b, (64,)", "us", small, _add),
        (f"a + b, {size} elements", "ms", big[:2], _add),
        (f"a * b + c, {size} elements", "ms", big, _fma),
        (f"matmul {matmul}x{matmul}", "ms", mats, _matmul),
    ]
    rows = []
    for name, unit, hosts, fn in cases:
        row = run.Row(name, unit)
        row.times["numpy"] = run.measure(functools.partial(fn, *hosts), repeat=repeat,
                                         budget=budget)
        for col, dev in (("cpu", mx.cpu()), ("opencl", ctx)):
            if dev is not None:
                arrays = [mx.nd.array(h, ctx=dev) for h in hosts]
                row.times[col] = run.measure(functools.partial(fn, *arrays), _sync(dev),
                                             repeat, budget)
        rows.append(row)
    return rows


def mlp_step(ctx: mx.Context, data: np.ndarray, labels: np.ndarray,
             hybridize: bool) -> Callable[[], None]:
    """One Gluon training step of the seed MLP on ``ctx`` (``bench/bench_gluon.py``'s)."""
    net = bench_gluon._mlp_mxcore()
    if hybridize:
        net.hybridize()
    return bench_gluon.mxcore_step(net, data, labels, ctx)


def bench_mlp(repeat: int, budget: float, shape: tuple = (100, 200)) -> List[run.Row]:
    ctx = _device()
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape).astype(np.float32)
    labels = rng.integers(0, 10, size=shape[0]).astype(np.float32)
    rows = []
    # small matmuls: the CPU backend is fastest (and stable) on one BLAS thread
    limiter = run.threadpoolctl.threadpool_limits(1) if run.threadpoolctl else None
    for hybridize in (False, True):
        row = run.Row(f"MLP step {shape[1]}-128-64-10, batch {shape[0]}"
                      + (", hybridized" if hybridize else ""), "ms")
        for col, dev in (("cpu", mx.cpu()), ("opencl", ctx)):
            if dev is not None:
                row.times[col] = run.measure(mlp_step(dev, data, labels, hybridize),
                                             _sync(dev), repeat, budget)
        rows.append(row)
    if limiter is not None:
        limiter.restore_original_limits()
    return rows


def collect(repeat: int, budget: float) -> List[run.Row]:
    return bench_kernels(repeat, budget) + bench_mlp(repeat, budget)


def render(rows: List[run.Row]) -> str:
    header = ["benchmark", "opencl", "cpu backend", "numpy", "opencl/numpy", "opencl/cpu"]
    table = [[r.name] + [run._fmt(r.times.get(c), r.unit) for c in COLUMNS]
             + [run._ratio(r.times.get("opencl"), r.times.get("numpy")),
                run._ratio(r.times.get("opencl"), r.times.get("cpu"))] for r in rows]
    return "\n".join(run._table(header, table))


def environment() -> dict:
    env = {"cores": os.cpu_count()}
    ctx = _device()
    if ctx is None:
        env["opencl"] = "unavailable"
    else:
        device = ctx.backend.rt.device
        env["opencl"] = f"{device.platform.name} {device.platform.version} / {device.name}"
        env["compute_units"] = device.max_compute_units
    return env


def main(argv: Optional[List[str]] = None) -> int:
    import json

    repeat, budget, json_path = run.parse_args("OpenCL backend vs CPU backend and NumPy",
                                               (3, 0.1), (7, 0.5), argv)
    env = environment()
    print("environment:", json.dumps(env))
    rows = collect(repeat, budget)
    print(f"median of {repeat} repeats; default thread counts; lower is better\n")
    print(render(rows))
    if json_path:
        run.write_json(json_path, env, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
