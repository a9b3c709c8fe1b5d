"""mxcore CPU benchmarks against raw NumPy and PyTorch (CPU), measured in one run.

    python bench/run.py [--quick] [--json OUT.json]

Every number is the median of several repeats of a timed loop; ratios compare columns of
the same run. Everything runs on one thread (BLAS and PyTorch) so the comparison is fair:

(a) dispatch: ``a + b`` on (64,) float32; the same under ``autograd.record()``; and one
    training-style step ``(x*w+b).sum()`` + backward (mxcore vs PyTorch);
(b) kernels: 1M-element ``a*b+c`` and a 1024x1024 float32 matmul (vs NumPy);
(c) engines: the dispatch benchmarks under NaiveEngine and ThreadedEngine, which is why
    NaiveEngine is the default on the NumPy backend;
(d) gluon: one training step of an MLP and of a LeNet-style CNN (``bench/bench_gluon.py``);
(e) symbolic: the MLP's training step through Module and hybridized Gluon
    (``bench/bench_symbolic.py``, which also reports the executor's memory plan).

PyTorch columns are skipped with a note when ``torch`` is not importable
(``pip install torch==2.13.0`` for the CPU build).
"""

from __future__ import annotations

import os
import sys

# one thread everywhere, set before NumPy loads its BLAS. OPENBLAS_CORETYPE/L2_SIZE (set on
# some machines to work around old OpenBLAS bugs) slow a current NumPy: dropped for this
# process only, and the kernel actually used is printed.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Callable, Dict, List, Optional, Tuple  # noqa: E402

import numpy as np  # noqa: E402

import mxcore as mx  # noqa: E402

try:
    import threadpoolctl
except ImportError:  # pragma: no cover - optional
    threadpoolctl = None

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - optional
    torch = None

Timer = Callable[[], object]


