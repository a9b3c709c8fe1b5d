"""Backend discovery, listing and selection (``mx.backend``)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mxcore as mx
from mxcore.backend import Backend, hookimpl
from mxcore.backend.xp_kernels import make_kernels

# the module (``mxcore.backend.registry`` the attribute is a function)
backend_registry = importlib.import_module("mxcore.backend.registry")


def _run(code: str, env_extra=None, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("MXCORE_BACKEND", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


class _NumpyBackend(Backend):
    """A NumPy-backed backend whose name, device type and priority a test chooses."""

    array_type = np.ndarray
    dtypes = frozenset(["float32", "float64"])

    def __init__(self, name, device_type="testdev", priority=0, reason=None, scale=1.0):
        self.name = name
        self.device_type = device_type
        self.priority = priority
        self.unavailable_reason = reason
        self.version = "1.2.3"
        self.kernels = make_kernels(np)
        self.scale = scale

    def device_count(self):
        return 0 if self.unavailable_reason else 1

    def empty(self, shape, dtype, device_id):
        return np.empty(shape, dtype=dtype)

    def from_host(self, array, device_id):
        # ``scale`` lets a test see which backend created an array
        return np.array(array, copy=True) * self.scale

    def to_host(self, array):
        return np.array(array, copy=True)

    def copy(self, array, device_id):
        return np.array(array, copy=True)


class _Plugin:
    def __init__(self, *backends):
        self.found = list(backends)

    @hookimpl
    def mxcore_backends(self):
        return self.found


@pytest.fixture
def fresh(monkeypatch):
    """A registry whose entry-point group is empty (no installed backend is seen)."""
    monkeypatch.setattr(backend_registry.hookspecs, "ENTRY_POINT_GROUP",
                        "mxcore.tests.no_such_group")
    monkeypatch.delenv("MXCORE_BACKEND", raising=False)
    return backend_registry.BackendRegistry()


# -- the installed CPU backend ---------------------------------------------------------------
def test_list_backends_rows():
    rows = mx.backend.list_backends()
    by_name = {row["name"]: row for row in rows}
    cpu = by_name["cpu_numpy"]
    assert cpu["device_type"] == "cpu"
    assert cpu["version"] == importlib.import_module("mxcore_cpu_numpy").__version__
    assert cpu["available"] is True
    assert cpu["reason"] is None
    assert cpu["kernels"] >= len(mx.backend.PRIMITIVES) * 0.9
    for row in rows:
        assert set(row) >= {"name", "device_type", "version", "available", "reason",
                            "kernels"}
        assert isinstance(row["kernels"], int)
        assert row["available"] == (row["reason"] is None)


def test_cpu_backend_covers_every_primitive():
    backend = mx.backend.get_backend("cpu")
    assert backend.name == "cpu_numpy"
    missing = [p for p in mx.backend.PRIMITIVES if p not in backend.kernels]
    assert missing == []
    assert mx.cpu().backend is backend


def test_no_plugin_errors_with_installed_backends():
    assert mx.backend.registry().errors == []


# -- selection in a fresh registry -------------------------------------------------------------
def test_priority_picks_highest_then_name(fresh):
    low = _NumpyBackend("low_prio", priority=1)
    high = _NumpyBackend("high_prio", priority=10)
    fresh.register(_Plugin(low, high), name="two")
    assert fresh.for_device("testdev") is high
    rows = {r["name"]: r for r in fresh.list()}
    assert rows["high_prio"]["selected"] and not rows["low_prio"]["selected"]
    assert rows["high_prio"]["priority"] == 10
    assert rows["low_prio"]["version"] == "1.2.3"

    other = backend_registry.BackendRegistry()
    a = _NumpyBackend("b_second", priority=3)
    b = _NumpyBackend("a_first", priority=3)
    other.register(_Plugin(a, b), name="tie")
    assert other.for_device("testdev") is b  # ties: name order


def test_use_overrides_priority(fresh):
    low = _NumpyBackend("low_prio", priority=1)
    high = _NumpyBackend("high_prio", priority=10)
    fresh.register(_Plugin(low, high), name="two")
    assert fresh.for_device("testdev") is high
    assert fresh.use("low_prio") is low
    assert fresh.for_device("testdev") is low
    assert {r["name"] for r in fresh.list() if r["selected"]} == {"low_prio"}


def test_unavailable_backend_reports_reason(fresh):
    broken = _NumpyBackend("broken", device_type="fancy", reason="no fancy device found")
    fresh.register(_Plugin(broken), name="broken")
    (row,) = fresh.list()
    assert row["available"] is False
    assert row["reason"] == "no fancy device found"
    with pytest.raises(mx.MXNetError, match="no fancy device found"):
        fresh.for_device("fancy")
    with pytest.raises(mx.MXNetError, match="unavailable"):
        fresh.use("broken")


def test_unavailable_backend_is_skipped_for_an_available_one(fresh):
    fresh.register(_Plugin(_NumpyBackend("best_but_broken", priority=100, reason="no driver"),
                           _NumpyBackend("works", priority=0)), name="p")
    assert fresh.for_device("testdev").name == "works"


def test_use_unknown_backend(fresh):
    with pytest.raises(mx.MXNetError, match="no_such_backend"):
        fresh.use("no_such_backend")


def test_malformed_backends_are_reported_not_fatal(fresh):
    bad_key = _NumpyBackend("bad_key")
    bad_key.kernels = {"not_an_op_or_primitive": len}
    good = _NumpyBackend("good")

    class Raising:
        @hookimpl
        def mxcore_backends(self):
            raise RuntimeError("driver exploded")

    fresh.register(_Plugin(object(), bad_key, good, _NumpyBackend("good")), name="mixed")
    fresh.register(Raising(), name="raising")
    assert [b.name for b in fresh.backends()] == ["good"]
    errors = "\n".join(fresh.errors)
    assert "not an mxcore.backend.Backend" in errors
    assert "not_an_op_or_primitive" in errors
    assert "already registered" in errors
    assert "driver exploded" in errors and "raising" in errors


def test_empty_registry_names_the_package_to_install(fresh):
    assert fresh.list() == []
    with pytest.raises(mx.MXNetError, match="mxcore-cpu-numpy"):
        fresh.for_device("cpu")
    with pytest.raises(mx.MXNetError, match="mxcore-cuda-cupy"):
        fresh.for_device("gpu")


def test_global_use_switches_backend_for_arrays(monkeypatch, fresh):
    """``mx.backend.use`` changes which backend a context's arrays come from."""
    monkeypatch.setattr(backend_registry, "_REGISTRY", fresh)
    backend_registry._notify_selection_changed()
    try:
        mx.backend.register(_Plugin(_NumpyBackend("plain", priority=5),
                                    _NumpyBackend("tenfold", priority=1, scale=10.0)),
                            name="pair")
        ctx = mx.Context("testdev", 0)
        np.testing.assert_array_equal(mx.nd.array([1, 2], ctx=ctx).asnumpy(), [1, 2])
        mx.backend.use("tenfold")
        assert ctx.backend.name == "tenfold"
        np.testing.assert_array_equal(mx.nd.array([1, 2], ctx=ctx).asnumpy(), [10, 20])
        np.testing.assert_array_equal((mx.nd.ones((2,), ctx=ctx) + 1).asnumpy(), [2, 2])
    finally:
        monkeypatch.undo()
        backend_registry._notify_selection_changed()
    assert mx.cpu().backend.name == "cpu_numpy"


