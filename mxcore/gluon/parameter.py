"""Parameter and Constant (MXNet 1.x ``mx.gluon.parameter``; ParameterDict, defined in
``parameter_dict``, is re-exported here).

A :class:`Parameter` owns one copy of its data per context (each with its own gradient
buffer). Its shape may be partly unknown (``0`` marks an unknown dimension) until the first
forward pass fills it in; initialisation is then *deferred* until that moment.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..context import Context, cpu, current_context
from ..ndarray import NDArray

__all__ = [
    "DeferredInitializationError",
    "ParameterNotInitializedError",
    "SparseParameterError",
    "Parameter",
    "Constant",
    "ParameterDict",
    "tensor_types",
]

tensor_types = (NDArray,)

_GRAD_REQS = ("write", "add", "null")
_STYPES = ("default", "row_sparse", "csr")

CtxArg = Union[Context, Sequence[Context], None]


class DeferredInitializationError(MXNetError, RuntimeError):
    """A parameter's initialisation waits for the first forward pass to know its shape."""


class ParameterNotInitializedError(MXNetError, RuntimeError):
    """A parameter was used before ``initialize()`` (or on a context it does not live on)."""


class SparseParameterError(MXNetError, RuntimeError):
    """A row_sparse parameter was read with ``data()``, or without a Trainer to pull from."""


def shape_is_known(shape: Optional[Tuple[int, ...]]) -> bool:
    """True when ``shape`` is set and has no unknown (0 or -1) dimension."""
    if shape is None:
        return False
    return all(int(d) > 0 for d in shape)


def _ctx_list(ctx: CtxArg) -> List[Context]:
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    ctxs = list(ctx)
    if not ctxs or not all(isinstance(c, Context) for c in ctxs):
        raise MXNetTypeError(f"ctx must be a Context or a non-empty list of Contexts, got {ctx!r}")
    return ctxs


def _np_type(dtype: Any) -> type:
    try:
        return np.dtype(dtype).type
    except TypeError as exc:
        raise MXNetTypeError(f"Parameter: unknown dtype {dtype!r}") from exc


def _resolve_initializer(init: Any) -> Any:
    """An Initializer instance for ``init`` (an Initializer, a name, or None for Uniform)."""
    from .. import initializer

    if init is None:
        return initializer.Uniform()
    if isinstance(init, str):
        return initializer.create(init)
    return init


