"""The conformance runner, report and CLI, exercised on cpu_numpy and on the deliberately
partial third-party backend in tests/partial_backend (device type "demo")."""

import json
import os
import sys
import uuid

import numpy as np
import pytest

import mxcore as mx
from mxcore.backend import Backend, hookimpl
from mxcore.base import BackendUnavailableError, MXNetValueError
from mxcore.conformance import report as rep
from mxcore.conformance import runner as R
from mxcore.conformance.__main__ import main
from mxcore.conformance.case import ALL_DTYPES, Case, ErrorCase, Input

PARTIAL_DIR = os.path.join(os.path.dirname(__file__), os.pardir, "partial_backend")


@pytest.fixture(scope="module")
def demo():
    """The partial_demo backend: installed through its entry point, or registered here."""
    names = {row["name"] for row in mx.backend.list_backends()}
    if "partial_demo" not in names:
        sys.path.insert(0, os.path.abspath(PARTIAL_DIR))
        import mxcore_partial_demo

        mx.backend.register(mxcore_partial_demo, name="mxcore_partial_demo")
    return R.Runner("partial_demo")


def _add(a, b):
    return a + b


def _raise_untagged(nd, x):
    raise MXNetValueError("exp: something is wrong")


def _raise_builtin(nd, x):
    raise KeyError("boom")


class _WrongExpGrad(mx.autograd.Function):
    def forward(self, x):
        y = mx.nd.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * 2


CASES = [
    Case("broadcast_add", [Input((2, 3)), Input((1, 3))], _add, dtypes=ALL_DTYPES),
    Case("broadcast_mul", [Input((2, 3), noncontiguous=True), Input((2, 3))], np.multiply),
    Case("negative", [Input((0, 3))], np.negative),
    Case("exp", [Input((3, 4))], np.exp),
    Case("sigmoid", [Input((2, 2))], lambda x: 1 / (1 + np.exp(-x))),
    Case("broadcast_maximum", [Input((2, 2)), Input((2, 2))], np.maximum, grad=False),
]
ERROR_CASES = [
    ErrorCase("elemwise_add", [Input((2, 3)), Input((3, 2))], name="shape_mismatch"),
    ErrorCase("exp", [Input((2,))], name="valid_input"),
]


def _by_id(results):
    return {r.id: r for r in results}


def test_partial_backend_reports_missing_ops_as_not_implemented(demo):
    results = _by_id(demo.run_all(R.collect_items("demo", CASES, ERROR_CASES)))
    # implemented primitives pass, in every dtype the backend supports
    for dt in ("float32", "float64", "int32", "int64"):
        assert results[f"broadcast_add-2x3_1x3-{dt}"].status == R.PASS
    assert results["broadcast_mul-2x3nc_2x3-float32"].status == R.PASS
    assert results["broadcast_mul-2x3nc_2x3-grad"].status == R.PASS
    assert results["negative-0x3-float64"].status == R.PASS
    assert results["elemwise_add-shape_mismatch-error"].status == R.PASS
    # dtypes the backend does not list are unsupported
    for dt in ("float16", "uint8", "int8", "bool"):
        assert results[f"broadcast_add-2x3_1x3-{dt}"].status == R.UNSUPPORTED
    # missing primitives (directly or inside a decomposition or a gradient) are never "pass"
    for rid in ("exp-3x4-float32", "exp-3x4-grad", "sigmoid-2x2-float64",
                "broadcast_maximum-2x2_2x2-float32", "broadcast_add-2x3_1x3-grad",
                "exp-valid_input-error"):
        assert results[rid].status == R.NOT_IMPLEMENTED, (rid, results[rid])
    assert "[backend partial_demo]" in results["exp-3x4-float32"].message
    assert not [r for r in results.values() if r.status == R.FAIL]


def test_the_whole_suite_on_the_partial_backend_never_passes_a_missing_primitive(demo):
    items, _, errors = R.load_suite()
    assert not errors
    kernels = demo.backend.kernels
    for result in demo.run_all(items):
        if result.status == R.PASS and result.check == R.FORWARD:
            prim = getattr(mx.ops.OPS.get(result.op), "primitive", None)
            assert prim is None or prim in kernels, result


def test_same_cases_pass_on_cpu():
    runner = R.Runner("cpu_numpy")
    results = runner.run_all(R.collect_items("demo", CASES, ERROR_CASES[:1]))
    bad = [r for r in results if r.status != R.PASS]
    assert not bad


def test_noncontiguous_inputs_reach_the_kernel_strided(monkeypatch):
    backend = mx.backend.get_backend("cpu")
    seen = []
    real = backend.kernels["negative"]

    def spy(x):
        seen.append(x.flags.c_contiguous)
        return real(x)

    monkeypatch.setitem(backend.kernels, "negative", spy)
    try:
        runner = R.Runner("cpu_numpy")  # selecting a backend clears cached kernels
        case = Case("negative", [Input((3, 4), noncontiguous=True)], np.negative, grad=False,
                    dtypes=("float32",))
        (result,) = runner.run_all(R.collect_items("t", [case]))
    finally:
        monkeypatch.undo()
        mx.backend.use("cpu_numpy")
    assert result.status == R.PASS
    assert seen == [False]


