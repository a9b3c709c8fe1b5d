"""The README's main job, run briefly: examples/train_digits.py for 2 epochs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run_example(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("MXNET_ENGINE_TYPE", None)
    return subprocess.run([sys.executable, str(EXAMPLES / "train_digits.py"), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_train_digits_two_epochs():
    pytest.importorskip("sklearn", reason="the example reads scikit-learn's digits")
    proc = _run_example("--epochs", "2", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    epochs = re.findall(r"^epoch\s+(\d+)\s+loss ([\d.]+)\s+train acc ([\d.]+)\s+"
                        r"test acc ([\d.]+)", proc.stdout, re.MULTILINE)
    assert [int(e[0]) for e in epochs] == [1, 2], proc.stdout
    losses = [float(e[1]) for e in epochs]
    assert losses[1] < losses[0]  # it learns
    final = re.search(r"^final test accuracy ([\d.]+)$", proc.stdout, re.MULTILINE)
    assert final is not None, proc.stdout
    assert float(final.group(1)) == float(epochs[-1][3])
    assert float(final.group(1)) > 0.85  # 10 classes: chance is 0.1


def test_train_digits_unknown_device_type_fails_clearly():
    pytest.importorskip("sklearn", reason="the example reads scikit-learn's digits")
    proc = _run_example("--epochs", "1", "--ctx", "nosuchdevice")
    assert proc.returncode == 2
    assert "nosuchdevice" in proc.stderr
    assert "Traceback" not in proc.stderr
