"""Run conformance items against one backend and classify every result.

Items come from :mod:`~mxcore.conformance.discovery` (its names are re-exported here): a
``forward`` item runs a case in one dtype, a ``gradient`` item checks the case's gradients
numerically (in float64, or float32 on a backend without float64) and an ``error`` item runs
an :class:`~mxcore.conformance.case.ErrorCase`. Running an item gives a :class:`Result` whose
status is ``pass``, ``fail`` (with a message), ``not implemented`` (the backend raised
``NotImplementedForBackend``) or ``unsupported`` (a dtype the backend does not list, or
``UnsupportedByDevice``).

How inputs are made: values are drawn with a RNG seeded from the case's id, so every run and
every dtype sees the same data; they are rounded to the dtype under test before the float64
reference sees them. A ``noncontiguous`` input is built as a larger array (padding filled
with NaN, or 111 for integers) cut with a step of 2 on every axis by the backend's ``slice``
primitive, whose result is wrapped as the input NDArray: a backend whose ``slice`` returns a
view (NumPy, CuPy) hands its kernels a strided array with an offset. When the op has a
``dtype`` parameter, the case does not set it, and no input takes the case dtype (creation
and random ops), the dtype under test is passed as ``dtype=``.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import autograd
from .. import ndarray as nd
from ..backend.registry import registry
from ..base import (
    BackendUnavailableError,
    MXNetError,
    MXNetValueError,
    NotImplementedForBackend,
    UnsupportedByDevice,
)
from ..context import Context
from ..ndarray.ndarray import _wrap
from ..ops.registry import OPS, OpDef, to_shape
from ..test_utils import assert_almost_equal, numeric_grad
from .case import Case, ErrorCase, Input
from .discovery import (
    ERROR,
    FORWARD,
    GRADIENT,
    Item,
    _describe,
    _op_names,
    case_areas,
    collect_items,
    items_for_area,
    load_area,
    load_suite,
    ops_without_cases,
    select_ops,
)

__all__ = ["PASS", "FAIL", "NOT_IMPLEMENTED", "UNSUPPORTED", "STATUSES", "FORWARD",
           "GRADIENT", "ERROR", "Item", "Result", "Runner", "BackendNotInstalled",
           "case_areas", "load_area", "items_for_area", "collect_items", "find_backend",
           "tolerance", "load_suite", "ops_without_cases", "select_ops"]

PASS, FAIL = "pass", "fail"
NOT_IMPLEMENTED, UNSUPPORTED = "not implemented", "unsupported"
STATUSES: Tuple[str, ...] = (PASS, FAIL, NOT_IMPLEMENTED, UNSUPPORTED)

#: dtype -> (rtol, atol) for forward results; integer and bool outputs compare exactly
_TOLERANCES = {"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}
#: least precise float dtype among gradient inputs and outputs -> (rtol, atol, step);
#: the finite-difference step grows with the rounding error of the outputs
_GRAD_TOLERANCES = {"float64": (1e-4, 1e-6, 1e-6), "float32": (2e-2, 5e-3, 5e-3),
                    "float16": (1e-1, 5e-2, 5e-2)}
_INT_SENTINEL = 111


class BackendNotInstalled(MXNetValueError):
    """No installed backend has this name or serves this device type."""


# -- results -----------------------------------------------------------------------------------
@dataclass
class Result:
    """The outcome of one item."""

    area: str
    op: str
    case: str
    check: str
    dtype: str
    status: str
    message: str = ""

    @property
    def column(self) -> str:
        return {GRADIENT: "grad", ERROR: "error"}.get(self.check, self.dtype)

    @property
    def id(self) -> str:
        return f"{self.case}-{self.column}"

    def to_dict(self) -> Dict[str, str]:
        return {"area": self.area, "op": self.op, "case": self.case, "check": self.check,
                "dtype": self.dtype, "column": self.column, "status": self.status,
                "message": self.message}


# -- backend -----------------------------------------------------------------------------------
def _sparsify(spec: Input, host: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For a sparse input: about half the rows (row_sparse) or entries (csr) set to zero."""
    if spec.stype not in ("row_sparse", "csr") or host.ndim == 0:
        return host
    shape = host.shape[:1] if spec.stype == "row_sparse" else host.shape
    zero = rng.random(shape) < 0.5
    host[zero] = 0
    return host


