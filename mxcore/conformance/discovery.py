"""Find the conformance cases and turn them into items.

Every ``mxcore/conformance/cases_<area>.py`` module is an *area* with ``CASES`` and
``ERROR_CASES``. Each case becomes *items*: one ``forward`` item per dtype in ``Case.dtypes``,
one ``gradient`` item when the op is differentiable and the case checks gradients, and one
``error`` item per :class:`~mxcore.conformance.case.ErrorCase`. An item's id is a label made
from the op and the case's name or input shapes, unique within its area. The
:mod:`~mxcore.conformance.runner` runs items (and re-exports these names).
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import traceback
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..base import MXNetError
from ..ops.registry import OPS
from .case import Case, ErrorCase, Input

__all__ = ["FORWARD", "GRADIENT", "ERROR", "Item", "case_areas", "load_area", "collect_items",
           "items_for_area", "load_suite", "ops_without_cases", "select_ops"]

FORWARD, GRADIENT, ERROR = "forward", "gradient", "error"


# -- items -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One runnable check: a case in one dtype (``forward``), its ``gradient`` check, or an
    ``error`` case."""

    area: str
    case_id: str
    case: Union[Case, ErrorCase] = field(compare=False)
    check: str
    dtype: str

    @property
    def op(self) -> str:
        return self.case.op

    @property
    def column(self) -> str:
        """The report column: the dtype, ``grad`` or ``error``."""
        return {GRADIENT: "grad", ERROR: "error"}.get(self.check, self.dtype)

    @property
    def id(self) -> str:
        return f"{self.case_id}-{self.column}"

    @property
    def seed(self) -> int:
        return zlib.crc32(f"{self.area}/{self.case_id}".encode())


# -- case discovery ----------------------------------------------------------------------------
def case_areas() -> List[str]:
    """Areas with a ``mxcore/conformance/cases_<area>.py`` module, sorted."""
    from .. import conformance

    return sorted(m.name[len("cases_"):] for m in pkgutil.iter_modules(conformance.__path__)
                  if m.name.startswith("cases_"))


def load_area(area: str) -> Tuple[List[Case], List[ErrorCase]]:
    """``CASES`` and ``ERROR_CASES`` of ``cases_<area>`` (import errors propagate)."""
    module = importlib.import_module(f"mxcore.conformance.cases_{area}")
    return list(getattr(module, "CASES", [])), list(getattr(module, "ERROR_CASES", []))


def _shape_label(spec: Any) -> str:
    if not isinstance(spec, Input):
        return type(spec).__name__
    shape = tuple(np.shape(spec.values)) if spec.values is not None and not spec.shape \
        else tuple(spec.shape)
    label = "x".join(str(d) for d in shape) if shape else "scalar"
    return label + ("nc" if spec.noncontiguous else "")


def _case_label(case: Union[Case, ErrorCase]) -> str:
    if case.name:
        return f"{case.op}-{'_'.join(case.name.split())}"
    shapes = "_".join(_shape_label(s) for s in case.inputs) or "noinput"
    return f"{case.op}-{shapes}"


def _wants_gradient(case: Case) -> bool:
    op = OPS.get(case.op)
    if not case.grad or case.random or op is None or not op.differentiable:
        return False
    if not any(np.dtype(d).kind == "f" for d in case.dtypes):
        return False
    return any(s.grad and (s.dtype is None or np.dtype(s.dtype).kind == "f")
               for s in case.inputs)


def collect_items(area: str, cases: Sequence[Case], error_cases: Sequence[ErrorCase] = ()
                  ) -> List[Item]:
    """Items for explicit case lists (ids made unique within the area)."""
    items: List[Item] = []
    seen: Dict[str, int] = {}

    def unique(label: str) -> str:
        n = seen.get(label, 0) + 1
        seen[label] = n
        return label if n == 1 else f"{label}#{n}"

    for case in cases:
        cid = unique(_case_label(case))
        for dtype in case.dtypes:
            items.append(Item(area, cid, case, FORWARD, np.dtype(dtype).name))
        if _wants_gradient(case):
            items.append(Item(area, cid, case, GRADIENT, "float64"))
    for case in error_cases:
        cid = unique(_case_label(case))
        items.append(Item(area, cid, case, ERROR, np.dtype(case.dtype).name))
    return items


def items_for_area(area: str) -> List[Item]:
    """Every item of ``cases_<area>`` (import errors propagate)."""
    cases, error_cases = load_area(area)
    return collect_items(area, cases, error_cases)


def load_suite(areas: Optional[Sequence[str]] = None
               ) -> Tuple[List[Item], List[Case], List[Tuple[str, str]]]:
    """Items and cases of every area (or ``areas``), plus (area, error) for case modules that
    failed to import."""
    items: List[Item] = []
    cases: List[Case] = []
    errors: List[Tuple[str, str]] = []
    for area in areas if areas is not None else case_areas():
        try:
            area_cases, area_errors = load_area(area)
        except Exception as exc:
            errors.append((area, _describe(exc)))
            continue
        cases += area_cases
        items += collect_items(area, area_cases, area_errors)
    return items, cases, errors


def ops_without_cases(cases: Iterable[Case]) -> List[str]:
    """Registered ops (one per op object, aliases in parentheses) that no Case exercises."""
    covered = {id(OPS[c.op]) for c in cases if c.op in OPS}
    missing = []
    seen = set()
    for op in OPS.values():
        if id(op) in seen or id(op) in covered:
            continue
        seen.add(id(op))
        missing.append(op.name + (f" ({', '.join(op.aliases)})" if op.aliases else ""))
    return sorted(missing)


def _op_names(name: str) -> Tuple[str, ...]:
    op = OPS.get(name)
    return (name,) if op is None else (name, op.name) + op.aliases


def select_ops(items: Iterable[Item], patterns: Optional[str]) -> List[Item]:
    """Items whose op (or its canonical name) matches one of the comma-separated globs."""
    items = list(items)
    if not patterns:
        return items
    globs = [p.strip() for p in patterns.split(",") if p.strip()]
    return [it for it in items
            if any(fnmatch.fnmatchcase(n, g) for n in _op_names(it.op)[:2] for g in globs)]


def _describe(exc: BaseException) -> str:
    """The type and message of ``exc``, and where it was raised unless it is an MXNetError."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames and not isinstance(exc, MXNetError):
        last = frames[-1]
        text += f" (at {last.filename}:{last.lineno} in {last.name})"
    return text