class Parameter:
    """A weight of a Block: its data on each context, its gradients and training options.

    Example::

        >>> import mxcore as mx
        >>> w = mx.gluon.Parameter("fc_weight", shape=(2, 3), init=mx.init.One())
        >>> w.initialize(ctx=mx.cpu(0))
        >>> float(w.data().asnumpy().sum())
        6.0
    """

    def __init__(self, name: str, grad_req: str = "write", shape: Any = None,
                 dtype: Any = np.float32, lr_mult: float = 1.0, wd_mult: float = 1.0,
                 init: Any = None, allow_deferred_init: bool = False,
                 differentiable: bool = True, stype: str = "default",
                 grad_stype: str = "default") -> None:
        if stype not in _STYPES:
            raise MXNetValueError(f"Parameter {name!r}: stype must be one of {_STYPES}, "
                                  f"got {stype!r}")
        if grad_stype not in _STYPES:
            raise MXNetValueError(f"Parameter {name!r}: grad_stype must be one of {_STYPES}, "
                                  f"got {grad_stype!r}")
        self.name = name
        self._data: Optional[List[NDArray]] = None
        self._grad: Optional[List[NDArray]] = None
        self._ctx_list: Optional[List[Context]] = None
        self._ctx_map: Dict[Context, int] = {}
        self._trainer: Any = None
        self._deferred_init: tuple = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req: Optional[str] = None
        self._shape: Optional[Tuple[int, ...]] = self._as_shape(shape)
        self._dtype = _np_type(dtype)
        self._stype = stype
        self._grad_stype = grad_stype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.init = init
        self.grad_req = grad_req

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype.__name__})"

    # -- attributes ----------------------------------------------------------------------------
    @staticmethod
    def _as_shape(shape: Any) -> Optional[Tuple[int, ...]]:
        if shape is None:
            return None
        if isinstance(shape, (int, np.integer)):
            return (int(shape),)
        return tuple(int(d) for d in shape)

    @property
    def grad_req(self) -> str:
        return self._grad_req  # type: ignore[return-value]

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in _GRAD_REQS:
            raise MXNetValueError(f"Parameter {self.name!r}: grad_req must be one of "
                                  f"{_GRAD_REQS}, got {req!r}")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if self._data is None:
            return
        if req == "null":
            self._grad = None
            self._data = [d.detach() for d in self._data]
        else:
            self._init_grad()

    @property
    def dtype(self) -> type:
        return self._dtype

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def shape(self) -> Optional[Tuple[int, ...]]:
        return self._shape

    @shape.setter
    def shape(self, new_shape: Any) -> None:
        new = self._as_shape(new_shape)
        old = self._shape
        if old is None or new is None:
            self._shape = new
            return
        compatible = len(old) == len(new) and all(o in (0, -1, n) for o, n in zip(old, new))
        if not compatible:
            raise MXNetValueError(f"Parameter {self.name!r}: expected shape {old} is "
                                  f"incompatible with given shape {new}")
        self._shape = new

    @property
    def stype(self) -> str:
        return self._stype

    # -- initialisation ------------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: CtxArg = None, default_init: Any = None,
                   force_reinit: bool = False) -> None:
        """Create the data on each context in ``ctx`` (deferred if the shape is unknown).

        ``init`` overrides the parameter's own ``init``, which overrides ``default_init``
        (``mx.init.Uniform()`` when None).
        """
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. "
                          "Set force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = self._grad = None
        ctxs = _ctx_list(ctx)
        default_init = _resolve_initializer(default_init)
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctxs, default_init, None)
                return
            raise MXNetValueError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f"{self.shape}. Give its full shape (in_units, in_channels, ...) or create it "
                "with allow_deferred_init=True.")
        self._deferred_init = (init, ctxs, default_init, None)
        self._finish_deferred_init()

    def _fill(self, arr: NDArray, init: Any, default_init: Any) -> None:
        """Fill the fresh host array ``arr`` in place with the initial values."""
        from .. import initializer

        desc = initializer.InitDesc(self.name, {"__init__": init} if init is not None else {})
        _resolve_initializer(default_init)(desc, arr)

    def _finish_deferred_init(self) -> None:
        if not self._deferred_init:
            return
        init, ctxs, default_init, data = self._deferred_init
        if not shape_is_known(self.shape):
            raise DeferredInitializationError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f"{self.shape}. Specify in_units, in_channels, etc. for the Block, or pass "
                "one batch of data through it first.")
        with autograd.pause():
            if data is None:
                data = nd.zeros(self.shape, dtype=self.dtype, ctx=cpu())
                self._fill(data, init, default_init)
            self._init_impl(data, ctxs)
        self._deferred_init = ()

    def _init_impl(self, data: NDArray, ctxs: Sequence[Context]) -> None:
        self._ctx_list = list(ctxs)
        self._ctx_map = {c: i for i, c in enumerate(self._ctx_list)}
        with autograd.pause():
            if data.dtype != self.dtype:
                data = data.astype(self.dtype)
            if data.stype != self._stype:
                data = data.tostype(self._stype)
            self._data = [data.copyto(c) for c in self._ctx_list]
        self._init_grad()

    def _init_grad(self) -> None:
        if self.grad_req == "null" or self._data is None:
            self._grad = None
            return
        if self._stype != "default":
            # sparse data cannot attach_grad; mark it as an autograd variable directly
            self._grad = [nd.sparse.zeros(self._grad_stype, arr.shape, ctx=arr.context,
                                          dtype=arr.dtype) if self._grad_stype != "default"
                          else nd.zeros(arr.shape, ctx=arr.context, dtype=arr.dtype)
                          for arr in self._data]
            autograd.mark_variables(self._data, self._grad, self.grad_req)
            return
        for arr in self._data:
            arr.attach_grad(self.grad_req, stype=self._grad_stype)
        self._grad = [arr.grad for arr in self._data]

    def _load_init(self, data: NDArray, ctx: CtxArg, cast_dtype: bool = False,
                   dtype_source: str = "current") -> None:
        """Set this parameter from loaded ``data`` (shape/dtype checked), initialising it."""
        if dtype_source not in ("current", "saved"):
            raise MXNetValueError(f"dtype_source must be 'current' or 'saved', got "
                                  f"{dtype_source!r}")
        if self.shape is not None:
            ok = len(self.shape) == len(data.shape) and all(
                s in (0, -1, d) for s, d in zip(self.shape, data.shape))
            if not ok:
                raise MXNetValueError(
                    f"Failed loading Parameter '{self.name}' from saved params: shape "
                    f"incompatible, expected {self.shape} vs saved {tuple(data.shape)}")
        self._shape = tuple(data.shape)
        if data.stype != self._stype:
            with autograd.pause():
                data = data.tostype(self._stype)
        if data.dtype != self.dtype:
            if not cast_dtype:
                raise MXNetTypeError(
                    f"Failed loading Parameter '{self.name}' from saved params: dtype "
                    f"incompatible, expected {self.dtype.__name__} vs saved "
                    f"{data.dtype.__name__}. Set cast_dtype=True to cast the saved values.")
            if dtype_source == "current":
                data = data.astype(self.dtype)
            else:
                self._dtype = _np_type(data.dtype)
        ctxs = None if ctx is None else _ctx_list(ctx)
        if self._data is None:
            if self._deferred_init:
                ctxs = ctxs if ctxs is not None else self._deferred_init[1]
            elif ctxs is None:
                ctxs = [cpu()]
            self._init_impl(data, ctxs)
        else:
            if ctxs is not None and set(ctxs) != set(self._ctx_list or ()):
                raise MXNetValueError(
                    f"Failed to load Parameter '{self.name}' on {ctxs} because it was "
                    f"previously initialized on {self._ctx_list}. Call reset_ctx first.")
            self.set_data(data)
        self._deferred_init = ()

    def _reduce(self) -> NDArray:
        """The data averaged over contexts, on the CPU (what gets saved). A row_sparse
        parameter gives its full weight (from its Trainer's store once that holds it)."""
        if self._stype != "default":
            return self._full_sparse_data().tostype(self._stype)
        arrays = self.list_data()
        with autograd.pause():
            total = arrays[0].copyto(cpu())
            if len(arrays) > 1:
                for arr in arrays[1:]:
                    total = total + arr.copyto(cpu())
                total = total / len(arrays)
        return total

    def _full_sparse_data(self) -> NDArray:
        """All rows of a sparse parameter, dense on the CPU: the Trainer's store holds them
        once it is set up (the contexts then hold only the rows last pulled)."""
        full = None
        if self._trainer is not None:
            full = self._trainer._pull_full(self)
        if full is None:
            arrays = self._check_and_get(self._data, list)
            with autograd.pause():
                full = arrays[0].tostype("default").copyto(cpu())
        return full

    # -- access ----------------------------------------------------------------------------------
    def _check_and_get(self, arrays: Optional[List[NDArray]], ctx: Any) -> Any:
        if arrays is not None:
            if ctx is list:
                return list(arrays)
            if ctx is None:
                if len(arrays) == 1:
                    return arrays[0]
                ctx = current_context()
            idx = self._ctx_map.get(ctx)
            if idx is not None:
                return arrays[idx]
            raise ParameterNotInitializedError(
                f"Parameter '{self.name}' was not initialized on context {ctx}. It was only "
                f"initialized on {self._ctx_list}.")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because "
                "initialization was deferred. Actual initialization happens during the first "
                "forward pass. Please pass one batch of data through the network before "
                "accessing Parameters. You can also avoid deferred initialization by "
                "specifying in_units, num_features, etc., for network layers.")
        raise ParameterNotInitializedError(
            f"Parameter '{self.name}' has not been initialized. Call initialize() on it, or "
            "on Block.collect_params() (Block.params does not include the Parameters of "
            "nested child Blocks).")

    def _refuse_sparse(self, what: str, ctx: Any = None) -> None:
        if self._stype != "default":
            where = "" if ctx is None else f" on ctx {ctx}"
            raise SparseParameterError(
                f"Cannot return a copy of Parameter '{self.name}'{where} via {what} because "
                f"its storage type is {self._stype}. Please use row_sparse_data() instead.")

    def data(self, ctx: Optional[Context] = None) -> NDArray:
        """This parameter's data on ``ctx`` (the only context, or the current one)."""
        self._refuse_sparse("data()", ctx)
        return self._check_and_get(self._data, ctx)

    def list_data(self) -> List[NDArray]:
        """The data on every context, in context order."""
        self._refuse_sparse("list_data()")
        return self._check_and_get(self._data, list)

    def row_sparse_data(self, row_id: NDArray) -> NDArray:
        """The rows ``row_id`` of a row_sparse parameter, as a RowSparseNDArray on
        ``row_id``'s context (pulled from the Trainer's kvstore; the other rows are zero)."""
        if self._stype != "row_sparse":
            raise SparseParameterError(
                f"Cannot return a copy of Parameter {self.name} via row_sparse_data() because "
                f"its storage type is {self._stype}. Please use data() instead.")
        return self._get_row_sparse(row_id.context if isinstance(row_id, NDArray) else None,
                                    row_id)

    def list_row_sparse_data(self, row_id: NDArray) -> List[NDArray]:
        """The rows ``row_id`` of a row_sparse parameter on every context."""
        if self._stype != "row_sparse":
            raise SparseParameterError(
                f"Cannot return copies of Parameter '{self.name}' on all contexts via "
                f"list_row_sparse_data() because its storage type is {self._stype}. Please "
                "use list_data() instead.")
        return self._get_row_sparse(list, row_id)

    def _get_row_sparse(self, ctx: Any, row_id: Any) -> Any:
        if not isinstance(row_id, NDArray):
            raise MXNetTypeError(f"Parameter '{self.name}': row_id must be an NDArray, got "
                                 f"{type(row_id).__name__}")
        if self._trainer is None:
            raise SparseParameterError(
                f"Cannot get row_sparse data for Parameter '{self.name}' when no Trainer is "
                "created with it (the Trainer's kvstore holds the full weight).")
        results = self._check_and_get(self._data, ctx)
        self._trainer._row_sparse_pull(self, results, row_id)
        return results

    def grad(self, ctx: Optional[Context] = None) -> NDArray:
        """The gradient buffer on ``ctx``."""
        if self._data is not None and self._grad is None:
            raise ParameterNotInitializedError(
                f"Cannot get gradient array for Parameter '{self.name}' because "
                "grad_req='null'")
        return self._check_and_get(self._grad, ctx)

    def list_grad(self) -> List[NDArray]:
        """The gradient buffers on every context."""
        if self._data is not None and self._grad is None:
            raise ParameterNotInitializedError(
                f"Cannot get gradient array for Parameter '{self.name}' because "
                "grad_req='null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self) -> List[Context]:
        """The contexts this parameter lives (or will live) on."""
        if self._data is None:
            if self._deferred_init:
                return list(self._deferred_init[1])
            raise ParameterNotInitializedError(
                f"Parameter '{self.name}' has not been initialized")
        return list(self._ctx_list or ())

    # -- mutation --------------------------------------------------------------------------------
    def set_data(self, data: Any) -> None:
        """Write ``data`` into every context's copy (sets the shape if still unknown)."""
        if not isinstance(data, NDArray):
            data = nd.array(data, dtype=self.dtype)
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise ParameterNotInitializedError(
                    f"Parameter '{self.name}' has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        trainer = self._trainer
        if (trainer is not None and getattr(trainer, "_kv_initialized", False)
                and getattr(trainer, "_update_on_kvstore", False)
                and self not in getattr(trainer, "_params_to_init", ())):
            trainer._reset_kvstore()
        with autograd.pause():
            for arr in self._data:
                arr[:] = data

    def zero_grad(self) -> None:
        """Set the gradient buffers to 0."""
        if self._grad is None:
            return
        with autograd.pause():
            for g in self._grad:
                g[:] = 0

    def reset_ctx(self, ctx: CtxArg) -> None:
        """Move the parameter to the contexts ``ctx`` (data averaged from the old ones)."""
        ctxs = _ctx_list(ctx)
        if self._data is not None:
            data = self._reduce()
            self._init_impl(data, ctxs)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctxs, default_init, data)
        else:
            raise ParameterNotInitializedError(
                f"Cannot reset context for Parameter '{self.name}' because it has not been "
                "initialized.")

    def cast(self, dtype: Any) -> None:
        """Cast data and gradients to ``dtype``."""
        self._dtype = _np_type(dtype)
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.astype(self._dtype) for d in self._data]
            if self._grad is None:
                return
            self._grad = [g.astype(self._dtype) for g in self._grad]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def _set_trainer(self, trainer: Any) -> None:
        if (self._stype != "default" and self._trainer is not None and trainer is not None
                and self._trainer is not trainer):
            raise MXNetError(f"Failed to set the trainer for Parameter '{self.name}' because "
                             "it was already set. More than one trainer for a sparse "
                             "Parameter is not supported.")
        self._trainer = trainer

    def var(self) -> Any:
        """The Symbol variable for this parameter (needs ``mx.sym``)."""
        try:
            from .. import symbol  # type: ignore[attr-defined]
        except ImportError as exc:
            raise MXNetError(f"Parameter '{self.name}'.var(): mx.sym is not available in "
                             "this build") from exc
        return symbol.var(self.name, shape=self.shape, dtype=self.dtype,
                          lr_mult=self.lr_mult, wd_mult=self.wd_mult, init=self.init)


class Constant(Parameter):
    """A parameter that holds a fixed value and never gets a gradient.

    Example::

        >>> import mxcore as mx
        >>> c = mx.gluon.Constant("c", [1, 2])
        >>> c.initialize()
        >>> c.data().asnumpy()
        array([1., 2.], dtype=float32)
    """

    def __init__(self, name: str, value: Any) -> None:
        if not isinstance(value, NDArray):
            value = nd.array(value)
        self.value = value
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype,
                         init="zeros")

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype.__name__})"

    @property
    def grad_req(self) -> str:
        return "null"

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req != "null" and self._grad_req is not None:
            warnings.warn(f'Constant parameter "{self.name}" does not support grad_req other '
                          f'than "null", and new value "{req}" is ignored.', stacklevel=2)
        self._grad_req = "null"

    def _fill(self, arr: NDArray, init: Any, default_init: Any) -> None:
        arr[:] = self.value.astype(arr.dtype)


# ParameterDict lives in its own module, which imports this one; re-exported here so that
# ``from mxcore.gluon.parameter import ParameterDict`` keeps working.
from .parameter_dict import ParameterDict  # noqa: E402
