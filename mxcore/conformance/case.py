"""How a conformance case is written.

Each ``cases_<area>.py`` module (mirroring ``mxcore/ops/<area>.py``) defines ``CASES``, a list
of :class:`Case`, and ``ERROR_CASES``, a list of :class:`ErrorCase`. The runner builds inputs
from the specs (seeded), computes the float64 NumPy ``reference``, runs the op on the backend
under test in each dtype, compares with per-dtype tolerances, and checks gradients of
differentiable ops against central finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

__all__ = ["Input", "Case", "ErrorCase", "FLOATS", "ALL_DTYPES", "INTS", "SIGNED"]

FLOATS: Tuple[str, ...] = ("float16", "float32", "float64")
INTS: Tuple[str, ...] = ("uint8", "int8", "int32", "int64")
SIGNED: Tuple[str, ...] = ("float16", "float32", "float64", "int8", "int32", "int64")
ALL_DTYPES: Tuple[str, ...] = FLOATS + INTS + ("bool",)


@dataclass
class Input:
    """One input array: its shape and how its values are drawn.

    ``low``/``high``: uniform range (integers drawn in [low, high) for integer dtypes);
    ``dtype``: fixed dtype (e.g. "int64" for indices) instead of the case dtype;
    ``values``: explicit values (a nested list or NumPy array), overriding the range;
    ``noncontiguous``: pass a strided view instead of a contiguous array;
    ``grad``: include this input in the gradient check;
    ``stype``: pass it as a ``"row_sparse"`` or ``"csr"`` array (drawn values then have about
    half their rows, or entries, set to zero); sparse inputs take no part in gradient checks.
    """

    shape: Tuple[int, ...]
    low: float = -2.0
    high: float = 2.0
    dtype: Optional[str] = None
    values: Any = None
    noncontiguous: bool = False
    grad: bool = True
    stype: Optional[str] = None


@dataclass
class Case:
    """Run ``op`` on ``inputs`` with ``attrs``; compare against ``reference``.

    ``reference(*float64_arrays, **attrs)`` returns a NumPy array or a tuple of them (one per
    output). ``op`` is an ``mx.nd`` name; ``call`` (optional) replaces the plain call, taking
    ``(nd, *arrays, **attrs)`` — for ops that need a special invocation. ``grad=False`` skips
    the finite-difference check (non-differentiable points, integer outputs).
    ``random=True`` marks ops whose outputs are random: the runner then checks shape, dtype,
    and the statistics the case's ``reference`` checks (it receives the output instead).
    ``out_stype``: the storage type the first output must have (sparse kernels).
    """

    op: str
    inputs: Sequence[Input]
    reference: Callable[..., Any]
    attrs: Dict[str, Any] = field(default_factory=dict)
    dtypes: Sequence[str] = FLOATS
    name: str = ""
    grad: bool = True
    rtol: Optional[float] = None
    atol: Optional[float] = None
    call: Optional[Callable[..., Any]] = None
    random: bool = False
    train: bool = False
    out_stype: Optional[str] = None


@dataclass
class ErrorCase:
    """Invalid input: calling ``op`` must raise ``error`` (an MXNetError subclass) whose
    message names the op and the backend."""

    op: str
    inputs: Sequence[Union[Input, Any]]
    attrs: Dict[str, Any] = field(default_factory=dict)
    error: Any = None  # defaults to mxcore.base.MXNetError
    name: str = ""
    dtype: str = "float32"
    call: Optional[Callable[..., Any]] = None
