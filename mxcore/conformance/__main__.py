"""``python -m mxcore.conformance`` / ``mxcore-conformance``: run the suite on one backend.

Exit status: 0 when nothing failed (not implemented and unsupported do not count), 1 when
any result failed, 2 for a usage error or an unknown backend, 3 when the backend is
installed but cannot run here (the reason is printed and written to the report folder).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional, Sequence

from ..base import BackendUnavailableError
from .report import run_suite, write_report

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mxcore-conformance",
        description="Run the mxcore conformance suite against one backend and write a "
                    "coverage report (JSON and text).")
    p.add_argument("--backend", help="backend name (e.g. cpu_numpy) or device type (e.g. cpu)")
    p.add_argument("--out", default="conformance-report",
                   help="folder for conformance-<backend>.json/.txt (default: %(default)s)")
    p.add_argument("--ops", default=None,
                   help="only ops matching these comma-separated globs, e.g. 'broadcast_*,dot'")
    p.add_argument("--areas", default=None,
                   help="only these comma-separated case areas, e.g. 'elemwise,reduce'")
    p.add_argument("--list-backends", action="store_true",
                   help="list the installed backends and plugin problems, then exit")
    p.add_argument("-v", "--verbose", action="store_true", help="print every failure")
    return p


def _list_backends() -> int:
    from ..backend.registry import list_backends, registry

    rows = list_backends()
    if not rows:
        print("no backends installed (pip install mxcore-cpu-numpy)")
    for row in rows:
        state = "available" if row["available"] else f"unavailable: {row['reason']}"
        print(f"{row['name']:<20} device type {row['device_type']:<10} version "
              f"{row['version']:<8} priority {row['priority']:<3} kernels {row['kernels']:<4} "
              f"{state}")
    for err in registry().errors:
        print(f"plugin problem: {err}")
    return 0


def _write_unavailable(out: str, name: str, reason: str) -> None:
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"conformance-{name}.unavailable.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"backend": name, "unavailable": reason}, fh, indent=1)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_backends:
        return _list_backends()
    if not args.backend:
        _parser().print_usage(sys.stderr)
        print("mxcore-conformance: error: --backend (or --list-backends) is required",
              file=sys.stderr)
        return 2
    areas: Optional[List[str]] = None
    if args.areas:
        areas = [a.strip() for a in args.areas.split(",") if a.strip()]
    try:
        results, report = run_suite(args.backend, ops=args.ops, areas=areas)
    except BackendUnavailableError as exc:
        print(f"backend {args.backend} cannot run here: {exc}", file=sys.stderr)
        _write_unavailable(args.out, args.backend, str(exc))
        return 3
    except ValueError as exc:  # unknown backend or area
        print(f"mxcore-conformance: error: {exc}", file=sys.stderr)
        return 2
    json_path, text_path = write_report(report, args.out)
    counts = report["totals"]
    if args.verbose:
        for r in results:
            if r.status == "fail":
                print(f"FAIL [{r.area}] {r.id}: {r.message}")
    print(f"backend {report['backend']['name']}: "
          + ", ".join(f"{n} {s}" for s, n in counts.items()))
    print(f"report: {text_path} and {json_path}")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
