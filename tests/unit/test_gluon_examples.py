"""The Gluon examples on scikit-learn's digits, run briefly: the MLP (the README's main job)
and the LeNet-style CNN."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EPOCH_LINE = re.compile(
    r"^epoch\s+(\d+)/(\d+) \[=+\]\s+(\d+)/(\d+)\s+loss ([\d.]+)\s+train acc ([\d.]+)\s+"
    r"test acc ([\d.]+)", re.MULTILINE)
FINAL_LINE = re.compile(r"^final test accuracy ([\d.]+)$", re.MULTILINE)

pytestmark = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                reason="the examples read scikit-learn's digits")


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("MXNET_ENGINE_TYPE", None)
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def _check_training(proc: subprocess.CompletedProcess, epochs: int, batches: int,
                    min_accuracy: float) -> None:
    assert proc.returncode == 0, proc.stderr
    lines = EPOCH_LINE.findall(proc.stdout)
    assert [(int(e[0]), int(e[1])) for e in lines] == [(i, epochs)
                                                        for i in range(1, epochs + 1)]
    assert all(int(e[2]) == int(e[3]) == batches for e in lines), proc.stdout
    losses = [float(e[4]) for e in lines]
    assert losses[-1] < losses[0]  # it learns
    final = FINAL_LINE.search(proc.stdout)
    assert final is not None, proc.stdout
    assert float(final.group(1)) == float(lines[-1][6])
    assert float(final.group(1)) >= min_accuracy  # 10 classes: chance is 0.1


def test_mlp_trains_with_adam():
    proc = _run("gluon_mlp_digits.py", "--epochs", "3", "--seed", "0")
    _check_training(proc, epochs=3, batches=math.ceil(1437 / 32), min_accuracy=0.9)
    assert "context cpu(0)" in proc.stdout


def test_mlp_flags_reach_trainer_and_loader():
    proc = _run("gluon_mlp_digits.py", "--epochs", "2", "--batch-size", "64", "--lr", "0.2",
                "--optimizer", "sgd", "--seed", "1")
    _check_training(proc, epochs=2, batches=math.ceil(1437 / 64), min_accuracy=0.85)


def test_lenet_trains():
    proc = _run("gluon_lenet_digits.py", "--epochs", "3", "--seed", "0")
    _check_training(proc, epochs=3, batches=math.ceil(1437 / 32), min_accuracy=0.85)


@pytest.mark.parametrize("script", ["gluon_mlp_digits.py", "gluon_lenet_digits.py"])
def test_unknown_device_type_fails_clearly(script):
    proc = _run(script, "--epochs", "1", "--ctx", "nosuchdevice")
    assert proc.returncode == 2
    assert "nosuchdevice" in proc.stderr
    assert "Traceback" not in proc.stderr
