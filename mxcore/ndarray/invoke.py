"""Imperative dispatch: run an :class:`~mxcore.ops.registry.OpDef` on NDArrays.

The hot path resolves the kernel once per (op, context) and caches it on the op, calls it on
the backend arrays, wraps the result and — only when recording and an input needs gradients —
appends an autograd node. Kernel exceptions become ``MXNetError`` naming op, shapes, dtypes and
backend. With an asynchronous engine the same work is pushed to the device's queue instead.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence

from .. import autograd as _ag
from .. import engine as _engine
from ..backend.primitives import PRIMITIVES
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


class _CaptureState(threading.local):
    """Per-thread capture hook: ``rec`` is None except while an executor records the ops
    its first backward pass invokes (see ``mxcore/executor/backward.py``)."""

    rec: Any = None


CAPTURE = _CaptureState()
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
    # a table entry under a primitive's name is that primitive, not a fused ``op.name``
    kernel = table.get(op.name) if op.name not in PRIMITIVES else None
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
        shapes = [getattr(a, "shape", ()) for a in arrays] if arrays else None
        dtypes = [getattr(a, "dtype", type(a).__name__) for a in arrays] if arrays else None
        return op_error(op_name, msg[len(op_name) + 2:], shapes, dtypes, backend_name, cls)
    cls = MXNetValueError
    for base, mapped in _ERROR_CLASSES:
        if isinstance(exc, base):
            cls = mapped or cls
            break
    if "unsupported" in str(exc).lower() and "dtype" in str(exc).lower():
        cls = UnsupportedByDevice
    shapes = [getattr(a, "shape", ()) for a in arrays] if arrays else None
    dtypes = [getattr(a, "dtype", type(a).__name__) for a in arrays] if arrays else None
    return op_error(op_name, str(exc) or type(exc).__name__, shapes, dtypes, backend_name, cls)


#: set by mxcore.ndarray.ndarray once NDArray exists (avoids an import cycle)
NDArray: Any = None
_wrap: Any = None


def bind_array_type(array_type: Any, wrap: Callable) -> None:
    global NDArray, _wrap
    NDArray, _wrap = array_type, wrap


def _storage_dispatch(op: OpDef, inputs: Sequence[Any], attrs: dict, out: Any) -> tuple:
    """Inputs that are not all plain dense NDArrays: check their types; with a sparse input
    run the op's sparse kernel (``mxcore/ops/sparse_kernels.py``) if it has one for these
    storage types, else densify the inputs (the storage fallback, warned once per op).

    Returns ``(inputs, result)``: ``result`` is NotImplemented when the dense path must run
    on ``inputs``.
    """
    sparse = False
    for x in inputs:
        if not isinstance(x, NDArray):
            raise MXNetTypeError(f"{op.name}: inputs must be NDArrays, got {type(x).__name__}")
        if x.stype != "default":
            sparse = True
    if not sparse:
        return inputs, NotImplemented
    from ..ops import sparse_kernels
    from .sparse import densify_for

    result = sparse_kernels.run(op, inputs, attrs, out)
    if result is NotImplemented:
        return densify_for(op.name, inputs), NotImplemented
    if out is not None and result is not out:
        result = _write_out(op, result if isinstance(result, list) else [result], out)
    return inputs, result


def _run_kernel(op: OpDef, kernel: Callable, inputs: Sequence[Any], attrs: dict,
                kwargs: dict, ctx: Any, n_out: int) -> List[Any]:
    """Call the kernel on the inputs' data; apply aliasing copies and in-place mutations."""
    datas = [x._data for x in inputs]
    try:
        if op.check is not None:
            op.check([d.shape for d in datas], [d.dtype for d in datas], **attrs)
        result = kernel(*datas, **kwargs)
    except Exception as exc:
        raise diagnose(op.name, datas, ctx.backend.name, exc) from exc
    if n_out == 1 and not op.mutates:
        results = [result]
    else:
        results = list(result)
    if op.may_alias:
        copy = ctx.backend.kernels["copy"]
        results[:n_out] = [copy(r) for r in results[:n_out]]
    for i, value in zip(op.mutates, results[n_out:]):
        inputs[i]._data[...] = value
    return results[:n_out] if op.mutates else results


