"""Optimizers (``mx.optimizer``), as in MXNet 1.x: the :class:`Optimizer` base with its
registry (``register``/``create``), the :class:`Updater` that keeps per-parameter states,
and SGD, NAG, Adam, AdamW, Adamax, Nadam, RMSProp, AdaGrad, AdaDelta, FTRL, Signum, LAMB.

Updater states are serialised without pickle: ``get_states`` returns the bytes of an
``mx.nd.save`` file holding the state arrays plus one uint8 array with a JSON description
(structure, optimizer hyper-parameters, update counts, LR scheduler). ``set_states`` only
recreates registered optimizer classes and ``mx.lr_scheduler`` classes.

Example::

    >>> import mxcore as mx
    >>> opt = mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9)
    >>> updater = mx.optimizer.get_updater(opt)
    >>> w, g = mx.nd.ones((2,)), mx.nd.ones((2,))
    >>> updater(0, g, w)
    >>> w.asnumpy()
    array([0.9, 0.9], dtype=float32)
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError, MXNetTypeError, MXNetValueError
from ..ndarray import NDArray
from ._state_io import (
    FORMAT,
    Decoder,
    Encoder,
    decode_optimizer,
    encode_optimizer,
    pack,
    unpack,
)

__all__ = ["Optimizer", "register", "create", "get_updater", "Updater", "SGD", "NAG", "Adam",
           "AdamW", "Adamax", "Nadam", "RMSProp", "AdaGrad", "AdaDelta", "FTRL", "Signum",
           "LAMB", "OptimizerWarning"]

_LOG = logging.getLogger(__name__)
_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


class OptimizerWarning(MXNetError, UserWarning):
    """Raised where MXNet raised ``UserWarning`` (e.g. set_learning_rate with a scheduler)."""


def _zeros_like(weight: NDArray, dtype: Any = None) -> NDArray:
    return nd.zeros(weight.shape, ctx=weight.context, dtype=dtype or weight.dtype)


def _is_half(weight: NDArray) -> bool:
    return np.dtype(weight.dtype) == _F16


class Optimizer:
    """Base class of all optimizers (MXNet 1.x API).

    ``learning_rate`` defaults to 0.01, or to the scheduler's ``base_lr`` when an
    ``lr_scheduler`` is given (a given ``learning_rate`` overrides the scheduler's).
    ``param_dict`` maps index -> Parameter (its ``lr_mult``/``wd_mult`` apply);
    ``param_idx2name`` maps index -> name for ``set_lr_mult``/``set_wd_mult`` by name.
    """

    opt_registry: Dict[str, type] = {}

    def __init__(self, rescale_grad: float = 1., param_idx2name: Optional[dict] = None,
                 wd: float = 0., clip_gradient: Optional[float] = None,
                 learning_rate: Optional[float] = None, lr_scheduler: Any = None,
                 sym: Any = None, begin_num_update: int = 0, multi_precision: bool = False,
                 param_dict: Optional[dict] = None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None \
                and lr_scheduler.base_lr != learning_rate:
            _LOG.warning("learning rate from ``lr_scheduler`` has been overwritten by "
                         "``learning_rate`` in optimizer.")
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult: Dict[Any, float] = {}
        self.wd_mult: Dict[Any, float] = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: Dict[int, Dict[Any, int]] = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise MXNetTypeError("param_idx2name should be a dict of param indexes to names, "
                                 f"got {type(param_idx2name).__name__}")
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry ------------------------------------------------------------------------------
    @staticmethod
    def register(klass: type) -> type:
        """Register an optimizer class under its lower-cased name (a decorator)."""
        if not isinstance(klass, type):
            raise MXNetTypeError(f"register: expected a class, got {klass!r}")
        name = klass.__name__.lower()
        old = Optimizer.opt_registry.get(name)
        if old is not None and old is not klass:
            warnings.warn(f"New optimizer {klass.__module__}.{klass.__name__} is overriding "
                          f"existing optimizer {old.__module__}.{old.__name__}", stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> "Optimizer":
        """An instance of the optimizer registered as ``name`` (case-insensitive)."""
        klass = Optimizer.opt_registry.get(str(name).lower())
        if klass is None:
            raise MXNetValueError(f"Cannot find optimizer {name}; registered: "
                                  f"{sorted(Optimizer.opt_registry)}")
        return klass(**kwargs)

    # -- states and updates --------------------------------------------------------------------
    def create_state(self, index: Any, weight: NDArray) -> Any:
        """Auxiliary state for ``weight`` (None, an NDArray or a tuple of them)."""
        return None

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        """Like create_state; for float16 weights with multi_precision the state is
        ``(float32 master weight, create_state(master))``."""
        if self.multi_precision and _is_half(weight):
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if _is_half(weight):
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy "
                          "or slow convergence. Consider using multi_precision=True option "
                          "of the optimizer", stacklevel=2)
        return self.create_state(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Update ``weight`` in place from ``grad`` and ``state``."""
        raise NotImplementedError(f"{type(self).__name__} must implement update")

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: Any) -> None:
        """update, run on the float32 master weight for float16 weights with
        multi_precision (the result is cast back into ``weight``)."""
        if self.multi_precision and _is_half(weight):
            master, inner = state
            self.update(index, master, grad.astype(np.float32), inner)
            nd.cast(master, dtype=weight.dtype, out=weight)
        else:
            self.update(index, weight, grad, state)

    # -- learning rate and multipliers ---------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    @learning_rate.setter
    def learning_rate(self, lr: float) -> None:
        self.set_learning_rate(lr)

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate (not allowed when an LR scheduler drives it)."""
        if self.lr_scheduler is not None:
            raise OptimizerWarning(
                "LRScheduler of the optimizer has already been defined. Note that "
                "set_learning_rate can mutate the value of the learning rate of the optimizer "
                "only when the LRScheduler of the optimizer is undefined.")
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: Dict[Any, float]) -> None:
        """Learning-rate multipliers by index or parameter name (replaces earlier ones)."""
        self.lr_mult = {}
        self.lr_mult.update(self._sym_mults("__lr_mult__"))
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: Dict[Any, float]) -> None:
        """Weight-decay multipliers by index or name. As in MXNet, named parameters not
        ending in ``_weight`` or ``_gamma`` default to 0 (no decay on biases)."""
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not (name.endswith("_weight") or name.endswith("_gamma")):
                self.wd_mult[name] = 0.0
        self.wd_mult.update(self._sym_mults("__wd_mult__"))
        self.wd_mult.update(args_wd_mult)

    def _sym_mults(self, key: str) -> Dict[str, float]:
        if not self.sym_info:
            return {}
        attr, arg_names = self.sym_info
        return {n: float(attr[n][key]) for n in arg_names if n in attr and key in attr[n]}

    def _set_current_context(self, device_id: int) -> None:
        """Keep separate update counts per device (every device updates every index)."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index: Any) -> None:
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _get_lrs(self, indices: Sequence[Any]) -> List[float]:
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return [lr * self._mult(i, self.lr_mult, "lr_mult") for i in indices]

    def _get_lr(self, index: Any) -> float:
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: Sequence[Any]) -> List[float]:
        return [self.wd * self._mult(i, self.wd_mult, "wd_mult") for i in indices]

    def _get_wd(self, index: Any) -> float:
        return self._get_wds([index])[0]

    def _mult(self, index: Any, mults: Dict[Any, float], attr: str) -> float:
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in mults:
            return mults[index]
        if index in self.idx2name:
            return mults.get(self.idx2name[index], 1.0)
        return 1.0

    def _clip_kwargs(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        if self.clip_gradient:
            kwargs["clip_gradient"] = self.clip_gradient
        return kwargs

    def _prepared_grad(self, grad: NDArray, weight: Optional[NDArray] = None,
                       wd: float = 0.0) -> NDArray:
        """rescale_grad * grad (+ wd * weight), clipped: the Python-level optimizers' input."""
        grad = grad * self.rescale_grad
        if weight is not None and wd:
            grad = grad + wd * weight
        if self.clip_gradient is not None:
            grad = nd.clip(grad, a_min=-self.clip_gradient, a_max=self.clip_gradient)
        return grad


register = Optimizer.register
create = Optimizer.create_optimizer


# -- SGD family --------------------------------------------------------------------------------
class _MomentumMP(Optimizer):
    """Shared by SGD and NAG: a momentum state, and fused mp_* ops whose multi-precision
    state is ``(momentum or None, float32 master weight)``."""

    momentum = 0.0

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        if self.multi_precision and _is_half(weight):
            master = weight.astype(np.float32)
            return (self.create_state(index, master), master)
        return super().create_state_multi_precision(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_impl(index, weight, grad, state, False)

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: Any) -> None:
        self._update_impl(index, weight, grad, state,
                          self.multi_precision and _is_half(weight))

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any,
                     multi_precision: bool) -> None:
        self._update_count(index)
        kwargs = self._clip_kwargs({"rescale_grad": self.rescale_grad,
                                    "lr": self._get_lr(index), "wd": self._get_wd(index)})
        if self.momentum > 0:
            kwargs["momentum"] = self.momentum
        if grad.stype == "row_sparse" and hasattr(self, "lazy_update"):
            kwargs["lazy_update"] = self.lazy_update
        mom, master = state if multi_precision else (state, None)
        if mom is not None:
            op = self._mom_op if master is None else "mp_" + self._mom_op
            extra = [mom] if master is None else [mom, master]
        else:
            kwargs.pop("momentum", None)
            op = "sgd_update" if master is None else "mp_sgd_update"
            extra = [] if master is None else [master]
        getattr(nd, op)(weight, grad, *extra, out=weight, **kwargs)