def find_backend(name: str) -> Any:
    """The backend called ``name``, or the one selected for device type ``name``.

    Raises :class:`BackendNotInstalled` when neither exists and BackendUnavailableError when
    it exists but cannot run here.
    """
    reg = registry()
    by_name = {b.name: b for b in reg.backends()}
    if name in by_name:
        backend = by_name[name]
    elif name in reg.device_types():
        backend = reg.for_device(name)
    else:
        raise BackendNotInstalled(
            f"no installed backend is named {name!r} or serves device type {name!r}; "
            f"installed: {sorted(by_name) or 'none'}")
    if not backend.available:
        raise BackendUnavailableError(
            f"backend {backend.name} is unavailable: {backend.unavailable_reason}")
    return backend


def tolerance(dtype: Any, case: Optional[Case] = None) -> Tuple[float, float]:
    """(rtol, atol) for comparing outputs of ``dtype``; a case's rtol/atol loosen it."""
    rtol, atol = _TOLERANCES.get(np.dtype(dtype).name, (0.0, 0.0))
    if case is not None:
        rtol = max(rtol, case.rtol or 0.0)
        atol = max(atol, case.atol or 0.0)
    return rtol, atol


class _CaseProblem(Exception):
    """The case itself is broken (bad reference, unknown op): reported as a failure."""


def _class_name(cls: Any) -> str:
    if isinstance(cls, tuple):
        return " or ".join(_class_name(c) for c in cls)
    return getattr(cls, "__name__", repr(cls))


def _targets(expected: Any, kind: type) -> bool:
    classes = expected if isinstance(expected, tuple) else (expected,)
    return any(isinstance(c, type) and issubclass(c, kind) for c in classes)