def test_wrong_results_fail_with_a_message():
    runner = R.Runner("cpu_numpy")
    cases = [
        Case("exp", [Input((3,))], np.sin, name="wrong_reference", grad=False),
        Case("exp", [Input((3,), values=[0.0, 1.0, 2.0])],
             lambda x: np.array([1.0, np.nan, np.exp(2.0)]), name="nan_position", grad=False),
        Case("exp", [Input((2, 2))], lambda x: np.exp(x).reshape(4), name="shape", grad=False),
        Case("exp", [Input((2,))], np.exp, name="wrong_grad",
             call=lambda nd, x: _WrongExpGrad()(x), dtypes=("float64",)),
        Case("exp", [Input((2,))], lambda x: 1 / 0, name="broken_reference", grad=False),
    ]
    results = _by_id(runner.run_all(R.collect_items("t", cases)))
    assert results["exp-wrong_reference-float32"].status == R.FAIL
    assert "backend and reference differ" in results["exp-wrong_reference-float32"].message
    assert results["exp-nan_position-float64"].status == R.FAIL
    assert "shape (2, 2)" in results["exp-shape-float32"].message
    assert results["exp-wrong_grad-float64"].status == R.PASS
    assert results["exp-wrong_grad-grad"].status == R.FAIL
    assert "gradient" in results["exp-wrong_grad-grad"].message
    assert "case problem" in results["exp-broken_reference-float32"].message


def test_error_cases_need_the_right_class_op_name_and_backend():
    runner = R.Runner("cpu_numpy")
    cases = [
        ErrorCase("broadcast_add", [Input((2, 3)), Input((3, 2))], name="ok"),
        ErrorCase("broadcast_add", [Input((2, 3)), Input((3, 2))], error=mx.base.MXNetTypeError,
                  name="wrong_class"),
        ErrorCase("exp", [Input((2,))], name="no_error"),
        ErrorCase("exp", [Input((2,))], call=_raise_untagged, name="untagged"),
        ErrorCase("exp", [Input((2,))], call=_raise_builtin, name="crash"),
    ]
    results = _by_id(runner.run_all(R.collect_items("t", [], cases)))
    assert results["broadcast_add-ok-error"].status == R.PASS
    assert results["broadcast_add-wrong_class-error"].status == R.FAIL
    assert "no error raised" in results["exp-no_error-error"].message
    assert "[backend cpu_numpy]" in results["exp-untagged-error"].message
    assert results["exp-untagged-error"].status == R.FAIL
    assert "KeyError" in results["exp-crash-error"].message


def test_item_ids_are_readable_and_unique():
    cases = [Case("exp", [Input((2, 3)), Input(())], np.exp),
             Case("exp", [Input((2, 3)), Input(())], np.exp),
             Case("exp", [Input((1,), noncontiguous=True)], np.exp, name="with space")]
    ids = [it.id for it in R.collect_items("t", cases)]
    assert ids[:4] == ["exp-2x3_scalar-float16", "exp-2x3_scalar-float32",
                       "exp-2x3_scalar-float64", "exp-2x3_scalar-grad"]
    assert "exp-2x3_scalar#2-float16" in ids and "exp-with_space-grad" in ids
    assert len(ids) == len(set(ids))


def test_select_ops_globs():
    items = R.collect_items("t", CASES)
    assert {it.op for it in R.select_ops(items, "broadcast_*")} == {"broadcast_add",
                                                                     "broadcast_mul",
                                                                     "broadcast_maximum"}
    assert {it.op for it in R.select_ops(items, "exp, negative")} == {"exp", "negative"}


def test_report_matrix_totals_and_files(demo, tmp_path):
    results = demo.run_all(R.collect_items("demo", CASES, ERROR_CASES))
    report = rep.build_report(results, demo.backend, ops_without_cases=["foo"])
    assert report["matrix"]["broadcast_add"]["float32"] == R.PASS
    assert report["matrix"]["broadcast_add"]["float16"] == R.UNSUPPORTED
    assert report["matrix"]["broadcast_add"]["grad"] == R.NOT_IMPLEMENTED
    assert report["matrix"]["exp"]["error"] == R.NOT_IMPLEMENTED
    assert sum(report["totals"].values()) == len(results)
    assert report["missing_primitives"]["exp"] >= 3
    json_path, text_path = rep.write_report(report, str(tmp_path / "out"))
    with open(json_path) as fh:
        loaded = json.load(fh)
    assert loaded["backend"]["name"] == "partial_demo" and len(loaded["results"]) == len(results)
    with open(text_path) as fh:
        text = fh.read()
    assert "broadcast_add" in text and "n/i" in text and "unsup" in text and "foo" in text
    assert "missing primitives" in text


