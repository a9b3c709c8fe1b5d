"""The suite covers the registry: every op has a Case, every case names a real op, and every
cases module has its pytest module."""

import os

import mxcore as mx
from mxcore.conformance.runner import case_areas, load_area, ops_without_cases
from mxcore.ops import OPS

HERE = os.path.dirname(os.path.abspath(__file__))


def _all_cases():
    cases, error_cases = [], []
    for area in case_areas():
        c, e = load_area(area)
        cases += c
        error_cases += e
    return cases, error_cases


def test_every_registered_op_has_a_case():
    cases, _ = _all_cases()
    missing = ops_without_cases(cases)
    by_area = {}
    for entry in missing:
        area = OPS[entry.split(" ")[0]].area or "?"
        by_area.setdefault(area, []).append(entry)
    detail = "\n".join(f"  {area}: {', '.join(ops)}" for area, ops in sorted(by_area.items()))
    assert not missing, f"{len(missing)} registered op(s) have no conformance Case:\n{detail}"


def test_every_case_names_an_operator():
    cases, error_cases = _all_cases()
    unknown = sorted({c.op for c in list(cases) + list(error_cases)
                      if c.op not in OPS and not hasattr(mx.nd, c.op)})
    assert not unknown, f"cases name unknown operators: {unknown}"


def test_each_cases_module_has_a_test_module():
    areas = set(case_areas())
    tests = {name[len("test_"):-len(".py")] for name in os.listdir(HERE)
             if name.startswith("test_") and name.endswith(".py")} - {"coverage"}
    assert not areas - tests, (
        f"add tests/conformance/test_<area>.py for {sorted(areas - tests)}")
    assert not tests - areas, (
        f"test modules without mxcore/conformance/cases_<area>.py: {sorted(tests - areas)}")
