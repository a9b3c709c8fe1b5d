"""examples/sparse_linear_digits.py, run briefly: it learns and reports the memory saved."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sparse_linear_digits.py"


def test_sparse_linear_digits_two_epochs():
    pytest.importorskip("sklearn", reason="the example reads scikit-learn's digits")
    env = dict(os.environ)
    env.pop("MXNET_ENGINE_TYPE", None)
    proc = subprocess.run([sys.executable, "-W", "error", str(EXAMPLE), "--epochs", "2"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    losses = [float(v) for v in re.findall(r"^epoch\s+\d+\s+loss ([\d.]+)", proc.stdout,
                                           re.MULTILINE)]
    assert len(losses) == 2 and losses[1] < losses[0], proc.stdout
    final = re.search(r"^final test accuracy ([\d.]+)$", proc.stdout, re.MULTILINE)
    assert final is not None and float(final.group(1)) > 0.85, proc.stdout
    saved = re.findall(r"\(([\d.]+)x smaller\)", proc.stdout)
    assert len(saved) == 2 and all(float(s) > 1 for s in saved), proc.stdout
