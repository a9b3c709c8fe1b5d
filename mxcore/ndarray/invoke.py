"""Imperative dispatch: run an :class:`~mxcore.ops.registry.OpDef` on NDArrays.

The hot path resolves the kernel once per (op, context) and caches it on the op, calls it on
the backend arrays, wraps the result and — only when recording and an input needs gradients —
appends an autograd node. Kernel exceptions become ``MXNetError`` naming op, shapes, dtypes and
backend. With an asynchronous engine the same work is pushed to the device's queue instead.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional, Sequence

from .. import autograd as _ag
from .. import engine as _engine
from ..backend.registry import KernelNamespace, on_selection_change
from ..base import (
    MXNetError,
    MXNetIndexError,
    MXNetTypeError,
    MXNetValueError,
    NotImplementedForBackend,
    UnsupportedByDevice,
    op_error,
)
from ..ops.registry import OPS, OpDef

__all__ = ["invoke", "resolve_kernel", "kernel_namespace", "diagnose"]

_AG = _ag.STATE
_ENGINE = _engine._Current
_namespaces: Dict[Any, KernelNamespace] = {}


def kernel_namespace(backend: Any) -> KernelNamespace:
    """The ``K`` object decompositions receive for ``backend`` (cached)."""
    ns = _namespaces.get(backend)
    if ns is None:
        ns = _namespaces[backend] = KernelNamespace(backend)
    return ns


def resolve_kernel(op: OpDef, ctx: Any) -> Callable:
    """Fused kernel if the backend has one, else the primitive, else the decomposition."""
    backend = ctx.backend
    table = backend.kernels
    kernel = table.get(op.name)
    if kernel is None and op.primitive is not None:
        kernel = table.get(op.primitive)
        if kernel is None:
            kernel = _missing(op, backend, op.primitive)
    if kernel is None:
        kernel = functools.partial(op.compute, kernel_namespace(backend))
    op.kernel_cache[ctx] = kernel
    return kernel


def _missing(op: OpDef, backend: Any, primitive: str) -> Callable:
    def kernel(*args, **kwargs):
        raise NotImplementedForBackend(
            f"{op.name}: primitive {primitive!r} not implemented [backend {backend.name}]")
    return kernel


def _clear_caches() -> None:
    for op in OPS.values():
        op.kernel_cache.clear()
    _namespaces.clear()


on_selection_change(_clear_caches)

_ERROR_CLASSES = (
    (MXNetError, None),
    (NotImplementedError, NotImplementedForBackend),
    (IndexError, MXNetIndexError),
    (TypeError, MXNetTypeError),
    (ValueError, MXNetValueError),
    (ArithmeticError, MXNetValueError),
    (KeyError, MXNetValueError),
)


def diagnose(op_name: str, arrays: Sequence[Any], backend_name: str,
             exc: BaseException) -> MXNetError:
    """Turn an exception from a kernel into an MXNetError with op, shapes, dtypes, backend."""
    if isinstance(exc, MXNetError):
        msg = str(exc)
        if "[backend " in msg:
            return exc
        cls = type(exc)
        if not msg.startswith(op_name + ":"):
            msg = f"{op_name}: {msg}"
        shapes = [getattr(a, "shape", ()) for a in arrays]
        dtypes = [getattr(a, "dtype", type(a).__name__) for a in arrays]
        return op_error(op_name, msg[len(op_name) + 2:], shapes, dtypes, backend_name, cls)
    cls = MXNetValueError
    for base, mapped in _ERROR_CLASSES:
        if isinstance(exc, base):
            cls = mapped or cls
            break
    if "unsupported" in str(exc).lower() and "dtype" in str(exc).lower():
        cls = UnsupportedByDevice
    shapes = [getattr(a, "shape", ()) for a in arrays]
    dtypes = [getattr(a, "dtype", type(a).__name__) for a in arrays]
    return op_error(op_name, str(exc) or type(exc).__name__, shapes, dtypes, backend_name, cls)


def _same_context(op: OpDef, inputs: Sequence[Any]) -> Any:
    ctx = inputs[0]._ctx
    for x in inputs:
        if x._ctx is not ctx:
            raise MXNetValueError(
                f"{op.name}: all inputs must be on one context; got "
                + ", ".join(str(i._ctx) for i in inputs))
    return ctx


def invoke(op: OpDef, inputs: Sequence[Any], attrs: Optional[dict] = None, out: Any = None,
           ctx: Any = None) -> Any:
    """Run ``op`` on NDArray ``inputs`` with normalised ``attrs``.

    Returns one NDArray, or a list when the op has several outputs. ``ctx`` is needed only
    for ops without inputs (creation, random sampling).
    """
    from .ndarray import NDArray, _wrap

    if attrs is None:
        attrs = {}
    for x in inputs:
        if not isinstance(x, NDArray):
            raise MXNetTypeError(f"{op.name}: inputs must be NDArrays, got {type(x).__name__}")
        if x.stype != "default":
            from .sparse import densify_for

            inputs = densify_for(op.name, inputs)
            break
    if inputs:
        ctx = _same_context(op, inputs)
    elif ctx is None:
        from ..context import current_context

        ctx = current_context()
    kernel = op.kernel_cache.get(ctx)
    if kernel is None:
        kernel = resolve_kernel(op, ctx)
    kwargs = attrs
    if op.uses_rng or op.uses_train_flag:
        kwargs = dict(attrs)
        if op.uses_rng:
            kwargs["rng"] = ctx.backend.rng(ctx.device_id)
        if op.uses_train_flag:
            kwargs["is_train"] = _AG.training
    n_out = op.output_count(attrs)
    n_mut = len(op.mutates)

    def compute() -> List[Any]:
        datas = [x._data for x in inputs]
        try:
            if op.check is not None:
                op.check([d.shape for d in datas], [d.dtype for d in datas], **attrs)
            result = kernel(*datas, **kwargs)
        except Exception as exc:
            raise diagnose(op.name, datas, ctx.backend.name, exc) from exc
        results = [result] if n_out + n_mut == 1 else list(result)
        if op.may_alias:
            copy = ctx.backend.kernels["copy"]
            results[:n_out] = [copy(r) for r in results[:n_out]]
        for i, value in zip(op.mutates, results[n_out:]):
            inputs[i]._data[...] = value
        return results[:n_out]

    record = False
    if _AG.recording and op.differentiable:
        for x in inputs:
            if x._ag is not None:
                record = True
                break
    if not _ENGINE.is_async:
        outputs = [_wrap(r, ctx) for r in compute()]
        if record:
            _ag.record_op(op, attrs, inputs, outputs)
    else:
        outputs = [_wrap(None, ctx) for _ in range(n_out)]
        twins = [_wrap(None, ctx) for _ in range(n_out)] if record else []

        def run() -> None:
            results = compute()
            for o, r in zip(outputs, results):
                o._data = r
            for t, r in zip(twins, results):
                t._data = r

        writes = outputs + twins + [inputs[i] for i in op.mutates]
        _ENGINE.engine.push(run, ctx, inputs, writes)
        if record:
            _ag.record_op(op, attrs, inputs, outputs, twins)
    if out is not None:
        return _write_out(op, outputs, out)
    return outputs[0] if n_out == 1 else outputs


def _write_out(op: OpDef, outputs: List[Any], out: Any) -> Any:
    targets = out if isinstance(out, (list, tuple)) else [out]
    if len(targets) != len(outputs):
        raise MXNetValueError(f"{op.name}: out= has {len(targets)} arrays, op has "
                              f"{len(outputs)} outputs")
    for t, o in zip(targets, outputs):
        t._assign(o)
    return out