@register
class SGD(_MomentumMP):
    """SGD with optional momentum: ``mom = momentum*mom - lr*(rescaled grad + wd*weight);
    weight += mom``. With a row_sparse gradient and ``lazy_update`` (the default) only the
    rows the gradient holds change (their weight decay and momentum included)."""

    _mom_op = "sgd_mom_update"

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update


@register
class NAG(_MomentumMP):
    """Nesterov accelerated gradient (``nag_mom_update``)."""

    _mom_op = "nag_mom_update"

    def __init__(self, momentum: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.momentum = momentum


@register
class Signum(Optimizer):
    """Signum (signSGD with momentum); ``wd_lh`` is decoupled weight decay."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, wd_lh: float = 0.0,
                 **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        kwargs = {"lr": self._get_lr(index), "wd": self._get_wd(index),
                  "rescale_grad": self.rescale_grad}
        if state is not None:
            kwargs = self._clip_kwargs(dict(kwargs, momentum=self.momentum))
            if self.wd_lh:
                kwargs["wd_lh"] = self.wd_lh
            nd.signum_update(weight, grad, state, out=weight, **kwargs)
        else:
            nd.signsgd_update(weight, grad, out=weight, **self._clip_kwargs(kwargs))


# -- Adam family -------------------------------------------------------------------------------
class _TwoMoments(Optimizer):
    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def _step_count(self, index: Any) -> int:
        self._update_count(index)
        return self._index_update_count[index]


@register
class Adam(_TwoMoments):
    """Adam; bias correction is folded into the learning rate
    (``lr * sqrt(1-beta2^t) / (1-beta1^t)``) and ``wd`` is added to the gradient."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, lazy_update: bool = True, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lazy_update = lazy_update

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        t = self._step_count(index)
        lr = self._get_lr(index) * math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        kwargs = dict(lr=lr, wd=self._get_wd(index), beta1=self.beta1, beta2=self.beta2,
                      epsilon=self.epsilon, rescale_grad=self.rescale_grad)
        if grad.stype == "row_sparse":
            kwargs["lazy_update"] = self.lazy_update  # lazy: only the gradient's rows
        nd.adam_update(weight, grad, mean, var, out=weight, **self._clip_kwargs(kwargs))


@register
class AdamW(_TwoMoments):
    """Adam with decoupled weight decay (Loshchilov & Hutter), MXNet's ``_adamw_update``
    with ``eta`` = the (bias-corrected) learning rate:
    ``weight -= eta * (mean/(sqrt(var) + epsilon) + wd * weight)``."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, correct_bias: bool = True, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.correct_bias = correct_bias

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        t = self._step_count(index)
        lr = self._get_lr(index)
        if self.correct_bias:
            lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        rescale = nd.full((1,), self.rescale_grad, ctx=weight.context, dtype=np.float32)
        nd._adamw_update(weight, grad, mean, var, rescale, out=weight, **self._clip_kwargs(dict(
            lr=1.0, eta=lr, wd=self._get_wd(index), beta1=self.beta1, beta2=self.beta2,
            epsilon=self.epsilon)))


@register
class Adamax(_TwoMoments):
    """AdaMax (Adam with the infinity norm). Where the norm is still 0 (the gradient has
    been 0 so far) the step is 0; MXNet divided 0 by 0 there."""

    def __init__(self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999,
                 **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2 = beta1, beta2

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        t = self._step_count(index)
        lr = self._get_lr(index) / (1. - self.beta1 ** t)
        grad = self._prepared_grad(grad, weight, self._get_wd(index))
        m_t, u_t = state
        m_t[:] = self.beta1 * m_t + (1. - self.beta1) * grad
        u_t[:] = nd.maximum(self.beta2 * u_t, nd.abs(grad))
        safe_u = nd.where(u_t > 0, u_t, nd.ones_like(u_t))
        weight[:] = weight - lr * m_t / safe_u


@register
class Nadam(_TwoMoments):
    """Nesterov Adam with the warming momentum schedule. The schedule product is kept per
    parameter (MXNet kept one product for all parameters)."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, schedule_decay: float = 0.004, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule: Dict[Any, float] = {}

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        t = self._step_count(index)
        lr = self._get_lr(index)
        grad = self._prepared_grad(grad, weight, self._get_wd(index))
        momentum_t = self.beta1 * (1. - 0.5 * 0.96 ** (t * self.schedule_decay))
        momentum_t_1 = self.beta1 * (1. - 0.5 * 0.96 ** ((t + 1) * self.schedule_decay))
        schedule = self.m_schedule.get(index, 1.0) * momentum_t
        self.m_schedule[index] = schedule
        schedule_next = schedule * momentum_t_1
        m_t, v_t = state
        m_t[:] = self.beta1 * m_t + (1. - self.beta1) * grad
        v_t[:] = self.beta2 * v_t + (1. - self.beta2) * grad * grad
        grad_prime = grad / (1. - schedule)
        m_t_prime = m_t / (1. - schedule_next)
        v_t_prime = v_t / (1. - self.beta2 ** t)
        m_t_bar = (1. - momentum_t) * grad_prime + momentum_t_1 * m_t_prime
        weight[:] = weight - lr * m_t_bar / (nd.sqrt(v_t_prime) + self.epsilon)


@register
class LAMB(_TwoMoments):
    """LAMB (layer-wise adaptive moments): ``lamb_update_phase1`` then
    ``lamb_update_phase2`` with the trust ratio ``||weight|| / ||g||``."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-6, lower_bound: Optional[float] = None,
                 upper_bound: Optional[float] = None, bias_correction: bool = True,
                 **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self.bias_correction = bias_correction

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        t = self._step_count(index)
        mean, var = state
        g = nd.lamb_update_phase1(weight, grad, mean, var, **self._clip_kwargs(dict(
            beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon, t=t,
            bias_correction=self.bias_correction, wd=self._get_wd(index),
            rescale_grad=self.rescale_grad)))
        bounds = {}
        if self.lower_bound:
            bounds["lower_bound"] = self.lower_bound
        if self.upper_bound:
            bounds["upper_bound"] = self.upper_bound
        r_1, r_2 = _norm(weight), _norm(g)
        nd.lamb_update_phase2(weight, g, r_1, r_2, lr=self._get_lr(index), out=weight,
                              **bounds)


def _norm(x: NDArray) -> NDArray:
    """The L2 norm as a (1,) array, computed in float32 at least."""
    if np.dtype(x.dtype) == _F16:
        x = x.astype(np.float32)
    return nd.norm(x).reshape((1,))


# -- adaptive per-coordinate rates -------------------------------------------------------------
@register
class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton), or centered RMSProp (Graves) with ``centered=True``."""

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9, gamma2: float = 0.9,
                 epsilon: float = 1e-8, centered: bool = False,
                 clip_weights: Optional[float] = None, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1, self.gamma2, self.epsilon = gamma1, gamma2, epsilon
        self.centered = centered
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))
        return (_zeros_like(weight),)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        kwargs = self._clip_kwargs(dict(lr=self._get_lr(index), wd=self._get_wd(index),
                                        gamma1=self.gamma1, epsilon=self.epsilon,
                                        rescale_grad=self.rescale_grad))
        if self.clip_weights:
            kwargs["clip_weights"] = self.clip_weights
        if self.centered:
            nd.rmspropalex_update(weight, grad, *state, out=weight, gamma2=self.gamma2,
                                  **kwargs)
        else:
            nd.rmsprop_update(weight, grad, state[0], out=weight, **kwargs)


