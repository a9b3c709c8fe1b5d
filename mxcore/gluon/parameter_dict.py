"""ParameterDict: an ordered, prefixed mapping of names to Parameters (MXNet 1.x
``mx.gluon.ParameterDict``; also importable from ``mxcore.gluon.parameter``)."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Optional, Union

import numpy as np

from .. import ndarray as nd
from ..base import MXNetTypeError, MXNetValueError
from ..context import Context
from ..ndarray import NDArray
from .parameter import Constant, CtxArg, Parameter, _resolve_initializer

__all__ = ["ParameterDict"]


class ParameterDict:
    """An ordered mapping of names to Parameters, sharing a name prefix.

    Example::

        >>> import mxcore as mx
        >>> params = mx.gluon.ParameterDict("net_")
        >>> w = params.get("weight", shape=(2, 2))
        >>> w.name, list(params.keys())
        ('net_weight', ['net_weight'])
    """

    def __init__(self, prefix: str = "", shared: Optional["ParameterDict"] = None) -> None:
        self._prefix = prefix
        self._params: "OrderedDict[str, Parameter]" = OrderedDict()
        self._shared = shared

    def __repr__(self) -> str:
        head = f"{self._prefix} " if self._prefix else ""
        body = "\n".join(f"  {p!r}" for p in self._params.values())
        return f"{head}(\n{body}\n)"

    # -- mapping ---------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self) -> str:
        return self._prefix

    # -- creation --------------------------------------------------------------------------------
    def _get_impl(self, name: str) -> Optional[Parameter]:
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The Parameter ``prefix + name``: found (here or in ``shared``) or created.

        ``kwargs`` are Parameter arguments; for an existing Parameter they must agree with
        its attributes (unknown shape dims may be filled in).
        """
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            param = Parameter(full, **kwargs)
            self._params[full] = param
            return param
        for key, value in kwargs.items():
            self._merge_attr(param, key, value)
        return param

    @staticmethod
    def _merge_attr(param: Parameter, key: str, value: Any) -> None:
        if key == "allow_deferred_init":
            param._allow_deferred_init = param._allow_deferred_init or bool(value)
            return
        if key in ("differentiable", "stype", "grad_stype"):
            key = "_" + key
        if not hasattr(param, key):
            setattr(param, key, value)
            return
        existing = getattr(param, key)
        if existing is None or value is None:
            if value is not None:
                setattr(param, key, value)
            return
        if key == "shape":
            new = Parameter._as_shape(value)
            if len(new) == len(existing) and all(
                    a == b or a * b == 0 for a, b in zip(new, existing)):
                param._shape = tuple(max(a, b) for a, b in zip(new, existing))
                return
        elif key == "dtype":
            if np.dtype(value) == np.dtype(existing):
                return
        elif value == existing:
            return
        raise MXNetValueError(
            f"Cannot retrieve Parameter '{param.name}' because desired attribute does not "
            f"match with stored for attribute '{key}': desired {value!r} vs stored "
            f"{existing!r}.")

    def get_constant(self, name: str, value: Any = None) -> Constant:
        """The Constant ``prefix + name``; ``value`` is required to create it."""
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            if value is None:
                raise MXNetValueError(f"No constant named '{full}'. Please specify value if "
                                      "you want to create a new constant.")
            param = Constant(full, value)
            self._params[full] = param
            return param
        if not isinstance(param, Constant):
            raise MXNetTypeError(f"Parameter '{full}' already exists but it is not a "
                                 "constant.")
        if value is not None:
            if not isinstance(value, NDArray):
                value = nd.array(value)
            if tuple(value.shape) != tuple(param.shape or ()) or not np.array_equal(
                    value.asnumpy(), param.value.asnumpy()):
                raise MXNetValueError(f"Constant '{full}' already exists with a different "
                                      "value.")
        return param

    def update(self, other: Union["ParameterDict", Dict[str, Parameter]]) -> None:
        """Add ``other``'s parameters (a name may only map to the same Parameter)."""
        for key, value in other.items():
            if key in self._params and self._params[key] is not value:
                raise MXNetValueError(
                    f"Cannot update self with other because they have different Parameters "
                    f"with the same name '{key}'")
        for key, value in other.items():
            self._params[key] = value

    # -- bulk operations -------------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: CtxArg = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialise every parameter; ``init`` (default Uniform) applies to those without
        their own initializer."""
        init = _resolve_initializer(init)
        if verbose and hasattr(init, "set_verbosity"):
            init.set_verbosity(verbose=verbose)
        for param in self.values():
            param.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        for param in self.values():
            param.zero_grad()

    def reset_ctx(self, ctx: CtxArg) -> None:
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self) -> List[Context]:
        seen: List[Context] = []
        for param in self.values():
            for c in param.list_ctx():
                if c not in seen:
                    seen.append(c)
        return seen

    def setattr(self, name: str, value: Any) -> None:
        """Set attribute ``name`` (e.g. ``grad_req``, ``lr_mult``) on every parameter."""
        for param in self.values():
            setattr(param, name, value)

    def select(self, pattern: str) -> "ParameterDict":
        """A ParameterDict with the parameters whose name matches the regex ``pattern``."""
        regex = re.compile(pattern)
        out = ParameterDict(self._prefix)
        out.update({k: v for k, v in self.items() if regex.match(k)})
        return out

    # -- files -----------------------------------------------------------------------------------
    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Save every parameter (averaged over contexts) to ``filename`` in MXNet's format."""
        arrays: Dict[str, NDArray] = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise MXNetValueError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                    f"name '{param.name}' does not start with '{strip_prefix}'.")
            arrays[param.name[len(strip_prefix):]] = param._reduce()
        nd.save(filename, arrays)

    def load(self, filename: str, ctx: CtxArg = None, allow_missing: bool = False,
             ignore_extra: bool = False, restore_prefix: str = "", cast_dtype: bool = False,
             dtype_source: str = "current") -> None:
        """Load parameters saved by :meth:`save` (or MXNet) from ``filename``."""
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise MXNetValueError(
                        f"restore_prefix is '{restore_prefix}' but Parameter name '{name}' "
                        f"does not start with '{restore_prefix}'")
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise MXNetValueError(f"ParameterDict.load: '{filename}' holds a list of arrays, "
                                  "not named parameters")
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, restore_prefix, filename,
                       cast_dtype, dtype_source)

    def load_dict(self, param_dict: Dict[str, NDArray], ctx: CtxArg = None,
                  allow_missing: bool = False, ignore_extra: bool = False,
                  restore_prefix: str = "", filename: Optional[str] = None,
                  cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Load parameters from a dict of name -> NDArray (``arg:``/``aux:`` prefixes ok)."""
        source = f"file '{filename}'" if filename else "the given dict"
        arrays: Dict[str, NDArray] = {}
        for key, value in param_dict.items():
            if key.startswith(("arg:", "aux:")):
                key = key[4:]
            arrays[restore_prefix + key] = value
        if not allow_missing:
            missing = [name for name in self.keys() if name not in arrays]
            if missing:
                raise MXNetValueError(
                    f"Parameters {missing} are missing in {source}, which contains "
                    f"parameters: {sorted(arrays)}. Make sure source and target networks have "
                    "the same prefix, or set allow_missing=True.")
        extra = [name for name in arrays if name not in self._params]
        if extra and not ignore_extra:
            raise MXNetValueError(
                f"Parameters {extra} loaded from {source} are not present in this "
                f"ParameterDict, choices are: {list(self.keys())}. Set ignore_extra=True to "
                "ignore.")
        for name, value in arrays.items():
            if name in self._params:
                self._params[name]._load_init(value, ctx, cast_dtype, dtype_source)