def invoke(op: OpDef, inputs: Sequence[Any], attrs: Optional[dict] = None, out: Any = None,
           ctx: Any = None) -> Any:
    """Run ``op`` on NDArray ``inputs`` with normalised ``attrs``.

    Returns one NDArray, or a list when the op has several outputs. ``ctx`` is needed only
    for ops without inputs (creation, random sampling).
    """
    if attrs is None:
        attrs = _NO_ATTRS
    for x in inputs:
        if type(x) is not NDArray:
            inputs, result = _storage_dispatch(op, inputs, attrs, out)
            if result is not NotImplemented:
                return result
            break
    if inputs:
        ctx = inputs[0]._ctx
        for x in inputs:
            if x._ctx is not ctx:
                _different_contexts(op, inputs)
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
    n_out = op.num_outputs if op.num_outputs.__class__ is int else op.output_count(attrs)

    record = False
    rec_attrs = attrs
    if _AG.recording and op.differentiable:
        for x in inputs:
            if x._ag is not None:
                record = True
                break
        if record and op.uses_train_flag:
            rec_attrs = dict(attrs, is_train=kwargs["is_train"])  # the gradient needs the mode
    if not _ENGINE.is_async:
        if n_out == 1 and not op.mutates and not op.may_alias and op.check is None:
            try:
                result = kernel(*[x._data for x in inputs], **kwargs)
            except Exception as exc:
                raise diagnose(op.name, [x._data for x in inputs], ctx.backend.name,
                               exc) from exc
            outputs = [_wrap(result, ctx)]
        else:
            outputs = [_wrap(r, ctx) for r in
                       _run_kernel(op, kernel, inputs, attrs, kwargs, ctx, n_out)]
        if record:
            _ag.record_op(op, rec_attrs, inputs, outputs)
        if CAPTURE.rec is not None:
            CAPTURE.rec.call(op, kernel, kwargs, inputs, outputs, n_out, out)
    else:
        if CAPTURE.rec is not None:
            CAPTURE.rec.fail("asynchronous engine")
        outputs = [_wrap(None, ctx) for _ in range(n_out)]
        twins = [_wrap(None, ctx) for _ in range(n_out)] if record else []

        def run() -> None:
            results = _run_kernel(op, kernel, inputs, attrs, kwargs, ctx, n_out)
            for o, r in zip(outputs, results):
                o._data = r
            for t, r in zip(twins, results):
                t._data = r

        writes = outputs + twins + [inputs[i] for i in op.mutates]
        _ENGINE.engine.push(run, ctx, inputs, writes)
        if record:
            _ag.record_op(op, rec_attrs, inputs, outputs, twins)
    if op.num_visible_outputs is not None:
        n_vis = op.visible_count(attrs)
        outputs = outputs[:n_vis]  # hidden outputs live on only in the autograd node
    else:
        n_vis = n_out
    if out is not None:
        return _write_out(op, outputs, out)
    return outputs[0] if n_vis == 1 else outputs


_NO_ATTRS: dict = {}


def _different_contexts(op: OpDef, inputs: Sequence[Any]) -> None:
    raise MXNetValueError(f"{op.name}: all inputs must be on one context; got "
                          + ", ".join(str(i._ctx) for i in inputs))


def _write_out(op: OpDef, outputs: List[Any], out: Any) -> Any:
    targets = out if isinstance(out, (list, tuple)) else [out]
    if len(targets) != len(outputs):
        raise MXNetValueError(f"{op.name}: out= has {len(targets)} arrays, op has "
                              f"{len(outputs)} outputs")
    for t, o in zip(targets, outputs):
        t._assign(o)
    return out
