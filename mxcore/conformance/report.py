"""The coverage report: an op × column matrix (columns are dtypes, ``grad`` and ``error``)
of statuses, with totals, written as JSON and as a readable text table.

A cell holds the worst status of the results in it: fail, then not implemented, then
unsupported, then pass.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .case import ALL_DTYPES
from .runner import FAIL, NOT_IMPLEMENTED, PASS, STATUSES, UNSUPPORTED, Result

__all__ = ["build_report", "format_text", "write_report", "totals", "missing_primitives",
           "run_suite", "SYMBOLS"]

#: how each status is written in the text table
SYMBOLS = {PASS: "ok", FAIL: "FAIL", NOT_IMPLEMENTED: "n/i", UNSUPPORTED: "unsup"}
_WORST_FIRST = (FAIL, NOT_IMPLEMENTED, UNSUPPORTED, PASS)
_COLUMN_ORDER = tuple(ALL_DTYPES) + ("grad", "error")
_MISSING = (re.compile(r"primitive '(\w+)' not implemented"),
            re.compile(r"^(\w+): primitive not implemented"))


def totals(results: Iterable[Result]) -> Dict[str, int]:
    """Number of results per status (every status present, zeros included)."""
    counts = {s: 0 for s in STATUSES}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def _columns(results: Sequence[Result]) -> List[str]:
    present = {r.column for r in results}
    ordered = [c for c in _COLUMN_ORDER if c in present]
    return ordered + sorted(present - set(ordered))


def _matrix(results: Sequence[Result]) -> Dict[str, Dict[str, str]]:
    cells: Dict[str, Dict[str, List[str]]] = {}
    for r in results:
        cells.setdefault(r.op, {}).setdefault(r.column, []).append(r.status)
    return {op: {col: next(s for s in _WORST_FIRST if s in statuses)
                 for col, statuses in cols.items()}
            for op, cols in sorted(cells.items())}


def missing_primitives(results: Iterable[Result]) -> Dict[str, int]:
    """Primitive name -> number of "not implemented" results that name it."""
    counts: Dict[str, int] = {}
    for r in results:
        if r.status != NOT_IMPLEMENTED:
            continue
        for pattern in _MISSING:
            m = pattern.search(r.message)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
                break
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def build_report(results: Sequence[Result], backend: Any,
                 load_errors: Sequence[Tuple[str, str]] = (),
                 ops_without_cases: Sequence[str] = (),
                 registry_errors: Sequence[str] = ()) -> Dict[str, Any]:
    """The report as a JSON-ready dict.

    ``load_errors`` are (area, message) for case modules that failed to import; they count as
    failures.
    """
    from .. import __version__

    matrix = _matrix(results)
    cell_totals = {s: 0 for s in STATUSES}
    for cols in matrix.values():
        for status in cols.values():
            cell_totals[status] += 1
    counts = totals(results)
    counts[FAIL] += len(load_errors)
    return {
        "backend": {"name": backend.name, "device_type": backend.device_type,
                    "version": str(backend.version),
                    "dtypes": sorted(str(d) for d in backend.dtypes)},
        "mxcore_version": __version__,
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "totals": counts,
        "cell_totals": cell_totals,
        "columns": _columns(results),
        "matrix": matrix,
        "missing_primitives": missing_primitives(results),
        "load_errors": [{"area": a, "message": m} for a, m in load_errors],
        "ops_without_cases": list(ops_without_cases),
        "registry_errors": list(registry_errors),
        "results": [r.to_dict() for r in results],
    }


def _totals_line(counts: Dict[str, int]) -> str:
    total = sum(counts.values())
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES) + f" ({total} total)"


def format_text(report: Dict[str, Any], max_message_lines: int = 6) -> str:
    """The report as a text table followed by totals, missing primitives and failures."""
    b = report["backend"]
    cols = report["columns"]
    lines = [f"mxcore conformance report: backend {b['name']} (device type "
             f"{b['device_type']}, version {b['version']}), mxcore {report['mxcore_version']}, "
             f"{report['generated']}", ""]
    matrix = report["matrix"]
    width = max([len("op")] + [len(op) for op in matrix])
    widths = [max(len(c), 5) for c in cols]
    lines.append("op".ljust(width) + "  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    lines.append("-" * (width + 2 + sum(w + 2 for w in widths)))
    for op, row in matrix.items():
        cells = [SYMBOLS.get(row.get(c, ""), ".").ljust(w) for c, w in zip(cols, widths)]
        lines.append(op.ljust(width) + "  " + "  ".join(cells).rstrip())
    lines += ["", "legend: " + ", ".join(f"{sym} = {s}" for s, sym in SYMBOLS.items())
              + ", . = no case", "",
              "results: " + _totals_line(report["totals"]),
              "cells:   " + _totals_line(report["cell_totals"])]
    if report["missing_primitives"]:
        lines += ["", "missing primitives (number of 'not implemented' results):"]
        lines += [f"  {name}: {n}" for name, n in report["missing_primitives"].items()]
    if report["ops_without_cases"]:
        lines += ["", "registered ops without a conformance case: "
                  + ", ".join(report["ops_without_cases"])]
    for err in report["registry_errors"]:
        lines.append(f"backend registry: {err}")
    failures = [r for r in report["results"] if r["status"] == FAIL]
    if failures or report["load_errors"]:
        lines += ["", "failures:"]
        for err in report["load_errors"]:
            lines.append(f"  [{err['area']}] cases module failed to import: {err['message']}")
        for r in failures:
            msg = r["message"].splitlines() or [""]
            if len(msg) > max_message_lines:
                msg = msg[:max_message_lines] + [f"... ({len(msg) - max_message_lines} more "
                                                 "lines in the JSON report)"]
            lines.append(f"  [{r['area']}] {r['case']}-{r['column']}: {msg[0]}")
            lines += [f"      {m}" for m in msg[1:]]
    return "\n".join(lines) + "\n"


def write_report(report: Dict[str, Any], out_dir: str,
                 basename: Optional[str] = None) -> Tuple[str, str]:
    """Write ``<basename>.json`` and ``<basename>.txt`` into ``out_dir`` (created if needed;
    each file is written to a temporary name and renamed). Returns both paths."""
    os.makedirs(out_dir, exist_ok=True)
    base = basename or f"conformance-{report['backend']['name']}"
    paths = (os.path.join(out_dir, base + ".json"), os.path.join(out_dir, base + ".txt"))
    contents = (json.dumps(report, indent=1, sort_keys=False) + "\n", format_text(report))
    for path, text in zip(paths, contents):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    return paths


def run_suite(backend: str, ops: Optional[str] = None,
              areas: Optional[Sequence[str]] = None) -> Tuple[List[Result], Dict[str, Any]]:
    """Run every case (or those of ``areas`` whose op matches ``ops``) on ``backend``.

    Returns the results and the report dict. Raises BackendUnavailableError when the backend
    cannot run here and BackendNotInstalled (a ValueError) when it is not installed.
    """
    from ..backend.registry import registry
    from .runner import Runner, case_areas, load_suite, ops_without_cases, select_ops

    if areas is not None:
        unknown = sorted(set(areas) - set(case_areas()))
        if unknown:
            raise ValueError(f"unknown case areas {unknown}; known: {case_areas()}")
    runner = Runner(backend)
    items, cases, load_errors = load_suite(areas)
    results = runner.run_all(select_ops(items, ops))
    report = build_report(results, runner.backend, load_errors,
                          ops_without_cases(cases) if areas is None and not ops else (),
                          registry().errors)
    return results, report