def measure(fn: Timer, sync: Callable[[], None] = lambda: None, repeat: int = 7,
            budget: float = 0.1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` loops of about ``budget`` seconds."""
    fn()
    sync()
    number = 1
    while True:  # calibrate: calls per loop so that one loop takes about ``budget``
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        elapsed = time.perf_counter() - start
        if elapsed >= budget / 4 or number >= 1 << 20:
            break
        number *= 4
    number = max(1, int(number * budget / max(elapsed, 1e-9)))
    times: List[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


class Row:
    """One benchmark: seconds per call for each implementation (None: not measured)."""

    def __init__(self, name: str, unit: str = "us"):
        self.name = name
        self.unit = unit
        self.times: Dict[str, Optional[float]] = {}


# -- (a) dispatch --------------------------------------------------------------------------------
def bench_dispatch(repeat: int, budget: float) -> List[Row]:
    rows = []
    host_a = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    host_b = np.random.default_rng(1).standard_normal(64).astype(np.float32)

    row = Row("a + b, (64,) float32")
    a, b = mx.nd.array(host_a), mx.nd.array(host_b)
    row.times["mxcore"] = measure(lambda: a + b, mx.nd.waitall, repeat, budget)
    row.times["numpy"] = measure(lambda: host_a + host_b, repeat=repeat, budget=budget)
    if torch is not None:
        ta, tb = torch.from_numpy(host_a), torch.from_numpy(host_b)
        row.times["torch"] = measure(lambda: ta + tb, repeat=repeat, budget=budget)
    rows.append(row)

    row = Row("a + b, recording (a needs grad)")
    ga = mx.nd.array(host_a)
    ga.attach_grad()

    with mx.autograd.record():  # one scope around the loop, like torch's grad mode
        row.times["mxcore"] = measure(lambda: ga + b, mx.nd.waitall, repeat, budget)
    if torch is not None:
        tga = torch.from_numpy(host_a.copy()).requires_grad_()
        row.times["torch"] = measure(lambda: tga + tb, repeat=repeat, budget=budget)
    rows.append(row)

    row = Row("(x*w+b).sum() + backward, (64,)")
    x, w, bias = (mx.nd.array(v) for v in (host_a, host_b, host_a[:1]))
    for v in (x, w, bias):
        v.attach_grad()

    def mx_step():
        with mx.autograd.record():
            loss = (x * w + bias).sum()
        loss.backward()

    row.times["mxcore"] = measure(mx_step, mx.nd.waitall, repeat, budget)
    if torch is not None:
        tx, tw, tbias = (torch.from_numpy(v.copy()).requires_grad_()
                         for v in (host_a, host_b, host_a[:1]))

        def torch_step():
            loss = (tx * tw + tbias).sum()
            loss.backward()

        row.times["torch"] = measure(torch_step, repeat=repeat, budget=budget)
    rows.append(row)
    return rows


# -- (b) kernels -----------------------------------------------------------------------------
def bench_kernels(repeat: int, budget: float) -> List[Row]:
    rows = []
    rng = np.random.default_rng(2)
    n = 1 << 20
    ha, hb, hc = (rng.standard_normal(n).astype(np.float32) for _ in range(3))
    row = Row("a*b+c, 1M float32", unit="ms")
    a, b, c = (mx.nd.array(v) for v in (ha, hb, hc))
    row.times["mxcore"] = measure(lambda: a * b + c, mx.nd.waitall, repeat, budget)
    row.times["numpy"] = measure(lambda: ha * hb + hc, repeat=repeat, budget=budget)
    if torch is not None:
        ta, tb, tc = (torch.from_numpy(v) for v in (ha, hb, hc))
        row.times["torch"] = measure(lambda: ta * tb + tc, repeat=repeat, budget=budget)
    rows.append(row)

    row = Row("matmul 1024x1024 float32", unit="ms")
    hm = rng.standard_normal((1024, 1024)).astype(np.float32)
    hn = rng.standard_normal((1024, 1024)).astype(np.float32)
    m, k = mx.nd.array(hm), mx.nd.array(hn)
    row.times["mxcore"] = measure(lambda: mx.nd.dot(m, k), mx.nd.waitall, repeat, budget)
    row.times["numpy"] = measure(lambda: hm @ hn, repeat=repeat, budget=budget)
    if torch is not None:
        tm, tk = torch.from_numpy(hm), torch.from_numpy(hn)
        row.times["torch"] = measure(lambda: tm @ tk, repeat=repeat, budget=budget)
    rows.append(row)
    return rows


# -- (c) engines -----------------------------------------------------------------------------
def _engine_times(repeat: int, budget: float) -> Dict[str, float]:
    """The dispatch benchmarks under the engine in use."""
    host = np.arange(64, dtype=np.float32)
    a, b = mx.nd.array(host), mx.nd.array(host)
    x, w = mx.nd.array(host), mx.nd.array(host)
    x.attach_grad()
    w.attach_grad()

    def step():
        with mx.autograd.record():
            loss = (x * w + 1).sum()
        loss.backward()

    times = {"add": measure(lambda: a + b, mx.nd.waitall, repeat, budget),
             "step": measure(step, mx.nd.waitall, repeat, budget)}
    mx.nd.waitall()
    return times


def bench_engines(repeat: int, budget: float) -> List[Row]:
    previous = mx.engine.get()
    results: Dict[str, Dict[str, float]] = {}
    try:
        for name in ("NaiveEngine", "ThreadedEngine"):
            mx.engine.set_engine(name)
            results[name] = _engine_times(repeat, budget)
    finally:
        mx.engine.set_engine(previous)
    rows = []
    for key, label in (("add", "a + b (64,)"), ("step", "(x*w+1).sum() + backward")):
        row = Row(f"engines: {label}")
        for name in results:
            row.times[name] = results[name][key]
        rows.append(row)
    return rows


# -- report ----------------------------------------------------------------------------------
_SCALE = {"us": 1e6, "ms": 1e3}


def _fmt(seconds: Optional[float], unit: str) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * _SCALE[unit]:.2f} {unit}"


def _ratio(num: Optional[float], den: Optional[float]) -> str:
    if num is None or den is None:
        return "-"
    return f"{num / den:.2f}x"


def render(rows: List[Row]) -> str:
    header = ["benchmark", "mxcore", "numpy", "torch", "mxcore/numpy", "mxcore/torch"]
    table = []
    for row in rows:
        if "mxcore" not in row.times:
            continue
        t = row.times
        table.append([row.name, _fmt(t.get("mxcore"), row.unit),
                      _fmt(t.get("numpy"), row.unit), _fmt(t.get("torch"), row.unit),
                      _ratio(t.get("mxcore"), t.get("numpy")),
                      _ratio(t.get("mxcore"), t.get("torch"))])
    engine_rows = [r for r in rows if "NaiveEngine" in r.times]
    lines = _table(header, table)
    if engine_rows:
        lines.append("")
        header = ["benchmark", "NaiveEngine", "ThreadedEngine", "Threaded/Naive"]
        table = [[r.name, _fmt(r.times["NaiveEngine"], r.unit),
                  _fmt(r.times["ThreadedEngine"], r.unit),
                  _ratio(r.times["ThreadedEngine"], r.times["NaiveEngine"])]
                 for r in engine_rows]
        lines.extend(_table(header, table))
    return "\n".join(lines)


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def environment() -> Dict[str, object]:
    info: Dict[str, object] = {
        "python": platform.python_version(), "numpy": np.__version__,
        "mxcore": mx.__version__, "engine_default": type(mx.engine.get()).__name__,
        "torch": torch.__version__ if torch is not None else None,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "cpu": platform.processor() or platform.machine(),
    }
    if threadpoolctl is not None:
        info["blas"] = [{k: p.get(k) for k in ("internal_api", "architecture", "num_threads",
                                               "version")}
                        for p in threadpoolctl.threadpool_info()]
    return info


def parse_args(description: str, quick: Tuple[int, float], full: Tuple[int, float],
               argv: Optional[List[str]] = None) -> Tuple[int, float, Optional[str]]:
    """``(repeat, budget, json_path)`` from a benchmark's command line: ``--quick`` picks
    ``quick`` instead of ``full``; ``--json`` names a file for the results."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--json", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    repeat, budget = quick if args.quick else full
    return repeat, budget, args.json


def write_json(path: str, env: Dict[str, object], rows: List[Row]) -> None:
    """Write the environment and the rows' seconds to ``path``."""
    with open(path, "w") as fh:
        json.dump({"environment": env, "results": [
            {"name": r.name, "unit": r.unit, "seconds": r.times} for r in rows]}, fh, indent=2)


def run_main(description: str, collect: Callable[[int, float], List[Row]],
             quick: Tuple[int, float], full: Tuple[int, float],
             render_rows: Callable[[List[Row]], str] = render,
             argv: Optional[List[str]] = None) -> int:
    """The command line of a benchmark script (see :func:`parse_args`): rows from
    ``collect(repeat, budget)`` are measured on one thread, printed as a table and, with
    ``--json``, written to a file."""
    repeat, budget, json_path = parse_args(description, quick, full, argv)
    limiter = threadpoolctl.threadpool_limits(1) if threadpoolctl is not None else None
    env = environment()
    print("environment:", json.dumps(env))
    if torch is None:
        print("note: torch is not importable; PyTorch columns are skipped "
              "(pip install torch==2.13.0)")
    rows = collect(repeat, budget)
    print(f"median of {repeat} repeats, one thread; lower is better\n")
    print(render_rows(rows))
    if limiter is not None:
        limiter.restore_original_limits()
    if json_path:
        write_json(json_path, env, rows)
    return 0


def _all_rows(repeat: int, budget: float) -> List[Row]:
    from bench_gluon import bench_gluon  # bench/ is on sys.path when run as a script
    from bench_symbolic import run_rows

    return bench_dispatch(repeat, budget) + bench_kernels(repeat, budget) \
        + bench_gluon(repeat, budget) + run_rows(repeat, budget) + bench_engines(repeat, budget)


def main(argv: Optional[List[str]] = None) -> int:
    return run_main("mxcore CPU benchmarks", _all_rows, (3, 0.02), (7, 0.1), argv=argv)


if __name__ == "__main__":
    sys.exit(main())
