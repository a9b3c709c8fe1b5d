"""Import a script of ``bench/`` as a module for the benchmark smoke tests (``bench/`` is not
a package: its scripts import each other by name, so it is on ``sys.path`` while they load)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py`` imported (once per process, as any module)."""
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))