class Runner:
    """Runs items on one backend: ``Runner("cpu_numpy").run(item) -> Result``.

    ``backend`` is a backend name or a device type. The backend is selected for its device
    type (``mx.backend.use``) and items run on ``Context(device_type, 0)``.
    """

    def __init__(self, backend: str):
        found = find_backend(backend)
        from ..backend.registry import use

        self.backend = use(found.name)
        self.ctx = Context(self.backend.device_type, 0)
        if self.ctx.backend is not self.backend:  # also checks that device 0 exists
            raise BackendUnavailableError(
                f"{self.ctx} is served by {self.ctx.backend.name}, not {self.backend.name}")
        self.dtypes = frozenset(np.dtype(d).name for d in self.backend.dtypes)
        self.grad_dtype = "float64" if "float64" in self.dtypes else "float32"

    # -- public --------------------------------------------------------------------------------
    def run(self, item: Item) -> Result:
        """Run one item and classify it (never raises for backend or case problems)."""
        check = {FORWARD: self._forward, GRADIENT: self._gradient, ERROR: self._error}[item.check]
        # the outcome must not depend on the caller's warning filters (pytest turns warnings
        # into errors, the CLI does not): floating-point RuntimeWarnings are ignored, other
        # warnings are noted in the message without changing the status
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                status, message = check(item)
            except NotImplementedForBackend as exc:
                status, message = NOT_IMPLEMENTED, str(exc)
            except UnsupportedByDevice as exc:
                status, message = UNSUPPORTED, str(exc)
            except _CaseProblem as exc:
                status, message = FAIL, f"case problem: {exc}"
            except Exception as exc:
                status, message = FAIL, f"raised {_describe(exc)}"
        notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        if notes:
            message = (message + "\n" if message else "") + "warnings: " + "; ".join(notes)
        dtype = self.grad_dtype if item.check == GRADIENT else item.dtype
        return Result(item.area, item.op, item.case_id, item.check, dtype, status, message)

    def run_all(self, items: Iterable[Item]) -> List[Result]:
        return [self.run(item) for item in items]

    # -- inputs --------------------------------------------------------------------------------
    def _draw(self, spec: Input, dtype: str, rng: np.random.Generator) -> np.ndarray:
        """Host values for one input, in its dtype."""
        dt = np.dtype(spec.dtype or dtype)
        shape = tuple(spec.shape)
        if spec.values is not None:
            raw = np.asarray(spec.values)
            if shape and raw.shape != shape:
                try:
                    raw = np.broadcast_to(raw, shape)
                except ValueError:
                    raise _CaseProblem(f"Input values of shape {raw.shape} do not fit shape "
                                       f"{shape}") from None
            return np.array(raw.astype(dt), copy=True)
        if dt.kind == "b":
            return rng.random(shape) < 0.5
        if dt.kind in "iu":
            info = np.iinfo(dt)
            low = max(int(math.ceil(spec.low)), int(info.min))
            high = min(int(math.ceil(spec.high)), int(info.max) + 1)
            if high <= low:
                high = low + 1
            return _sparsify(spec, rng.integers(low, high, size=shape).astype(dt), rng)
        return _sparsify(spec, rng.uniform(spec.low, spec.high, size=shape).astype(dt), rng)

    def _to_nd(self, host: np.ndarray, noncontiguous: bool, stype: Optional[str] = None
               ) -> Any:
        if stype not in (None, "default"):
            return nd.array(host, ctx=self.ctx, dtype=host.dtype).tostype(stype)
        if not noncontiguous or host.ndim == 0:
            return nd.array(host, ctx=self.ctx, dtype=host.dtype)
        if "slice" not in self.backend.kernels:
            raise NotImplementedForBackend(
                f"slice: primitive not implemented [backend {self.backend.name}] (needed to "
                "pass a non-contiguous input)")
        fill = np.nan if host.dtype.kind == "f" else (
            True if host.dtype.kind == "b" else _INT_SENTINEL)
        big = np.full(tuple(2 * d for d in host.shape), fill, dtype=host.dtype)
        key = tuple(slice(1, 2 * d, 2) for d in host.shape)
        big[key] = host
        # the slice primitive itself, not x[key]: indexing ops copy views they return
        whole = nd.array(big, ctx=self.ctx, dtype=host.dtype)
        return _wrap(self.backend.kernels["slice"](whole._data, key), self.ctx)

    def _attrs(self, case: Union[Case, ErrorCase], dtype: str) -> Dict[str, Any]:
        attrs = dict(case.attrs)
        op: Optional[OpDef] = OPS.get(case.op)
        if (op is not None and "dtype" in op.params and "dtype" not in attrs
                and all(isinstance(s, Input) and s.dtype is not None for s in case.inputs)):
            attrs["dtype"] = dtype
        return attrs

    def _invoke(self, case: Union[Case, ErrorCase], arrays: Sequence[Any],
                attrs: Dict[str, Any]) -> List[Any]:
        if case.call is not None:
            out = case.call(nd, *arrays, **attrs)
        else:
            fn = getattr(nd, case.op, None)
            if fn is None:
                raise _CaseProblem(f"mx.nd has no operator {case.op!r}")
            out = fn(*arrays, **attrs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        for i, o in enumerate(outs):
            if not isinstance(o, nd.NDArray):
                raise MXNetValueError(f"{case.op}: output {i} is a {type(o).__name__}, not an "
                                      "NDArray")
        return outs

    def _mode(self, case: Case) -> Any:
        return autograd.train_mode() if case.train else autograd.predict_mode()

    def _seed_device(self, seed: int) -> None:
        with contextlib.suppress(NotImplementedError):
            self.backend.seed(seed, self.ctx.device_id)

    # -- forward -------------------------------------------------------------------------------
    def _forward(self, item: Item) -> Tuple[str, str]:
        case: Case = item.case
        dtype = item.dtype
        if dtype not in self.dtypes:
            return UNSUPPORTED, f"dtype {dtype} is not supported by backend {self.backend.name}"
        rng = np.random.default_rng(item.seed)
        hosts = [self._draw(s, dtype, rng) for s in case.inputs]
        attrs = self._attrs(case, dtype)
        arrays = [self._to_nd(h, s.noncontiguous, s.stype) for h, s in zip(hosts, case.inputs)]
        self._seed_device(item.seed)
        with self.ctx, self._mode(case):
            outs = self._invoke(case, arrays, attrs)
        if case.out_stype is not None and outs[0].stype != case.out_stype:
            return FAIL, f"output storage type {outs[0].stype}, expected {case.out_stype}"
        actual = [o.asnumpy() for o in outs]
        if case.random:
            return self._check_random(case, dtype, attrs, actual)
        try:
            expected = case.reference(*[h.astype(np.float64) for h in hosts], **attrs)
        except Exception as exc:
            raise _CaseProblem(f"reference raised {_describe(exc)}") from exc
        expected = list(expected) if isinstance(expected, (list, tuple)) else [expected]
        if len(expected) != len(actual):
            return FAIL, (f"{case.op} returned {len(actual)} output(s), the reference "
                          f"{len(expected)}")
        # outputs keep the input dtype unless the op has a dtype parameter (Cast, topk ...)
        op = OPS.get(case.op)
        same_dtype = (op is not None and "dtype" not in op.params and "dtype" not in attrs
                      and all(s.dtype is None for s in case.inputs))
        problems = []
        for i, (got, want) in enumerate(zip(actual, expected)):
            problem = self._compare(case, dtype, i, got, np.asarray(want), same_dtype)
            if problem:
                problems.append(problem)
        return (FAIL, "\n".join(problems)) if problems else (PASS, "")

    def _compare(self, case: Case, dtype: str, index: int, got: np.ndarray,
                 want: np.ndarray, same_dtype: bool) -> str:
        where = f"output {index}" if index else "output"
        if got.shape != want.shape:
            return f"{where}: shape {got.shape} differs from the reference's {want.shape}"
        kind = got.dtype.kind
        if same_dtype and kind == "f" and np.dtype(dtype).kind == "f" and got.dtype != dtype:
            return f"{where}: dtype {got.dtype} differs from the input dtype {dtype}"
        want = want.astype(np.float64)
        if kind == "f":
            want = want.astype(got.dtype).astype(np.float64)
            rtol, atol = tolerance(got.dtype, case)
        elif kind == "b":
            want = (want != 0).astype(np.float64)
            rtol, atol = case.rtol or 0.0, case.atol or 0.0
        else:
            want = np.trunc(want)
            rtol, atol = case.rtol or 0.0, case.atol or 0.0
        try:
            assert_almost_equal(got.astype(np.float64), want, rtol, atol,
                                names=("backend", "reference"), equal_nan=True,
                                use_broadcast=False)
        except AssertionError as exc:
            return f"{where} ({got.dtype}): {exc}"
        return ""

    def _check_random(self, case: Case, dtype: str, attrs: Dict[str, Any],
                      actual: List[np.ndarray]) -> Tuple[str, str]:
        expected_dtype = np.dtype(attrs.get("dtype") or dtype)
        first = actual[0]
        if first.dtype != expected_dtype:
            return FAIL, f"output dtype {first.dtype}, expected {expected_dtype}"
        if not case.inputs and "shape" in attrs:
            shape = to_shape(attrs["shape"])
            if shape and first.shape != shape:
                return FAIL, f"output shape {first.shape}, expected {shape}"
        try:
            verdict = case.reference(*[a.astype(np.float64) for a in actual], **attrs)
        except AssertionError as exc:
            return FAIL, f"statistics check failed: {exc}"
        except Exception as exc:
            raise _CaseProblem(f"reference raised {_describe(exc)}") from exc
        if verdict is False:
            return FAIL, "statistics check failed"
        if isinstance(verdict, str) and verdict:
            return FAIL, f"statistics check failed: {verdict}"
        return PASS, ""

    # -- gradient ------------------------------------------------------------------------------
    def _gradient(self, item: Item) -> Tuple[str, str]:
        case: Case = item.case
        gdt = self.grad_dtype
        rng = np.random.default_rng(item.seed)
        hosts = [self._draw(s, gdt, rng) for s in case.inputs]
        nodes = [i for i, (s, h) in enumerate(zip(case.inputs, hosts))
                 if s.grad and h.dtype.kind == "f" and s.stype in (None, "default")]
        attrs = self._attrs(case, gdt)
        arrays = [self._to_nd(h, s.noncontiguous, s.stype) for h, s in zip(hosts, case.inputs)]
        for i in nodes:
            arrays[i].attach_grad()
        with self.ctx, autograd.record(train_mode=case.train):
            outs = self._invoke(case, arrays, attrs)
        heads = [o for o in outs if np.dtype(o.dtype).kind == "f"]
        if not heads:
            raise _CaseProblem("no floating-point output to differentiate (set grad=False)")
        head_values = [rng.standard_normal(h.shape).astype(np.dtype(h.dtype)) for h in heads]
        coarsest = min([np.dtype(h.dtype) for h in heads] + [hosts[i].dtype for i in nodes],
                       key=lambda d: d.itemsize).name
        rtol, atol, eps = _GRAD_TOLERANCES.get(coarsest, _GRAD_TOLERANCES["float32"])
        rtol, atol = max(rtol, case.rtol or 0.0), max(atol, case.atol or 0.0)
        with self.ctx:
            autograd.backward(heads, [nd.array(v, ctx=self.ctx, dtype=v.dtype)
                                      for v in head_values])
        analytic = {i: arrays[i].grad.asnumpy() for i in nodes}

        def objective(values: Sequence[np.ndarray]) -> float:
            fresh = [self._to_nd(v, s.noncontiguous, s.stype) for v, s in zip(values, case.inputs)]
            with self.ctx, self._mode(case):
                outs2 = [o for o in self._invoke(case, fresh, attrs)
                         if np.dtype(o.dtype).kind == "f"]
            return float(sum(np.sum(o.asnumpy().astype(np.float64) * v)
                             for o, v in zip(outs2, head_values)))

        numeric = numeric_grad(objective, hosts, eps, nodes)
        problems = []
        for i in nodes:
            try:
                assert_almost_equal(analytic[i], numeric[i], rtol, atol,
                                    names=(f"backward[input {i}]", f"numeric[input {i}]"),
                                    equal_nan=True, use_broadcast=False)
            except AssertionError as exc:
                problems.append(str(exc))
        note = "" if coarsest == "float64" else f" (checked with {coarsest} tolerances)"
        return (FAIL, "gradient" + note + ": " + "\n".join(problems)) if problems \
            else (PASS, note.strip())

    # -- errors --------------------------------------------------------------------------------
    def _error(self, item: Item) -> Tuple[str, str]:
        case: ErrorCase = item.case
        if item.dtype not in self.dtypes:
            return UNSUPPORTED, (f"dtype {item.dtype} is not supported by backend "
                                 f"{self.backend.name}")
        expected = case.error or MXNetError
        rng = np.random.default_rng(item.seed)
        args = [self._to_nd(self._draw(s, item.dtype, rng), s.noncontiguous, s.stype)
                if isinstance(s, Input) else s for s in case.inputs]
        attrs = dict(case.attrs)
        try:
            with self.ctx, autograd.predict_mode():
                outs = self._invoke(case, args, attrs)
                for o in outs:
                    o.wait_to_read()
                nd.waitall()
        except _CaseProblem:
            raise
        except Exception as exc:
            return self._judge_error(case, expected, exc)
        return FAIL, f"no error raised (expected {_class_name(expected)})"

    def _judge_error(self, case: ErrorCase, expected: type, exc: Exception) -> Tuple[str, str]:
        # a missing kernel is "not implemented" even though it is an MXNetError, unless the
        # case expects exactly that kind of error
        if isinstance(exc, NotImplementedForBackend) and not _targets(expected,
                                                                      NotImplementedError):
            return NOT_IMPLEMENTED, str(exc)
        if isinstance(exc, UnsupportedByDevice) and not _targets(expected, UnsupportedByDevice):
            return UNSUPPORTED, str(exc)
        if not isinstance(exc, expected):
            return FAIL, f"raised {_describe(exc)}; expected {_class_name(expected)}"
        message = str(exc)
        missing = []
        if not any(name in message for name in _op_names(case.op)):
            missing.append(f"the op name {case.op!r}")
        tag = f"[backend {self.backend.name}]"
        if tag not in message:
            missing.append(repr(tag))
        if missing:
            return FAIL, f"the message does not name {' or '.join(missing)}: {message}"
        return PASS, ""
