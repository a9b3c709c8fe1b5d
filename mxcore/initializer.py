"""Initializers (``mx.init``): fill a parameter's NDArray in place, chosen by name or by class.

An initializer is called as ``init(desc, arr)`` where ``desc`` is an :class:`InitDesc` (the
parameter's name plus attributes). An explicit initializer in ``desc.attrs['__init__']`` (an
instance, a registered name or the JSON that :meth:`Initializer.dumps` writes) wins; otherwise
the name's suffix picks the rule, as in MXNet 1.x: ``weight`` gets the initializer's own
distribution, ``bias``/``beta``/``moving_mean``/``moving_inv_var``/``moving_avg``/``min`` get
zeros, ``gamma``/``moving_var``/``max`` get ones. Random fills draw from ``mx.nd.random``, so
``mx.random.seed`` makes them reproducible.

Example::

    >>> import mxcore as mx
    >>> w = mx.nd.zeros((4, 3))
    >>> mx.init.Xavier()(mx.init.InitDesc('fc_weight'), w)
    >>> b = mx.nd.ones((4,))
    >>> mx.init.Xavier()(mx.init.InitDesc('fc_bias'), b)
    >>> b.asnumpy().tolist()
    [0.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar, Union

import numpy as np

from . import ndarray as nd
from .base import MXNetError, MXNetTypeError, MXNetValueError
from .ndarray.ndarray import NDArray
from .registry import ClassRegistry

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed", "Zero",
           "One", "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu",
           "Bilinear", "LSTMBias"]

_T = TypeVar("_T", bound=type)


class InitDesc(str):
    """A parameter's name (it *is* the ``str``) with its attributes and the global initializer.

    Example::

        >>> d = InitDesc('conv0_weight', {'__init__': 'zeros'})
        >>> d.endswith('weight'), d.attrs['__init__']
        (True, 'zeros')
    """

    attrs: Dict[str, Any]
    global_init: Optional["Initializer"]

    def __new__(cls, name: str, attrs: Optional[Dict[str, Any]] = None,
                global_init: Optional["Initializer"] = None) -> "InitDesc":
        desc = super().__new__(cls, name)
        desc.attrs = dict(attrs) if attrs else {}
        desc.global_init = global_init
        return desc


# name suffix -> name of the Initializer method that fills it (checked in this order)
_SUFFIX_RULES = (
    ("weight", "_init_weight"),
    ("bias", "_init_bias"),
    ("gamma", "_init_gamma"),
    ("beta", "_init_beta"),
    ("moving_mean", "_init_zero"),
    ("moving_var", "_init_one"),
    ("moving_inv_var", "_init_zero"),
    ("moving_avg", "_init_zero"),
    ("min", "_init_zero"),
    ("max", "_init_one"),
)


def _default_print_func(arr: NDArray) -> float:
    """Root-mean-square of the array, what ``set_verbosity`` logs by default."""
    data = arr.asnumpy().astype(np.float64)
    return float(np.linalg.norm(data) / np.sqrt(max(data.size, 1)))


class Initializer:
    """Base class: subclasses implement ``_init_weight(name, arr)``.

    ``kwargs`` are the constructor arguments; :meth:`dumps` writes them as MXNet's JSON.

    Example::

        >>> import mxcore as mx
        >>> @mx.init.register
        ... class Fives(mx.init.Initializer):
        ...     def _init_weight(self, name, arr):
        ...         arr[:] = 5.0
        >>> a = mx.nd.zeros((2,))
        >>> mx.init.create('fives')(mx.init.InitDesc('w_weight'), a)
        >>> a.asnumpy().tolist()
        [5.0, 5.0]
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Optional[Callable[[NDArray], Any]] = None

    def set_verbosity(self, verbose: bool = False,
                      print_func: Optional[Callable[[NDArray], Any]] = None) -> "Initializer":
        """Log each initialised parameter with ``print_func(arr)`` (default: its RMS)."""
        self._verbose = verbose
        self._print_func = _default_print_func if print_func is None else print_func
        return self

    def _verbose_print(self, desc: str, how: str, arr: NDArray) -> None:
        if self._verbose and self._print_func is not None:
            logging.info("Initialized %s as %s: %s", desc, how, self._print_func(arr))

    def dumps(self) -> str:
        """MXNet's JSON form, ``'["name", {kwargs}]'``, which :func:`create` reads back."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"

    def __call__(self, desc: Union[str, InitDesc], arr: NDArray) -> None:
        """Fill ``arr`` in place for the parameter described by ``desc``."""
        desc = _check_call(type(self).__name__, desc, arr)
        if desc.global_init is None:
            desc.global_init = self
        explicit = desc.attrs.get("__init__")
        if explicit:
            init = create(explicit)
            init._init_weight(desc, arr)
            self._verbose_print(desc, str(explicit), arr)
            return
        for suffix, method in _SUFFIX_RULES:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    # -- the fills the suffix rules pick -----------------------------------------------------
    def _init_zero(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_one(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_bias(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_gamma(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_beta(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_bilinear(self, _: str, arr: NDArray) -> None:
        arr[:] = _bilinear_kernel(tuple(arr.shape))

    def _init_weight(self, name: str, arr: NDArray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _init_weight")

    def _init_default(self, name: str, arr: NDArray) -> None:
        raise MXNetValueError(
            f"{type(self).__name__}: unknown initialization pattern for {name!s}; default "
            "initialization covers names ending in weight, bias, gamma (1.0), beta (0.0), "
            "moving_mean, moving_var, moving_inv_var, moving_avg, min, max. Give the "
            "parameter an explicit init (e.g. init=mx.init.Zero())")


def _check_call(who: str, desc: Any, arr: Any) -> InitDesc:
    if not isinstance(desc, str):
        raise MXNetTypeError(f"{who}: the parameter description must be a str or InitDesc, "
                             f"got {type(desc).__name__}")
    if not isinstance(arr, NDArray):
        raise MXNetTypeError(f"{who}: can only fill an NDArray, got {type(arr).__name__}")
    if not isinstance(desc, InitDesc):
        desc = InitDesc(desc)
    return desc


def _bilinear_kernel(shape: Sequence[int]) -> np.ndarray:
    """Bilinear upsampling weights over the last two axes (MXNet's formula), float32."""
    if len(shape) < 4:
        raise MXNetValueError(f"Bilinear: needs a 4-d weight (out, in, h, w); got shape "
                              f"{tuple(shape)}")
    height, width = shape[2], shape[3]
    f = np.ceil(width / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    x = np.arange(width)
    y = np.arange(height)
    plane = np.outer(1 - np.abs(y / f - c), 1 - np.abs(x / f - c))
    return np.broadcast_to(plane, tuple(shape)).astype(np.float32)


# -- registry ------------------------------------------------------------------------------------
_REGISTRY = ClassRegistry(Initializer, "initializer")
#: register an Initializer subclass under its lower-cased class name (a decorator)
register = _REGISTRY.register
#: also register the decorated Initializer under each of the given aliases
alias = _REGISTRY.alias


def create(initializer: Any, *args: Any, **kwargs: Any) -> Initializer:
    """An Initializer from an instance (returned as is), a registered name, a dict with key
    ``initializer``, or the JSON :meth:`Initializer.dumps` writes.

    Example::

        >>> create('xavier', magnitude=2).dumps()
        '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 2}]'
    """
    if isinstance(initializer, Initializer):
        if args or kwargs:
            raise MXNetValueError(f"mx.init.create: {initializer!r} is already an instance; "
                                  "extra arguments are not accepted")
        return initializer
    if isinstance(initializer, dict):
        spec = dict(initializer)
        if "initializer" not in spec:
            raise MXNetValueError(f"mx.init.create: a dict needs the key 'initializer', got "
                                  f"keys {sorted(spec)}")
        return create(spec.pop("initializer"), *args, **{**spec, **kwargs})
    if not isinstance(initializer, str):
        raise MXNetTypeError(f"mx.init.create: expected an Initializer, a name or JSON, got "
                             f"{type(initializer).__name__}")
    text = initializer.strip()
    if text.startswith("[") or text.startswith("{"):
        if args or kwargs:
            raise MXNetValueError("mx.init.create: JSON already holds the arguments")
        name, spec = _parse_json(text)
        return create(name, **spec)
    return _REGISTRY.create(text, "mx.init.create", *args, **kwargs)


def _parse_json(text: str) -> tuple:
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise MXNetValueError(f"mx.init.create: invalid JSON {text!r}: {exc}") from exc
    if isinstance(spec, dict):
        spec = dict(spec)
        if "initializer" not in spec:
            raise MXNetValueError(f"mx.init.create: JSON object needs 'initializer': {text!r}")
        return spec.pop("initializer"), spec
    if (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str)
            and isinstance(spec[1], dict)):
        return spec[0], spec[1]
    raise MXNetValueError(f"mx.init.create: expected JSON '[\"name\", {{kwargs}}]', got {text!r}")


# -- composite initializers ----------------------------------------------------------------------
class _Delegating(Initializer):
    """Initializers that pick another initializer per parameter (Mixed, Load)."""

    def _delegate(self, init: Any, desc: InitDesc, arr: NDArray) -> None:
        # The chosen initializer sees the plain name: an explicit '__init__' pointing back at
        # this object would otherwise send it round again.
        attrs = {k: v for k, v in desc.attrs.items() if v is not self}
        if attrs.get("__init__") is None:
            attrs.pop("__init__", None)
        create(init)(InitDesc(str(desc), attrs, desc.global_init), arr)

    def dumps(self) -> str:
        raise MXNetError(f"{type(self).__name__} cannot be serialised to JSON")

    def __call__(self, desc: Union[str, InitDesc], arr: NDArray) -> None:
        self._init_weight(_check_call(type(self).__name__, desc, arr), arr)


class Mixed(_Delegating):
    """The first initializer whose regex ``patterns[i]`` matches the name (``re.match``) fills
    the parameter, by its name's suffix as usual (a ``bias`` still gets zeros).

    Example::

        >>> import mxcore as mx
        >>> init = mx.init.Mixed(['fc1', '.*'], [mx.init.Constant(0.5), mx.init.Uniform(0.1)])
        >>> a = mx.nd.zeros((2, 2))
        >>> init(mx.init.InitDesc('fc1_weight'), a)
        >>> a.asnumpy().tolist()
        [[0.5, 0.5], [0.5, 0.5]]
    """

    def __init__(self, patterns: Sequence[str], initializers: Sequence[Any]) -> None:
        super().__init__()
        if len(patterns) != len(initializers):
            raise MXNetValueError(f"Mixed: {len(patterns)} patterns but {len(initializers)} "
                                  "initializers")
        self.map = [(re.compile(p), create(i)) for p, i in zip(patterns, initializers)]

    def _init_weight(self, name: str, arr: NDArray) -> None:
        desc = name if isinstance(name, InitDesc) else InitDesc(name)
        for pattern, init in self.map:
            if pattern.match(desc):
                self._delegate(init, desc, arr)
                return
        raise MXNetValueError(f"Mixed: parameter name {str(desc)!r} matches no pattern "
                              f"({', '.join(p.pattern for p, _ in self.map)}); add '.*' last "
                              "with a default initializer")


class Load(_Delegating):
    """Values from a dict of NDArrays or a ``.params`` file (``arg:``/``aux:`` prefixes are
    dropped); names not found go to ``default_init``.

    Example::

        >>> import mxcore as mx
        >>> init = mx.init.Load({'arg:w': mx.nd.ones((2,))}, default_init=mx.init.Zero())
        >>> a = mx.nd.zeros((2,))
        >>> init(mx.init.InitDesc('w'), a)
        >>> a.asnumpy().tolist()
        [1.0, 1.0]
    """

    def __init__(self, param: Union[str, Dict[str, NDArray]], default_init: Any = None,
                 verbose: bool = False) -> None:
        super().__init__()
        if isinstance(param, str):
            param = nd.load(param)
        if not isinstance(param, dict):
            raise MXNetTypeError(f"Load: param must be a dict of NDArrays or a file holding "
                                 f"one, got {type(param).__name__}")
        self.param: Dict[str, NDArray] = {}
        for name, value in param.items():
            key = name[4:] if name.startswith(("arg:", "aux:")) else name
            self.param[key] = value
        self.default_init = default_init
        self.verbose = verbose

    def _init_weight(self, name: str, arr: NDArray) -> None:
        desc = name if isinstance(name, InitDesc) else InitDesc(name)
        key = str(desc)
        if key in self.param:
            value = self.param[key]
            if tuple(value.shape) != tuple(arr.shape):
                raise MXNetValueError(
                    f"Load: parameter {key} cannot be initialized from the loaded value; got "
                    f"shapes {tuple(arr.shape)} (target), {tuple(value.shape)} (loaded)")
            arr[:] = value if isinstance(value, NDArray) else np.asarray(value)
            if self.verbose:
                logging.info("Initialized %s by loading", key)
            return
        if self.default_init is None:
            raise MXNetValueError(f"Load: cannot initialize {key}: not in the loaded "
                                  "parameters and no default_init given")
        self._delegate(self.default_init, desc, arr)
        if self.verbose:
            logging.info("Initialized %s by default", key)


# -- the registered initializers -----------------------------------------------------------------
@alias("zeros")
class Zero(Initializer):
    """Fills with 0."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0


@alias("ones")
class One(Initializer):
    """Fills with 1."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0


@register
class Constant(Initializer):
    """Fills with ``value`` (a scalar, or an array broadcastable to the parameter)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _: str, arr: NDArray) -> None:
        value = self.value
        if isinstance(value, (list, tuple)):
            value = np.asarray(value)
        if isinstance(value, np.ndarray) or isinstance(value, NDArray):
            data = value.asnumpy() if isinstance(value, NDArray) else value
            try:
                data = np.broadcast_to(data, tuple(arr.shape))
            except ValueError as exc:
                raise MXNetValueError(f"Constant: value of shape {data.shape} does not "
                                      f"broadcast to the parameter shape {tuple(arr.shape)}"
                                      ) from exc
            arr[:] = np.ascontiguousarray(data)
            return
        arr[:] = value

    def dumps(self) -> str:
        value = self._kwargs["value"]
        if isinstance(value, NDArray):
            value = value.asnumpy()
        if isinstance(value, (np.ndarray, np.generic)):
            value = value.tolist()
        return json.dumps([type(self).__name__.lower(), {**self._kwargs, "value": value}])


@register
class Uniform(Initializer):
    """Weights uniform on ``[-scale, scale)``."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _: str, arr: NDArray) -> None:
        nd.random.uniform(-self.scale, self.scale, out=arr)


@register
class Normal(Initializer):
    """Weights normal with mean 0 and standard deviation ``sigma``."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _: str, arr: NDArray) -> None:
        nd.random.normal(0, self.sigma, out=arr)


@register
class Orthogonal(Initializer):
    """``scale`` times an orthogonal matrix (the SVD factor of a random ``(out, in)`` draw;
    ``rand_type`` 'uniform' or 'normal'), reshaped to the parameter."""

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        if rand_type not in ("uniform", "normal"):
            raise MXNetValueError(f"Orthogonal: rand_type must be 'uniform' or 'normal', got "
                                  f"{rand_type!r}")
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, name: str, arr: NDArray) -> None:
        shape = tuple(arr.shape)
        if len(shape) < 2:
            raise MXNetValueError(f"Orthogonal: {name!s} needs at least 2 dims; got shape "
                                  f"{shape}")
        nout, nin = shape[0], int(np.prod(shape[1:]))
        if self.rand_type == "uniform":
            draw = nd.random.uniform(-1.0, 1.0, shape=(nout, nin), dtype="float32")
        else:
            draw = nd.random.normal(0.0, 1.0, shape=(nout, nin), dtype="float32")
        tmp = draw.asnumpy().astype(np.float64)
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        arr[:] = (self.scale * res.reshape(shape)).astype(np.float32)


def xavier_fans(shape: Sequence[int]) -> tuple:
    """MXNet's ``(fan_in, fan_out)``: ``shape[1]`` and ``shape[0]``, each times the product of
    the remaining (kernel) dims."""
    shape = tuple(int(d) for d in shape)
    receptive = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
    return shape[1] * receptive, shape[0] * receptive


@register
class Xavier(Initializer):
    """Glorot: ``scale = sqrt(magnitude / factor)`` where factor is ``(fan_in + fan_out) / 2``
    ('avg'), ``fan_in`` ('in') or ``fan_out`` ('out'); samples uniform on ``[-scale, scale]``
    (``rnd_type='uniform'``) or normal with deviation ``scale`` ('gaussian')."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ("uniform", "gaussian"):
            raise MXNetValueError(f"Xavier: rnd_type must be 'uniform' or 'gaussian', got "
                                  f"{rnd_type!r}")
        if factor_type not in ("avg", "in", "out"):
            raise MXNetValueError(f"Xavier: factor_type must be 'avg', 'in' or 'out', got "
                                  f"{factor_type!r}")
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _scale(self, name: str, shape: Sequence[int]) -> float:
        if len(shape) < 2:
            raise MXNetValueError(f"{type(self).__name__}: cannot initialize {name!s}, it needs "
                                  f"at least 2 dims; got shape {tuple(shape)}")
        fan_in, fan_out = xavier_fans(shape)
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        if factor <= 0:
            return 0.0
        return float(np.sqrt(self.magnitude / factor))

    def _init_weight(self, name: str, arr: NDArray) -> None:
        scale = self._scale(name, tuple(arr.shape))
        if self.rnd_type == "uniform":
            nd.random.uniform(-scale, scale, out=arr)
        else:
            nd.random.normal(0, scale, out=arr)


@register
class MSRAPrelu(Xavier):
    """He/MSRA init for PReLU nets: Gaussian Xavier with ``magnitude = 2 / (1 + slope**2)``."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Bilinear(Initializer):
    """Bilinear-upsampling weights for a 4-d deconvolution kernel."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = _bilinear_kernel(tuple(arr.shape))


@register
class LSTMBias(Initializer):
    """Zeros, except ``forget_bias`` for the forget gate (the second of the 4 gate blocks)."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name: str, arr: NDArray) -> None:
        arr[:] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        arr[num_hidden:2 * num_hidden] = self.forget_bias


def registered() -> List[str]:
    """The names :func:`create` accepts."""
    return _REGISTRY.names()

