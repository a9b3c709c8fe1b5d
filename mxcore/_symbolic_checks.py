"""The symbolic checks of ``mx.test_utils``: Symbols bound and run through executors
(``check_symbolic_forward``/``backward``, ``simple_forward``, and the Symbol forms of
``check_numeric_gradient`` and ``check_consistency``)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .base import MXNetValueError
from .context import Context
from .test_utils import (
    _CONSISTENCY_TOL,
    _as_numpy,
    assert_almost_equal,
    default_context,
    default_dtype,
    numeric_grad,
)

_LOG = logging.getLogger(__name__)


def _is_symbol(x: Any) -> bool:
    from .symbol import Symbol

    return isinstance(x, Symbol)


def _to_nd(value: Any, ctx: Context, dtype: Any) -> Any:
    """``value`` as an NDArray on ``ctx``: NDArrays keep their dtype, anything else becomes
    ``dtype`` (``'asnumpy'`` keeps a NumPy array's own dtype)."""
    from . import ndarray as nd

    if isinstance(value, nd.NDArray):
        return value if value.context == ctx else value.as_in_context(ctx)
    arr = np.asarray(value)
    return nd.array(arr, ctx=ctx, dtype=arr.dtype if _keep_dtype(dtype) else dtype)


def _keep_dtype(dtype: Any) -> bool:
    return isinstance(dtype, str) and dtype == "asnumpy"


def _by_name(values: Any, names: Sequence[str], what: str, exact: bool = True
             ) -> Dict[str, Any]:
    """A list (in ``names`` order) or a dict of values, as a dict keyed by ``names``."""
    if isinstance(values, dict):
        unknown = sorted(set(values) - set(names))
        missing = sorted(set(names) - set(values)) if exact else []
        if unknown or missing:
            raise MXNetValueError(f"{what}: the keys {sorted(values)} do not match the "
                                  f"symbol's names {list(names)} (unknown {unknown}, "
                                  f"missing {missing})")
        return dict(values)
    if not isinstance(values, (list, tuple)):
        values = [values]
    too_many = len(values) > len(names)
    if too_many or (exact and len(values) != len(names)):
        raise MXNetValueError(f"{what}: got {len(values)} values for the symbol's "
                              f"{len(names)} names {list(names)}")
    return dict(zip(names, values))


def _parse_location(sym: Any, location: Any, ctx: Context, dtype: Any) -> Dict[str, Any]:
    """Argument name -> NDArray on ``ctx`` from a list or dict ``location``."""
    values = _by_name(location, sym.list_arguments(), "location")
    return {k: _to_nd(v, ctx, dtype) for k, v in values.items()}


def _parse_aux_states(sym: Any, aux_states: Any, ctx: Context, dtype: Any
                      ) -> Optional[Dict[str, Any]]:
    if aux_states is None:
        return None
    values = _by_name(aux_states, sym.list_auxiliary_states(), "aux_states")
    return {k: _to_nd(v, ctx, dtype) for k, v in values.items()}


def _grad_reqs(grad_req: Any, names: Sequence[str]) -> Dict[str, str]:
    if isinstance(grad_req, str):
        return {n: grad_req for n in names}
    return _by_name(grad_req, names, "grad_req", exact=False)


def check_symbolic_forward(sym: Any, location: Any, expected: Any,
                           rtol: Optional[float] = None, atol: Optional[float] = None,
                           aux_states: Any = None, ctx: Optional[Context] = None,
                           equal_nan: bool = False, dtype: Any = np.float32) -> List[Any]:
    """Bind ``sym`` at ``location``, run an inference forward and compare each output with
    ``expected`` (a list in ``list_outputs()`` order or a dict by output name).

    ``location`` is a list in ``list_arguments()`` order or a dict by argument name;
    ``aux_states`` likewise for ``list_auxiliary_states()``. NumPy inputs become ``dtype``.
    Returns the executor's outputs (NDArrays); raises AssertionError naming the output.
    """
    ctx = ctx or default_context()
    args = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    names = sym.list_outputs()
    expected = _by_name(expected, names, "expected")
    exe = sym.bind(ctx, args=args, aux_states=aux, grad_req="null")
    outputs = exe.forward(is_train=False)
    for name, out in zip(names, outputs):
        assert_almost_equal(expected[name], out, rtol, atol,
                            (f"EXPECTED_{name}", f"FORWARD_{name}"), equal_nan=equal_nan)
    return outputs


def check_symbolic_backward(sym: Any, location: Any, out_grads: Any, expected: Any,
                            rtol: Optional[float] = None, atol: Optional[float] = None,
                            aux_states: Any = None, grad_req: Any = "write",
                            ctx: Optional[Context] = None, grad_stypes: Any = None,
                            equal_nan: bool = False, dtype: Any = np.float32
                            ) -> Dict[str, Any]:
    """Bind ``sym``, run a training forward and ``backward(out_grads)`` and compare the
    argument gradients with ``expected`` (a list in ``list_arguments()`` order, None entries
    skipped, or a dict by argument name: only those arguments get gradients).

    Gradient arrays start random: with ``grad_req='add'`` the expected value is the added
    amount, with ``'null'`` the array must be unchanged. ``out_grads`` is a list, a dict by
    output name, one array or None (ones). Returns argument name -> gradient NDArray.
    """
    from . import ndarray as nd

    ctx = ctx or default_context()
    args = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    arg_names = sym.list_arguments()
    if isinstance(expected, dict):
        expected = _by_name(expected, arg_names, "expected", exact=False)
    else:
        expected = {k: v for k, v in _by_name(expected, arg_names, "expected").items()
                    if v is not None}
    for name, stype in (grad_stypes or {}).items():
        if stype != "default":
            raise MXNetValueError(f"check_symbolic_backward: grad_stypes[{name!r}]={stype!r}; "
                                  "only dense ('default') gradients can be bound")
    reqs = _grad_reqs(grad_req, arg_names)
    initial = {k: np.random.normal(size=args[k].shape) for k in expected}
    grads = {}
    for k, v in initial.items():
        gdtype = _as_numpy(expected[k]).dtype if _keep_dtype(dtype) else dtype
        grads[k] = nd.array(v, ctx=ctx, dtype=gdtype)
        initial[k] = grads[k].asnumpy()
    exe = sym.bind(ctx, args=args, args_grad=grads, grad_req=reqs, aux_states=aux)
    exe.forward(is_train=True)
    exe.backward(_head_grads(out_grads, ctx, dtype))
    for name, want in expected.items():
        got = grads[name].asnumpy()
        req = reqs.get(name, "null")
        if req == "add":
            got = got.astype(np.float64) - initial[name]
        elif req == "null":
            want = initial[name]
        assert_almost_equal(want, got, rtol, atol, (f"EXPECTED_{name}", f"BACKWARD_{name}"),
                            equal_nan=equal_nan)
    return grads


def _head_grads(out_grads: Any, ctx: Context, dtype: Any) -> Any:
    if out_grads is None:
        return None
    if isinstance(out_grads, dict):
        return {k: _to_nd(v, ctx, dtype) for k, v in out_grads.items()}
    if isinstance(out_grads, (list, tuple)):
        return [None if v is None else _to_nd(v, ctx, dtype) for v in out_grads]
    return [_to_nd(out_grads, ctx, dtype)]


def simple_forward(sym: Any, ctx: Optional[Context] = None, is_train: bool = False,
                   **inputs: Any) -> Union[np.ndarray, List[np.ndarray]]:
    """Bind ``sym`` to ``inputs`` (argument name -> array), run forward and return the
    outputs as NumPy arrays (one array for a single output)."""
    from . import ndarray as nd

    ctx = ctx or default_context()
    args = {k: _to_nd(v, ctx, v.dtype if isinstance(v, (np.ndarray, nd.NDArray))
                      else default_dtype()) for k, v in inputs.items()}
    exe = sym.bind(ctx, args=args, grad_req="null")
    outputs = [o.asnumpy() for o in exe.forward(is_train=is_train)]
    return outputs[0] if len(outputs) == 1 else outputs


def _check_numeric_gradient_symbol(sym: Any, location: Any, aux_states: Any,
                                   numeric_eps: float, rtol: float, atol: Optional[float],
                                   grad_nodes: Any, use_forward_train: bool,
                                   ctx: Optional[Context], dtype: Any) -> None:
    """:func:`check_numeric_gradient` for a Symbol, through ``bind`` and ``forward``."""
    from . import ndarray as nd

    ctx = ctx or default_context()
    args = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    arg_names = sym.list_arguments()
    if grad_nodes is None:
        reqs = {n: "write" for n in arg_names}
    elif isinstance(grad_nodes, dict):
        reqs = _by_name(grad_nodes, arg_names, "grad_nodes", exact=False)
    else:
        nodes = [arg_names[g] if isinstance(g, int) else g for g in grad_nodes]
        reqs = _by_name({n: "write" for n in nodes}, arg_names, "grad_nodes", exact=False)
    arg_np = {k: v.asnumpy() for k, v in args.items()}
    aux_np = {k: v.asnumpy() for k, v in (aux or {}).items()}
    initial = {k: np.random.normal(0, 0.01, size=args[k].shape) for k in reqs}
    grads = {k: nd.array(v, ctx=ctx, dtype=args[k].dtype) for k, v in initial.items()}
    initial = {k: g.asnumpy().astype(np.float64) for k, g in grads.items()}
    bound_aux = None if aux is None else {k: v.copy() for k, v in aux.items()}
    exe = sym.bind(ctx, args={k: v.copy() for k, v in args.items()}, args_grad=grads,
                   grad_req=reqs, aux_states=bound_aux)
    outs = exe.forward(is_train=True)
    projections = [np.random.normal(size=o.shape) for o in outs]
    exe.backward([nd.array(p, ctx=ctx, dtype=o.dtype) for p, o in zip(projections, outs)])
    analytic = {k: g.asnumpy().astype(np.float64) for k, g in grads.items()}

    probe = sym.bind(ctx, args={k: v.copy() for k, v in args.items()}, grad_req="null",
                     aux_states=None if aux is None else {k: v.copy() for k, v in aux.items()})
    names = list(arg_np)

    def objective(values: Sequence[np.ndarray]) -> float:
        for name, value in zip(names, values):
            probe.arg_dict[name][:] = value
        for name, value in aux_np.items():  # stateful aux (moving stats) restart each time
            probe.aux_dict[name][:] = value
        outs2 = probe.forward(is_train=use_forward_train)
        return float(sum(np.sum(o.asnumpy().astype(np.float64) * p)
                         for o, p in zip(outs2, projections)))

    positions = [names.index(k) for k in reqs]
    numeric = numeric_grad(objective, [arg_np[n] for n in names], numeric_eps, positions)
    for name in reqs:
        fd, got = numeric[names.index(name)], analytic[name]
        if reqs[name] == "add":
            got = got - initial[name]
        elif reqs[name] == "null":
            fd = initial[name]
        assert_almost_equal(fd, got, rtol, atol, (f"NUMERICAL_{name}", f"BACKWARD_{name}"),
                            equal_nan=True)


def _consistency_tol(tol: Any, dtype: np.dtype) -> float:
    if tol is None:
        return _CONSISTENCY_TOL.get(dtype.name, 0.0)
    if not isinstance(tol, dict):
        return float(tol)
    for key, value in tol.items():
        if np.dtype(key) == dtype:
            return float(value)
    return _CONSISTENCY_TOL.get(dtype.name, 0.0)


def _check_consistency_symbol(sym: Any, ctx_list: Sequence[Any], scale: float, grad_req: Any,
                              arg_params: Optional[Dict[str, Any]],
                              aux_params: Optional[Dict[str, Any]], tol: Any,
                              raise_on_err: bool, ground_truth: Optional[Dict[str, Any]],
                              equal_nan: bool, use_uniform: bool, rand_type: Any
                              ) -> Dict[str, Any]:
    """:func:`check_consistency` for Symbols."""
    from . import ndarray as nd

    entries = [dict(e) if isinstance(e, dict) else {"ctx": e} for e in ctx_list]
    if len(entries) < 2 and ground_truth is None:
        raise MXNetValueError("check_consistency: ctx_list needs at least two entries "
                              "(or a ground_truth)")
    syms = list(sym) if isinstance(sym, (list, tuple)) else [sym] * len(entries)
    if len(syms) != len(entries):
        raise MXNetValueError(f"check_consistency: {len(syms)} symbols for {len(entries)} "
                              "contexts")
    arg_names, out_names = syms[0].list_arguments(), syms[0].list_outputs()
    for s in syms[1:]:
        if s.list_arguments() != arg_names or s.list_outputs() != out_names:
            raise MXNetValueError("check_consistency: the symbols' arguments or outputs "
                                  "differ")
    arg_params = {k: _as_numpy(v) for k, v in (arg_params or {}).items()}
    aux_params = {k: v if np.isscalar(v) else _as_numpy(v) for k, v in
                  (aux_params or {}).items()}
    exes = []
    for s, entry in zip(syms, entries):
        shapes = {k: v.shape for k, v in arg_params.items() if k in arg_names}
        shapes.update({k: v for k, v in entry.items() if k not in ("ctx", "type_dict")})
        exes.append(s.simple_bind(entry.get("ctx") or default_context(), grad_req=grad_req,
                                  type_dict=entry.get("type_dict"), **shapes))
    for name, arr in exes[0].arg_dict.items():
        if name not in arg_params:
            if use_uniform:
                value = np.random.uniform(-0.92 * scale, 0.92 * scale, size=arr.shape)
            else:
                value = np.random.normal(size=arr.shape, scale=scale)
            arg_params[name] = value.astype(rand_type)
    for exe in exes:
        for name, arr in exe.arg_dict.items():
            arr[:] = arg_params[name]
        for name, arr in exe.aux_dict.items():
            arr[:] = aux_params.get(name, 0)
        for arr in exe.grad_arrays:
            if arr is not None:
                arr[:] = 0
    outs = [[o.asnumpy() for o in exe.forward(is_train=False)] for exe in exes]
    dtypes = [np.dtype(o[0].dtype) if o else np.dtype(np.float32) for o in outs]
    truth = max(range(len(exes)), key=lambda i: (dtypes[i].kind == "f", dtypes[i].itemsize,
                                                 -i))

    def compare(what: str, names: Sequence[str], values: List[Dict[str, np.ndarray]],
                gt: Dict[str, Any]) -> None:
        for i in range(len(exes)):
            if i == truth and ground_truth is None:
                continue
            t = _consistency_tol(tol, dtypes[i])
            for name in names:
                if name not in values[i] or gt.get(name) is None:
                    continue
                got = values[i][name]
                want = _as_numpy(gt[name]).astype(got.dtype)
                try:
                    assert_almost_equal(got, want, t, t, (f"ctx_list[{i}].{name}",
                                                          f"ground_truth.{name}"), equal_nan)
                except AssertionError as exc:
                    if raise_on_err:
                        raise AssertionError(f"check_consistency ({what}): ctx_list[{i}] vs "
                                             f"ctx_list[{truth}] at {name}\n{exc}") from None
                    _LOG.warning("check_consistency (%s): %s", what, exc)

    predicted = [dict(zip(out_names, o)) for o in outs]
    gt = ground_truth if ground_truth is not None else predicted[truth]
    compare("predict", out_names, predicted, gt)
    result = dict(predicted[truth])
    if grad_req != "null":
        trained = []
        for exe in exes:
            heads = [o.copy() for o in exe.forward(is_train=True)]
            exe.backward(heads)
            values = {n: o.asnumpy() for n, o in zip(out_names, heads)}
            values.update({n: g.asnumpy() for n, g in exe.grad_dict.items()})
            trained.append(values)
        gt = ground_truth if ground_truth is not None else trained[truth]
        compare("train", out_names + arg_names, trained, gt)
        result = dict(trained[truth])
    if ground_truth is not None:
        return ground_truth
    ctx = entries[truth].get("ctx") or default_context()
    return {k: nd.array(v, ctx=ctx, dtype=v.dtype) for k, v in result.items()}