# -- real discovery through entry points, in subprocesses -------------------------------------
_PLUGIN_SOURCE = '''
import numpy as np
from mxcore.backend import Backend, hookimpl
from mxcore.backend.xp_kernels import make_kernels


class Twin(Backend):
    device_type = "twindev"
    dtypes = frozenset(["float32"])
    version = "0.0.1"

    def __init__(self, name, priority, scale):
        self.name, self.priority, self.scale = name, priority, scale
        self.kernels = make_kernels(np)

    def device_count(self):
        return 1

    def from_host(self, array, device_id):
        return np.array(array, copy=True) * self.scale

    def to_host(self, array):
        return np.array(array, copy=True)


@hookimpl
def mxcore_backends():
    return [Twin("twin_high", 10, 1.0), Twin("twin_low", 1, 100.0)]
'''


@pytest.fixture
def twin_plugin_dir(tmp_path):
    """A directory that, on sys.path, installs a plugin through the entry-point group."""
    (tmp_path / "mxcore_twin_plugin.py").write_text(_PLUGIN_SOURCE)
    info = tmp_path / "mxcore_twin_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mxcore-twin-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text("[mxcore.backends]\ntwin = mxcore_twin_plugin\n")
    return tmp_path


_SHOW_TWIN = """
import mxcore as mx
x = mx.nd.array([1, 2], ctx=mx.Context("twindev", 0))
print(mx.Context("twindev", 0).backend.name, x.asnumpy().tolist())
"""


def _pythonpath(path) -> dict:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(path),
                                                          os.environ.get("PYTHONPATH")]))}


def test_entry_point_plugin_priority_in_subprocess(twin_plugin_dir):
    proc = _run(_SHOW_TWIN, _pythonpath(twin_plugin_dir))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["twin_high", "[1.0,", "2.0]"]


def test_mxcore_backend_env_overrides_priority(twin_plugin_dir):
    env = _pythonpath(twin_plugin_dir)
    env["MXCORE_BACKEND"] = "twin_low"
    proc = _run(_SHOW_TWIN, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["twin_low", "[100.0,", "200.0]"]
    # the CPU backend is unaffected by an override for another device type
    proc = _run("import mxcore as mx; print(mx.cpu().backend.name)", env)
    assert proc.stdout.strip() == "cpu_numpy", proc.stderr


def test_mxcore_backend_env_unknown_name_is_reported():
    proc = _run("import mxcore as mx; print(mx.backend.registry().errors)",
                {"MXCORE_BACKEND": "nonexistent_backend"})
    assert proc.returncode == 0, proc.stderr
    assert "nonexistent_backend" in proc.stdout


def test_core_alone_imports_and_names_the_cpu_package():
    """With no backend installed, ``import mxcore`` works and the first op says what to do."""
    code = """
    import importlib.metadata
    importlib.metadata.distributions = lambda **kwargs: iter(())  # hide installed plugins
    import mxcore as mx
    print("imported", mx.backend.list_backends())
    try:
        mx.nd.array([1, 2])
    except mx.MXNetError as exc:
        print("ERROR", type(exc).__name__, exc)
    """
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "imported []"
    assert lines[1].startswith("ERROR BackendUnavailableError")
    assert "mxcore-cpu-numpy" in lines[1]
    assert "pip install mxcore-cpu-numpy" in lines[1]


def test_import_loads_no_backend():
    code = """
    import sys
    import mxcore as mx
    print("mxcore_cpu_numpy" in sys.modules)
    mx.nd.zeros((1,))
    print("mxcore_cpu_numpy" in sys.modules)
    """
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]
