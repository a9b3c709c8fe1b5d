"""``mx.test_utils``: comparisons with per-dtype tolerances, random test data and numeric
gradient checks, with MXNet 1.x's names and arguments.

``check_numeric_gradient`` and ``check_consistency`` take a Symbol or a Python function of
NDArrays; ``check_symbolic_forward``/``check_symbolic_backward``/``simple_forward`` bind a
Symbol and compare its results. The conformance runner builds on these helpers.

Example::

    >>> import numpy as np
    >>> import mxcore as mx
    >>> from mxcore.test_utils import assert_almost_equal, check_numeric_gradient
    >>> assert_almost_equal(mx.nd.array([1, 2]) * 2, np.array([2, 4]))
    >>> check_numeric_gradient(lambda x: x * x, [np.array([1.0, 2.0])])
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .base import MXNetError
from .context import Context, current_context

__all__ = [
    "default_context", "set_default_context", "default_dtype", "get_rtol", "get_atol",
    "get_tols", "almost_equal", "assert_almost_equal", "assert_allclose",
    "assert_almost_equal_ignore_nan", "same", "rand_ndarray", "rand_shape_2d",
    "rand_shape_3d", "rand_shape_nd", "random_arrays", "numeric_grad",
    "check_numeric_gradient", "assert_exception", "check_consistency",
    "check_symbolic_forward", "check_symbolic_backward", "simple_forward",
]

_DEFAULT_CTX: List[Optional[Context]] = [None]

#: default relative / absolute tolerances by dtype (the looser of two dtypes is used)
_RTOLS = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-5}
_ATOLS = {"float16": 1e-1, "float32": 1e-3, "float64": 1e-20}


# -- contexts and dtypes -----------------------------------------------------------------------
def default_context() -> Context:
    """The context tests run on: the one set with :func:`set_default_context`, else the
    current context."""
    return _DEFAULT_CTX[0] or current_context()


def set_default_context(ctx: Context) -> None:
    """Make ``ctx`` the context :func:`default_context` returns."""
    _DEFAULT_CTX[0] = ctx


def default_dtype() -> type:
    """The dtype tests use by default (``float32``, as MXNet)."""
    return np.float32


def _dtype_of(x: Any) -> np.dtype:
    return np.dtype(getattr(x, "dtype", np.float64))


def get_rtol(rtol: Optional[float] = None, dtype: Any = np.float64) -> float:
    """``rtol`` if given, else the default relative tolerance for ``dtype``."""
    return rtol if rtol is not None else _RTOLS.get(np.dtype(dtype).name, 0.0)


def get_atol(atol: Optional[float] = None, dtype: Any = np.float64) -> float:
    """``atol`` if given, else the default absolute tolerance for ``dtype``."""
    return atol if atol is not None else _ATOLS.get(np.dtype(dtype).name, 0.0)


def get_tols(x: Any, y: Any, rtol: Optional[float] = None,
             atol: Optional[float] = None) -> Tuple[float, float]:
    """Tolerances for comparing ``x`` and ``y``: the looser of their dtypes' defaults."""
    dx, dy = _dtype_of(x), _dtype_of(y)
    if rtol is None:
        rtol = max(get_rtol(None, dx), get_rtol(None, dy))
    if atol is None:
        atol = max(get_atol(None, dx), get_atol(None, dy))
    return rtol, atol


# -- comparisons -------------------------------------------------------------------------------
def _as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return np.asarray(x)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float,
           equal_nan: bool) -> np.ndarray:
    """Element-wise ``|a - b| <= atol + rtol * |b|`` (infinities must match exactly)."""
    with np.errstate(all="ignore"):
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def almost_equal(a: Any, b: Any, rtol: Optional[float] = None, atol: Optional[float] = None,
                 equal_nan: bool = False, use_broadcast: bool = True) -> bool:
    """True when ``a`` and ``b`` agree within the tolerances."""
    a, b = _as_numpy(a), _as_numpy(b)
    rtol, atol = get_tols(a, b, rtol, atol)
    if not use_broadcast and a.shape != b.shape:
        return False
    try:
        return bool(np.all(_close(a, b, rtol, atol, equal_nan)))
    except ValueError:  # shapes that do not broadcast
        return False


