"""Errors and small helpers shared by every part of mxcore."""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

__all__ = [
    "MXNetError",
    "MXNetValueError",
    "MXNetTypeError",
    "MXNetIndexError",
    "NotImplementedForBackend",
    "UnsupportedByDevice",
    "BackendUnavailableError",
    "op_error",
    "describe_shapes",
    "describe_dtypes",
]


class MXNetError(Exception):
    """The error every mxcore failure raises (MXNet's name, kept for compatibility)."""


class MXNetValueError(MXNetError, ValueError):
    """Invalid value: bad shapes, bad parameter values."""


class MXNetTypeError(MXNetError, TypeError):
    """Invalid type: wrong argument kind or unsupported dtype."""


class MXNetIndexError(MXNetError, IndexError):
    """Index out of range."""


class NotImplementedForBackend(MXNetError, NotImplementedError):
    """The selected backend has no kernel for this primitive (and no decomposition exists)."""


class UnsupportedByDevice(MXNetError, TypeError):
    """The device cannot run this (for example float64 on a device without fp64)."""


class BackendUnavailableError(MXNetError, RuntimeError):
    """No usable backend serves the requested device type."""


def describe_shapes(shapes: Iterable[Sequence[int]]) -> str:
    return ", ".join(str(tuple(int(d) for d in s)).replace(" ", "") for s in shapes)


def describe_dtypes(dtypes: Iterable[Any]) -> str:
    return ", ".join(str(d) for d in dtypes)


def op_error(
    op: str,
    problem: str,
    shapes: Optional[Iterable[Sequence[int]]] = None,
    dtypes: Optional[Iterable[Any]] = None,
    backend: Optional[str] = None,
    cls: type = MXNetValueError,
) -> MXNetError:
    """Build the standard message: ``op: problem; got shapes ..., dtypes ... [backend X]``."""
    msg = f"{op}: {problem}"
    details = []
    if shapes is not None:
        details.append("shapes " + describe_shapes(shapes))
    if dtypes is not None:
        details.append("dtypes " + describe_dtypes(dtypes))
    if details:
        msg += "; got " + ", ".join(details)
    if backend:
        msg += f" [backend {backend}]"
    return cls(msg)