def test_cell_holds_the_worst_status():
    res = [R.Result("a", "op", "c1", R.FORWARD, "float32", R.PASS),
           R.Result("a", "op", "c2", R.FORWARD, "float32", R.NOT_IMPLEMENTED, "x"),
           R.Result("a", "op", "c3", R.FORWARD, "float64", R.PASS),
           R.Result("a", "op", "c4", R.FORWARD, "float64", R.FAIL, "bad")]
    matrix = rep.build_report(res, mx.backend.get_backend("cpu"))["matrix"]
    assert matrix == {"op": {"float32": R.NOT_IMPLEMENTED, "float64": R.FAIL}}


def _patch_suite(monkeypatch, cases, error_cases=()):
    items = R.collect_items("demo", cases, error_cases)
    monkeypatch.setattr(R, "load_suite", lambda areas=None: (items, list(cases), []))


def test_cli_exit_codes_and_files(demo, tmp_path, monkeypatch, capsys):
    _patch_suite(monkeypatch, CASES, ERROR_CASES)
    out = tmp_path / "rep"
    assert main(["--backend", "partial_demo", "--out", str(out)]) == 0
    assert (out / "conformance-partial_demo.json").exists()
    assert (out / "conformance-partial_demo.txt").exists()
    assert "not implemented" in capsys.readouterr().out
    _patch_suite(monkeypatch, [Case("exp", [Input((3,))], np.sin, grad=False)])
    assert main(["--backend", "cpu", "--out", str(out)]) == 1
    assert main(["--backend", "no_such_backend", "--out", str(out)]) == 2
    assert main([]) == 2


def test_cli_ops_filter(demo, tmp_path, monkeypatch):
    _patch_suite(monkeypatch, CASES)
    out = tmp_path / "rep"
    assert main(["--backend", "partial_demo", "--out", str(out), "--ops", "negative"]) == 0
    report = json.loads((out / "conformance-partial_demo.json").read_text())
    assert set(report["matrix"]) == {"negative"}


def test_cli_lists_backends(demo, capsys):
    assert main(["--list-backends"]) == 0
    out = capsys.readouterr().out
    assert "cpu_numpy" in out and "partial_demo" in out


class _Plugin:
    """A plugin object whose hook returns what it was given (or raises it)."""

    def __init__(self, make):
        self.make = make

    @hookimpl
    def mxcore_backends(self):
        return self.make()


def _demo_backend(name, **attrs):
    backend = Backend()
    backend.name = name
    backend.device_type = attrs.pop("device_type", name)
    backend.dtypes = frozenset(["float32"])
    backend.kernels = attrs.pop("kernels", {})
    for key, value in attrs.items():
        setattr(backend, key, value)
    return backend


def _fail():
    raise RuntimeError("cannot initialise")


def test_malformed_plugins_are_reported_without_breaking_others():
    tag = uuid.uuid4().hex[:8]
    bad_key = _Plugin(lambda: [_demo_backend(f"badkey_{tag}", kernels={"no_such_op": abs})])
    raising = _Plugin(_fail)
    mx.backend.register(bad_key, name=f"plugin_badkey_{tag}")
    mx.backend.register(raising, name=f"plugin_raising_{tag}")
    errors = mx.backend.registry().errors
    assert any(f"plugin_badkey_{tag}" in e and "no_such_op" in e for e in errors)
    assert any(f"plugin_raising_{tag}" in e and "cannot initialise" in e for e in errors)
    names = {row["name"] for row in mx.backend.list_backends()}
    assert "cpu_numpy" in names and f"badkey_{tag}" not in names
    assert (mx.nd.ones((2,)) + 1).asnumpy().tolist() == [2.0, 2.0]


def test_unavailable_backend_is_reported_not_run(tmp_path, capsys):
    tag = uuid.uuid4().hex[:8]
    name = f"ghost_{tag}"
    plugin = _Plugin(lambda: [_demo_backend(name, unavailable_reason="no ghost device here")])
    mx.backend.register(plugin, name=f"plugin_{name}")
    with pytest.raises(BackendUnavailableError, match="no ghost device"):
        R.Runner(name)
    assert main(["--backend", name, "--out", str(tmp_path)]) == 3
    assert "no ghost device" in capsys.readouterr().err


def _warn_then_exp(nd, x):
    import warnings

    warnings.warn("slow path taken", UserWarning)
    return nd.exp(x)


def test_warnings_do_not_change_the_outcome():
    case = Case("exp", [Input((2,))], np.exp, call=_warn_then_exp, grad=False,
                dtypes=("float32",))
    (result,) = R.Runner("cpu_numpy").run_all(R.collect_items("t", [case]))
    assert result.status == R.PASS
    assert "UserWarning: slow path taken" in result.message