@register
class AdaGrad(Optimizer):
    """AdaGrad: ``history += g^2; weight -= lr * (g / sqrt(history + eps) + wd*weight)``;
    a row_sparse gradient updates only its rows (``_sparse_adagrad_update``)."""

    def __init__(self, eps: float = 1e-7, **kwargs: Any):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        if grad.stype == "row_sparse":  # lazy: only the rows the gradient holds
            nd._sparse_adagrad_update(weight, grad, state, out=weight, **self._clip_kwargs(
                dict(lr=lr, wd=wd, epsilon=self.float_stable_eps,
                     rescale_grad=self.rescale_grad)))
            return
        grad = self._prepared_grad(grad)
        state[:] = state + nd.square(grad)
        div = grad / nd.sqrt(state + self.float_stable_eps)
        weight[:] = weight - lr * (div + weight * wd)


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler); as in MXNet the learning rate is not used."""

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any):
        super().__init__(**kwargs)
        self.rho, self.epsilon = rho, epsilon

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        wd = self._get_wd(index)
        self._update_count(index)
        grad = self._prepared_grad(grad)
        acc_g, acc_delta = state
        acc_g[:] = self.rho * acc_g + (1. - self.rho) * grad * grad
        delta = nd.sqrt(acc_delta + self.epsilon) / nd.sqrt(acc_g + self.epsilon) * grad
        acc_delta[:] = self.rho * acc_delta + (1. - self.rho) * delta * delta
        weight[:] = weight - (delta + wd * weight)


@register
class FTRL(Optimizer):
    """FTRL-Proximal (McMahan et al.) with L1 ``lamda1`` and L2 ``wd``; a row_sparse
    gradient updates only its rows."""

    def __init__(self, lamda1: float = 0.01, learning_rate: float = 0.1, beta: float = 1,
                 **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.lamda1, self.beta = lamda1, beta

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_count(index)
        z, n = state
        nd.ftrl_update(weight, grad, z, n, out=weight, **self._clip_kwargs(dict(
            lr=self._get_lr(index), wd=self._get_wd(index), lamda1=self.lamda1,
            beta=self.beta, rescale_grad=self.rescale_grad)))


# -- Updater and its serialised states ---------------------------------------------------------
class Updater:
    """Applies an optimizer to (index, grad, weight), creating each index's state on first
    use. ``get_states``/``set_states`` save and restore the states (no pickle)."""

    def __init__(self, optimizer: Optimizer):
        self.optimizer = optimizer
        self.states: Dict[Any, Any] = {}
        self.states_synced: Dict[Any, bool] = {}
        self.aggregate_updates = False

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
        else:
            indices, grads, weights = [index], [grad], [weight]
        if not weights:
            return
        opt = self.optimizer
        opt._set_current_context(weights[0].context.device_id)
        with autograd.pause():
            for idx, g, w in zip(indices, grads, weights):
                if idx not in self.states:
                    self.states[idx] = opt.create_state_multi_precision(idx, w)
                    self.states_synced[idx] = True
                elif not self.states_synced.get(idx, False):
                    self.states[idx] = self.sync_state_context(self.states[idx], w.context)
                    self.states_synced[idx] = True
                opt.update_multi_precision(idx, w, g, self.states[idx])

    def sync_state_context(self, state: Any, context: Any) -> Any:
        """``state`` with every array moved to ``context``."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """The states (and with ``dump_optimizer`` the optimizer's settings) as bytes."""
        enc = Encoder()
        meta = {"format": FORMAT, "version": 1,
                "states": enc.encode(self.states, "states"),
                "optimizer": encode_optimizer(enc, self.optimizer) if dump_optimizer else None}
        return pack(meta, enc.arrays)

    def set_states(self, states: bytes) -> None:
        """Restore what ``get_states`` returned (also replaces the optimizer if dumped)."""
        meta, arrays = unpack(states)
        dec = Decoder(arrays)
        decoded = dec.decode(meta.get("states"))
        if not isinstance(decoded, dict):
            raise MXNetValueError("set_states: the states entry is not a mapping")
        if meta.get("optimizer") is not None:
            self.optimizer = decode_optimizer(dec, meta["optimizer"], Optimizer.opt_registry)
        self.states = decoded
        self.states_synced = dict.fromkeys(self.states, False)


def get_updater(optimizer: Optimizer) -> Updater:
    """An :class:`Updater` for ``optimizer``."""
    return Updater(optimizer)