def _to_float(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "fc":
        return x.astype(np.float64) if x.dtype.kind == "f" else x
    return x.astype(np.float64)


def assert_almost_equal(a: Any, b: Any, rtol: Optional[float] = None,
                        atol: Optional[float] = None, names: Sequence[str] = ("a", "b"),
                        equal_nan: bool = False, use_broadcast: bool = True,
                        mismatches: Tuple[int, int] = (10, 10)) -> None:
    """Raise AssertionError unless ``|a - b| <= atol + rtol * |b|`` everywhere.

    The message gives the largest error relative to the tolerance, where it is, and up to
    ``mismatches[0]`` failing positions. ``equal_nan=True`` makes NaN equal NaN (a NaN facing
    a number still fails).
    """
    a, b = _as_numpy(a), _as_numpy(b)
    rtol, atol = get_tols(a, b, rtol, atol)
    if not use_broadcast and a.shape != b.shape:
        raise AssertionError(f"shape mismatch: {names[0]} has shape {a.shape}, "
                             f"{names[1]} has shape {b.shape}")
    try:
        fa, fb = np.broadcast_arrays(_to_float(a), _to_float(b))
    except ValueError:
        raise AssertionError(f"shapes do not broadcast: {names[0]} {a.shape}, "
                             f"{names[1]} {b.shape}") from None
    ok = _close(fa, fb, rtol, atol, equal_nan)
    if np.all(ok):
        return
    raise AssertionError(_mismatch_message(fa, fb, ok, rtol, atol, names, mismatches[0]))


def _mismatch_message(a: np.ndarray, b: np.ndarray, ok: np.ndarray, rtol: float, atol: float,
                      names: Sequence[str], limit: int) -> str:
    bad = np.argwhere(~ok)
    with np.errstate(all="ignore"):
        ratio = np.abs(a - b) / (atol + rtol * np.abs(b))
    ratio = np.where(ok, 0.0, np.where(np.isnan(ratio), np.inf, ratio))
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.ndim else ()
    lines = [
        f"{names[0]} and {names[1]} differ at {len(bad)} of {a.size} positions "
        f"(rtol={rtol:g}, atol={atol:g}); largest error is {float(ratio[worst]):.3g} times "
        f"the tolerance at index {tuple(int(i) for i in worst)}: "
        f"{names[0]}={a[worst]!r}, {names[1]}={b[worst]!r}",
    ]
    for idx in bad[:limit]:
        idx = tuple(int(i) for i in idx)
        lines.append(f"  at {idx}: {names[0]}={a[idx]!r}, {names[1]}={b[idx]!r}")
    if len(bad) > limit:
        lines.append(f"  ... and {len(bad) - limit} more")
    return "\n".join(lines)


def assert_allclose(actual: Any, desired: Any, rtol: float = 1e-7, atol: float = 0.0,
                    equal_nan: bool = True, err_msg: str = "") -> None:
    """NumPy-style ``assert_allclose`` on NDArrays or arrays (shapes must match)."""
    try:
        assert_almost_equal(actual, desired, rtol, atol, ("actual", "desired"), equal_nan,
                            use_broadcast=False)
    except AssertionError as exc:
        raise AssertionError(f"{err_msg}\n{exc}" if err_msg else str(exc)) from None


def assert_almost_equal_ignore_nan(a: Any, b: Any, rtol: Optional[float] = None,
                                   atol: Optional[float] = None,
                                   names: Sequence[str] = ("a", "b")) -> None:
    """Like :func:`assert_almost_equal`, ignoring positions where either side is NaN."""
    a = _to_float(_as_numpy(a)).copy()
    b = _to_float(_as_numpy(b)).copy()
    a, b = np.broadcast_arrays(a, b)
    a, b = a.copy(), b.copy()
    nan = np.isnan(a) | np.isnan(b)
    a[nan] = 0
    b[nan] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def same(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` have equal shapes and equal elements."""
    return bool(np.array_equal(_as_numpy(a), _as_numpy(b)))


# -- random data -------------------------------------------------------------------------------
def rand_shape_2d(dim0: int = 10, dim1: int = 10) -> Tuple[int, int]:
    """A random 2-D shape with each dimension in [1, dim]."""
    return int(np.random.randint(1, dim0 + 1)), int(np.random.randint(1, dim1 + 1))


def rand_shape_3d(dim0: int = 10, dim1: int = 10, dim2: int = 10) -> Tuple[int, int, int]:
    """A random 3-D shape with each dimension in [1, dim]."""
    return (int(np.random.randint(1, dim0 + 1)), int(np.random.randint(1, dim1 + 1)),
            int(np.random.randint(1, dim2 + 1)))


def rand_shape_nd(num_dim: int, dim: int = 10) -> Tuple[int, ...]:
    """A random ``num_dim``-D shape with each dimension in [1, dim]."""
    return tuple(int(d) for d in np.random.randint(1, dim + 1, size=num_dim))


def random_arrays(*shapes: Sequence[int]) -> Union[np.ndarray, List[np.ndarray]]:
    """Standard-normal NumPy arrays of :func:`default_dtype`; one array for one shape."""
    arrays = [np.asarray(np.random.randn(*s), dtype=default_dtype()) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def rand_ndarray(shape: Sequence[int], stype: str = "default", density: Optional[float] = None,
                 dtype: Any = None, modifier_func: Optional[Callable] = None,
                 shuffle_csr_indices: bool = False, distribution: Optional[str] = None,
                 ctx: Optional[Context] = None) -> Any:
    """A random NDArray with values in [-1, 1); ``density`` keeps that fraction non-zero
    (whole rows for ``row_sparse``); ``stype`` 'csr' or 'row_sparse' converts the result."""
    shape = tuple(shape)
    values = np.random.uniform(-1.0, 1.0, size=shape)
    if density is not None:
        if not 0.0 <= density <= 1.0:
            raise MXNetError(f"rand_ndarray: density must be in [0, 1], got {density}")
        if stype == "row_sparse" and shape:
            keep = np.random.rand(shape[0]) < density
            values = values * keep.reshape((-1,) + (1,) * (len(shape) - 1))
        else:
            values = values * (np.random.rand(*shape) < density)
    if modifier_func is not None:
        values = np.vectorize(modifier_func)(values) if values.size else values
    from .ndarray import array

    arr = array(values, ctx=ctx or default_context(), dtype=dtype or default_dtype())
    return arr if stype == "default" else arr.tostype(stype)


# -- gradients ---------------------------------------------------------------------------------
def numeric_grad(f: Callable[[List[np.ndarray]], float], location: Sequence[np.ndarray],
                 eps: float = 1e-4, grad_nodes: Optional[Sequence[int]] = None
                 ) -> List[Optional[np.ndarray]]:
    """Central differences of the scalar function ``f(arrays)`` at ``location``.

    Each element is moved by ``±eps/2`` in its array's dtype and the change of ``f`` is
    divided by the step actually taken (after rounding to that dtype). Returns a float64
    gradient per array (None for arrays not in ``grad_nodes``).
    """
    arrays = [np.array(x, copy=True) for x in location]
    nodes = range(len(arrays)) if grad_nodes is None else grad_nodes
    grads: List[Optional[np.ndarray]] = [None] * len(arrays)
    for i in nodes:
        x = arrays[i]
        flat = x.reshape(-1)
        grad = np.zeros(x.shape, dtype=np.float64)
        gflat = grad.reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            plus = np.asarray(orig + eps / 2, dtype=x.dtype)
            minus = np.asarray(orig - eps / 2, dtype=x.dtype)
            flat[j] = plus
            f_plus = float(f(arrays))
            flat[j] = minus
            f_minus = float(f(arrays))
            flat[j] = orig
            step = float(plus) - float(minus)
            gflat[j] = (f_plus - f_minus) / step
        grads[i] = grad
    return grads


def _outputs(result: Any) -> List[Any]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _resolve_location(fn: Callable, location: Any) -> Tuple[List[str], List[np.ndarray], bool]:
    """(names, arrays, keyword) for a location given as a list, a dict or one array."""
    if isinstance(location, dict):
        names = list(location)
        return names, [_as_numpy(location[n]) for n in names], True
    if not isinstance(location, (list, tuple)):
        location = [location]
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    names = [params[i] if i < len(params) else f"arg{i}" for i in range(len(location))]
    return names, [_as_numpy(x) for x in location], False


def check_numeric_gradient(sym: Any, location: Any, aux_states: Any = None,
                           numeric_eps: float = 1e-3, rtol: float = 1e-2,
                           atol: Optional[float] = None,
                           grad_nodes: Optional[Sequence[Union[int, str]]] = None,
                           use_forward_train: bool = True, ctx: Optional[Context] = None,
                           grad_stype_dict: Any = None, dtype: Any = np.float32) -> None:
    """Compare backward gradients of ``sym`` with central finite differences.

    ``sym`` is a Symbol (bound with ``location`` as its arguments, a list in
    ``list_arguments()`` order or a dict, and ``aux_states``; ``grad_nodes`` are argument
    names, or a dict name -> grad_req) or a function of NDArrays returning an NDArray or a
    list of them (``location`` a list of positional or a dict of keyword arguments). The
    scalar checked is ``sum(output * random_projection)`` over all outputs. Raises
    AssertionError naming the input whose gradient differs.
    """
    from . import autograd
    from . import ndarray as nd

    if _is_symbol(sym):
        _check_numeric_gradient_symbol(sym, location, aux_states, numeric_eps, rtol, atol,
                                       grad_nodes, use_forward_train, ctx, dtype)
        return
    if not callable(sym):
        raise MXNetError("check_numeric_gradient: pass a Symbol or a Python function of "
                         f"NDArrays, got {type(sym).__name__}")
    if aux_states:
        raise MXNetError("check_numeric_gradient: aux_states need a Symbol; pass them as "
                         "function arguments instead")
    ctx = ctx or default_context()
    dtype = np.dtype(dtype)
    names, arrays, keyword = _resolve_location(sym, location)
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    if grad_nodes is None:
        nodes = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    else:
        nodes = [names.index(g) if isinstance(g, str) else int(g) for g in grad_nodes]

    def run(values: Sequence[np.ndarray], attach: bool) -> Tuple[List[Any], List[Any]]:
        inputs = [nd.array(v, ctx=ctx, dtype=v.dtype) for v in values]
        if attach:
            for i in nodes:
                inputs[i].attach_grad()
        if keyword:
            outs = sym(**dict(zip(names, inputs)))
        else:
            outs = sym(*inputs)
        return inputs, _outputs(outs)

    with autograd.record(train_mode=use_forward_train):
        inputs, outs = run(arrays, True)
    projections = [np.random.normal(size=o.shape).astype(np.dtype(o.dtype)) for o in outs]
    autograd.backward(outs, [nd.array(p, ctx=ctx, dtype=p.dtype) for p in projections])
    analytic = {i: inputs[i].grad.asnumpy() for i in nodes}

    def objective(values: Sequence[np.ndarray]) -> float:
        scope = autograd.train_mode() if use_forward_train else autograd.predict_mode()
        with scope:
            _, outs2 = run(values, False)
        return float(sum(np.sum(o.asnumpy().astype(np.float64) * p)
                         for o, p in zip(outs2, projections)))

    numeric = numeric_grad(objective, arrays, numeric_eps, nodes)
    for i in nodes:
        assert_almost_equal(numeric[i], analytic[i], rtol, atol,
                            (f"NUMERICAL_{names[i]}", f"BACKWARD_{names[i]}"), equal_nan=True)


def assert_exception(f: Callable, exception_type: Any, *args: Any, **kwargs: Any
                     ) -> BaseException:
    """Assert ``f(*args, **kwargs)`` raises ``exception_type``; returns the exception."""
    try:
        f(*args, **kwargs)
    except exception_type as exc:
        return exc
    raise AssertionError(f"{getattr(f, '__name__', f)!r} did not raise "
                         f"{getattr(exception_type, '__name__', exception_type)}")


_CONSISTENCY_TOL = {"float16": 1e-1, "float32": 1e-3, "float64": 1e-5}


def check_consistency(sym: Any, ctx_list: Sequence[Any], scale: float = 1.0,
                      grad_req: Any = "write", arg_params: Optional[Dict[str, Any]] = None,
                      aux_params: Optional[Dict[str, Any]] = None,
                      tol: Optional[Union[float, Dict[Any, float]]] = None,
                      raise_on_err: bool = True, ground_truth: Optional[Dict[str, Any]] = None,
                      equal_nan: bool = False, use_uniform: bool = False,
                      rand_type: Any = np.float64, **_unused: Any) -> Any:
    """Run ``sym`` on every context/dtype in ``ctx_list`` and compare outputs and gradients
    with the most precise run (or with ``ground_truth``).

    Each entry is a dict like MXNet's: ``{'ctx': mx.cpu(0), 'data': (2, 3), 'type_dict':
    {'data': np.float16}}`` (a bare Context is accepted too). ``sym`` is a Symbol (or one
    Symbol per entry): each entry is ``simple_bind``-ed, arguments come from ``arg_params``
    or are drawn normal (uniform in ±0.92 with ``use_uniform``) times ``scale``, auxiliary
    states from ``aux_params`` (else 0); inference outputs, then training outputs and
    gradients (head gradients = the outputs) are compared with tolerance ``tol`` (a number,
    or a dict dtype -> tolerance; defaults by dtype). Returns the ground truth, a dict name
    -> NDArray of outputs and gradients, as MXNet.

    ``sym`` may also be a Python function of NDArrays whose parameter names are the entries'
    keys; then the outputs of each run are returned as lists of NumPy arrays.
    """
    if _is_symbol(sym) or (isinstance(sym, (list, tuple)) and sym and _is_symbol(sym[0])):
        return _check_consistency_symbol(sym, ctx_list, scale, grad_req, arg_params,
                                         aux_params, tol, raise_on_err, ground_truth,
                                         equal_nan, use_uniform, rand_type)
    return _check_consistency_function(sym, ctx_list, scale, grad_req, arg_params, tol,
                                       raise_on_err, equal_nan)


def _check_consistency_function(sym: Callable, ctx_list: Sequence[Any], scale: float,
                                grad_req: str, arg_params: Optional[Dict[str, Any]],
                                tol: Optional[Union[float, Dict[Any, float]]],
                                raise_on_err: bool, equal_nan: bool) -> List[List[np.ndarray]]:
    """:func:`check_consistency` for a Python function of NDArrays."""
    from . import autograd
    from . import ndarray as nd

    entries = [e if isinstance(e, dict) else {"ctx": e} for e in ctx_list]
    names = list(inspect.signature(sym).parameters)
    shapes = {n: tuple(entries[0][n]) for n in names if n in entries[0]}
    values = {}
    for n in names:
        if arg_params and n in arg_params:
            values[n] = _as_numpy(arg_params[n]).astype(np.float64)
        elif n in shapes:
            values[n] = np.random.normal(size=shapes[n]) * scale
        else:
            raise MXNetError(f"check_consistency: no shape or value for argument {n!r}")
    runs = []
    for entry in entries:
        types = entry.get("type_dict", {})
        dtypes = {n: np.dtype(types.get(n, default_dtype())) for n in names}
        inputs = [nd.array(values[n], ctx=entry["ctx"], dtype=dtypes[n]) for n in names]
        if grad_req != "null":
            for x in inputs:
                x.attach_grad(grad_req)
        with autograd.record():
            outs = _outputs(sym(*inputs))
        if grad_req != "null":
            autograd.backward(outs, [nd.ones_like(o) for o in outs])
        grads = [x.grad.asnumpy() for x in inputs] if grad_req != "null" else []
        precision = min(np.dtype(d).itemsize for d in dtypes.values()) if dtypes else 8
        runs.append((precision, [o.asnumpy() for o in outs], grads, dtypes))
    truth = max(range(len(runs)), key=lambda i: runs[i][0])
    for i, (_, outs, grads, dtypes) in enumerate(runs):
        if i == truth:
            continue
        low = min(dtypes.values(), key=lambda d: d.itemsize).name if dtypes else "float32"
        t = tol.get(np.dtype(low), tol.get(low)) if isinstance(tol, dict) else tol
        t = _CONSISTENCY_TOL.get(low, 0.0) if t is None else t
        pairs = [(f"output{k}", o, runs[truth][1][k]) for k, o in enumerate(outs)]
        pairs += [(f"grad_{names[k]}", g, runs[truth][2][k]) for k, g in enumerate(grads)]
        for what, got, want in pairs:
            try:
                assert_almost_equal(got, want, t, t, (f"ctx_list[{i}].{what}",
                                                      f"ctx_list[{truth}].{what}"), equal_nan)
            except AssertionError:
                if raise_on_err:
                    raise
    return [r[1] for r in runs]


# the symbolic checks bind Symbols through executors; they live in their own module
from ._symbolic_checks import (  # noqa: E402
    _check_consistency_symbol,
    _check_numeric_gradient_symbol,
    _is_symbol,
    check_symbolic_backward,
    check_symbolic_forward,
    simple_forward,
)
