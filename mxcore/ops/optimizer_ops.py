"""Optimizer update operators (MXNet's ``sgd_update``, ``adam_update`` ...).

Each op takes the weight, its gradient and the optimizer states as inputs and returns the new
weight; the states (and the float32 master weight of the ``mp_*`` variants) are updated in
place (``OpDef(mutates=...)``). As in MXNet the weight input itself is left alone: optimizers
pass ``out=weight``. Declared as operators so a backend can fuse them; the decompositions
below use only primitives. float16 inputs are computed in float32. ``clip_gradient < 0``
means no clipping. The ops are not differentiable.
"""

from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

from .registry import OpDef, Param, register_op, to_bool, to_float, to_int

__all__: list = []

AREA = "optimizer_ops"
_F32 = np.dtype(np.float32)


# -- shared pieces -----------------------------------------------------------------------------
def _work_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    return _F32 if dtype == np.float16 else dtype


def _as(K, x: Any, dtype: np.dtype) -> Any:
    return x if x.dtype == dtype else K.cast(x, dtype)


def _clip(K, x: Any, bound: float) -> Any:
    if bound < 0:
        return x
    t = x.dtype.type
    return K.minimum(K.maximum(x, t(-bound)), t(bound))


def _scaled(K, grad: Any, wt: np.dtype, rescale_grad: float) -> Any:
    return K.multiply(_as(K, grad, wt), wt.type(rescale_grad))


def _plus_wd(K, g: Any, w: Any, wd: float) -> Any:
    return K.add(g, K.multiply(w, w.dtype.type(wd))) if wd else g


def _axpby(K, a: float, x: Any, b: float, y: Any) -> Any:
    """``a*x + b*y`` with Python-float coefficients."""
    t = x.dtype.type
    return K.add(K.multiply(x, t(a)), K.multiply(y, t(b)))


def _check_same_shapes(names: Sequence[str], shapes: Sequence[Tuple[int, ...]]) -> None:
    for name, shape in zip(names[1:], shapes[1:]):
        if tuple(shape) != tuple(shapes[0]):
            raise ValueError(f"{name} must have the weight's shape {tuple(shapes[0])}, got "
                             f"{tuple(shape)}")


def _check_float(names: Sequence[str], dtypes: Sequence[Any]) -> None:
    for name, dtype in zip(names, dtypes):
        if np.dtype(dtype).kind != "f":
            raise TypeError(f"{name} must be a floating-point array, got {np.dtype(dtype)}")


def _checker(names: Sequence[str], master: int = -1, same: int = -1):
    """A ``check``: float inputs, the first ``same`` (default all) of one shape, and the
    input at ``master`` (the mp_* master weight) float32."""
    names = tuple(names)
    n_same = len(names) if same < 0 else same

    def check(shapes, dtypes, **_):
        _check_float(names, dtypes)
        _check_same_shapes(names[:n_same], shapes[:n_same])
        if master >= 0 and np.dtype(dtypes[master]) != _F32:
            raise TypeError(f"{names[master]} (the master weight) must be float32, got "
                            f"{np.dtype(dtypes[master])}")

    return check


def _common(*extra: Param, lr_required: bool = True) -> Tuple[Param, ...]:
    """``lr`` + op-specific params + MXNet's shared wd/rescale_grad/clip_gradient."""
    head = (Param("lr", to_float, doc="learning rate"),) if lr_required else ()
    return head + extra + (
        Param("wd", to_float, 0.0, "weight decay (L2 coefficient)"),
        Param("rescale_grad", to_float, 1.0, "gradients are multiplied by this first"),
        Param("clip_gradient", to_float, -1.0,
              "clip the rescaled gradient to [-c, c]; negative means no clipping"),
    )


_LAZY = Param("lazy_update", to_bool, True,
              "with a row_sparse gradient, update only the rows it holds (weight decay and "
              "momentum included); False updates every row")
_MOMENTUM = Param("momentum", to_float, 0.0, "momentum")


def _register(name: str, inputs: Sequence[str], params: Sequence[Param], compute: Any,
              mutates: Sequence[int] = (), master: int = -1, same: int = -1,
              aliases: Sequence[str] = (), doc: str = "") -> None:
    register_op(OpDef(name, inputs, params, compute=compute, mutates=mutates,
                      check=_checker(inputs, master, same), aliases=aliases, area=AREA,
                      doc=doc, differentiable=False))


# -- SGD family --------------------------------------------------------------------------------
def _sgd_step(K, w: Any, grad: Any, lr: float, wd: float, rescale_grad: float,
              clip_gradient: float) -> Any:
    g = _clip(K, _scaled(K, grad, w.dtype, rescale_grad), clip_gradient)
    return _axpby(K, 1.0 - lr * wd, w, -lr, g)


def _sgd_mom_step(K, w: Any, grad: Any, mom: Any, lr: float, momentum: float, wd: float,
                  rescale_grad: float, clip_gradient: float) -> Tuple[Any, Any]:
    g = _clip(K, _scaled(K, grad, w.dtype, rescale_grad), clip_gradient)
    m = K.subtract(_axpby(K, momentum, _as(K, mom, w.dtype), -lr * wd, w),
                   K.multiply(g, w.dtype.type(lr)))
    return K.add(w, m), m


def _nag_step(K, w: Any, grad: Any, mom: Any, lr: float, momentum: float, wd: float,
              rescale_grad: float, clip_gradient: float) -> Tuple[Any, Any]:
    g = _plus_wd(K, _clip(K, _scaled(K, grad, w.dtype, rescale_grad), clip_gradient), w, wd)
    m = K.add(K.multiply(_as(K, mom, w.dtype), w.dtype.type(momentum)), g)
    step = K.add(K.multiply(m, w.dtype.type(momentum)), g)
    return K.subtract(w, K.multiply(step, w.dtype.type(lr))), m


def _sgd_update(K, weight, grad, *, lr, wd, rescale_grad, clip_gradient, **_):
    w = _as(K, weight, _work_dtype(weight.dtype))
    return _as(K, _sgd_step(K, w, grad, lr, wd, rescale_grad, clip_gradient), weight.dtype)


def _sgd_mom_update(K, weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient,
                    **_):
    w = _as(K, weight, _work_dtype(weight.dtype))
    new_w, m = _sgd_mom_step(K, w, grad, mom, lr, momentum, wd, rescale_grad, clip_gradient)
    return _as(K, new_w, weight.dtype), _as(K, m, mom.dtype)


def _mp_sgd_update(K, weight, grad, weight32, *, lr, wd, rescale_grad, clip_gradient, **_):
    w32 = _sgd_step(K, weight32, grad, lr, wd, rescale_grad, clip_gradient)
    return _as(K, w32, weight.dtype), w32


def _mp_sgd_mom_update(K, weight, grad, mom, weight32, *, lr, momentum, wd, rescale_grad,
                       clip_gradient, **_):
    w32, m = _sgd_mom_step(K, weight32, grad, mom, lr, momentum, wd, rescale_grad,
                           clip_gradient)
    return _as(K, w32, weight.dtype), _as(K, m, mom.dtype), w32


def _nag_mom_update(K, weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient,
                    **_):
    w = _as(K, weight, _work_dtype(weight.dtype))
    new_w, m = _nag_step(K, w, grad, mom, lr, momentum, wd, rescale_grad, clip_gradient)
    return _as(K, new_w, weight.dtype), _as(K, m, mom.dtype)


def _mp_nag_mom_update(K, weight, grad, mom, weight32, *, lr, momentum, wd, rescale_grad,
                       clip_gradient, **_):
    w32, m = _nag_step(K, weight32, grad, mom, lr, momentum, wd, rescale_grad, clip_gradient)
    return _as(K, w32, weight.dtype), _as(K, m, mom.dtype), w32


_register("sgd_update", ("weight", "grad"), _common(_LAZY), _sgd_update,
          doc="SGD step: weight = (1 - lr*wd)*weight - lr*clip(rescale_grad*grad).")
_register("sgd_mom_update", ("weight", "grad", "mom"), _common(_MOMENTUM, _LAZY),
          _sgd_mom_update, mutates=(2,),
          doc="SGD with momentum: mom = momentum*mom - lr*wd*weight - "
              "lr*clip(rescale_grad*grad); weight = weight + mom (mom updated in place).")
_register("mp_sgd_update", ("weight", "grad", "weight32"), _common(_LAZY), _mp_sgd_update,
          mutates=(2,), master=2, same=2,
          doc="sgd_update on the float32 master weight ``weight32`` (updated in place); "
              "returns it cast to the weight's dtype.")
_register("mp_sgd_mom_update", ("weight", "grad", "mom", "weight32"),
          _common(_MOMENTUM, _LAZY), _mp_sgd_mom_update, mutates=(2, 3), master=3, same=3,
          doc="sgd_mom_update on the float32 master weight ``weight32``; mom and weight32 "
              "are updated in place; returns the new weight in the weight's dtype.")
_register("nag_mom_update", ("weight", "grad", "mom"), _common(_MOMENTUM), _nag_mom_update,
          mutates=(2,),
          doc="Nesterov momentum: g = clip(rescale_grad*grad) + wd*weight; "
              "mom = momentum*mom + g; weight = weight - lr*(momentum*mom + g).")
_register("mp_nag_mom_update", ("weight", "grad", "mom", "weight32"), _common(_MOMENTUM),
          _mp_nag_mom_update, mutates=(2, 3), master=3, same=3,
          doc="nag_mom_update on the float32 master weight ``weight32``.")


# -- sign methods ------------------------------------------------------------------------------
def _signsgd_update(K, weight, grad, *, lr, wd, **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    return _as(K, _axpby(K, 1.0 - lr * wd, w, -lr, K.sign(_as(K, grad, wt))), weight.dtype)


def _signum_update(K, weight, grad, mom, *, lr, momentum, wd, rescale_grad, clip_gradient,
                   wd_lh, **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    g = _clip(K, _scaled(K, grad, wt, rescale_grad), clip_gradient)
    keep = 1.0 - momentum
    m = K.subtract(_axpby(K, momentum, _as(K, mom, wt), -keep * wd, w),
                   K.multiply(g, wt.type(keep)))
    new_w = _axpby(K, 1.0 - lr * wd_lh, w, lr, K.sign(m))
    return _as(K, new_w, weight.dtype), _as(K, m, mom.dtype)


_register("signsgd_update", ("weight", "grad"), _common(), _signsgd_update,
          doc="signSGD: weight = (1 - lr*wd)*weight - lr*sign(grad).")
_register("signum_update", ("weight", "grad", "mom"),
          _common(_MOMENTUM) + (Param("wd_lh", to_float, 0.0, "decoupled weight decay"),),
          _signum_update, mutates=(2,),
          doc="Signum: mom = momentum*mom - (1-momentum)*(wd*weight + "
              "clip(rescale_grad*grad)); weight = (1 - lr*wd_lh)*weight + lr*sign(mom).")


# -- Adam family -------------------------------------------------------------------------------
_BETAS = (Param("beta1", to_float, 0.9, "decay of the first moment"),
          Param("beta2", to_float, 0.999, "decay of the second moment"),
          Param("epsilon", to_float, 1e-8, "added to the denominator"))


def _moments(K, g: Any, mean: Any, var: Any, beta1: float, beta2: float) -> Tuple[Any, Any]:
    wt = g.dtype
    m = _axpby(K, beta1, _as(K, mean, wt), 1.0 - beta1, g)
    v = _axpby(K, beta2, _as(K, var, wt), 1.0 - beta2, K.square(g))
    return m, v


def _adam_direction(K, m: Any, v: Any, epsilon: float) -> Any:
    return K.divide(m, K.add(K.sqrt(v), m.dtype.type(epsilon)))


def _adam_update(K, weight, grad, mean, var, *, lr, beta1, beta2, epsilon, wd, rescale_grad,
                 clip_gradient, **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    g = _clip(K, _plus_wd(K, _scaled(K, grad, wt, rescale_grad), w, wd), clip_gradient)
    m, v = _moments(K, g, mean, var, beta1, beta2)
    new_w = K.subtract(w, K.multiply(_adam_direction(K, m, v, epsilon), wt.type(lr)))
    return _as(K, new_w, weight.dtype), _as(K, m, mean.dtype), _as(K, v, var.dtype)


def _adamw_step(K, w: Any, grad: Any, mean: Any, var: Any, rescale: Any, lr: float,
                beta1: float, beta2: float, epsilon: float, wd: float, eta: float,
                clip_gradient: float) -> Tuple[Any, Any, Any]:
    """The AdamW step, skipped (everything unchanged) where rescale_grad is 0 or not finite."""
    wt = w.dtype
    r = K.reshape(_as(K, rescale, wt), ())
    ok = K.logical_and(K.isfinite(r), K.not_equal(r, wt.type(0)))
    g = _clip(K, K.multiply(_as(K, grad, wt), r), clip_gradient)
    m, v = _moments(K, g, mean, var, beta1, beta2)
    step = _axpby(K, lr, _adam_direction(K, m, v, epsilon), wd, w)
    new_w = K.subtract(w, K.multiply(step, wt.type(eta)))
    return (K.where(ok, new_w, w), K.where(ok, m, _as(K, mean, wt)),
            K.where(ok, v, _as(K, var, wt)))


def _adamw_update(K, weight, grad, mean, var, rescale_grad, *, lr, beta1, beta2, epsilon, wd,
                  eta, clip_gradient, **_):
    w = _as(K, weight, _work_dtype(weight.dtype))
    new_w, m, v = _adamw_step(K, w, grad, mean, var, rescale_grad, lr, beta1, beta2, epsilon,
                              wd, eta, clip_gradient)
    return _as(K, new_w, weight.dtype), _as(K, m, mean.dtype), _as(K, v, var.dtype)


def _mp_adamw_update(K, weight, grad, mean, var, weight32, rescale_grad, *, lr, beta1, beta2,
                     epsilon, wd, eta, clip_gradient, **_):
    w32, m, v = _adamw_step(K, weight32, grad, mean, var, rescale_grad, lr, beta1, beta2,
                            epsilon, wd, eta, clip_gradient)
    return _as(K, w32, weight.dtype), _as(K, m, mean.dtype), _as(K, v, var.dtype), w32


def _check_rescale(check):
    def wrapped(shapes, dtypes, **attrs):
        check(shapes[:-1], dtypes[:-1], **attrs)
        if tuple(shapes[-1]) not in ((1,), ()):
            raise ValueError(f"rescale_grad must be an array of shape (1,), got "
                             f"{tuple(shapes[-1])}")
        _check_float(("rescale_grad",), dtypes[-1:])

    return wrapped


_ADAMW_PARAMS = (Param("lr", to_float, doc="learning rate"),) + _BETAS + (
    Param("wd", to_float, 0.0, "decoupled weight decay"),
    Param("eta", to_float, doc="learning-rate schedule multiplier"),
    Param("clip_gradient", to_float, -1.0, "negative means no clipping"))

_register("adam_update", ("weight", "grad", "mean", "var"), _common(*_BETAS, _LAZY),
          _adam_update, mutates=(2, 3),
          doc="Adam (no bias correction; the optimizer folds it into lr): "
              "g = clip(rescale_grad*grad + wd*weight); mean, var = moving moments of g; "
              "weight = weight - lr*mean/(sqrt(var) + epsilon).")
register_op(OpDef(
    "_adamw_update", ("weight", "grad", "mean", "var", "rescale_grad"), _ADAMW_PARAMS,
    compute=_adamw_update, mutates=(2, 3), aliases=("adamw_update",), area=AREA,
    check=_check_rescale(_checker(("weight", "grad", "mean", "var"))), differentiable=False,
    doc="AdamW (decoupled weight decay): g = clip(rescale_grad*grad); mean, var = moving "
        "moments of g; weight = weight - eta*(lr*mean/(sqrt(var) + epsilon) + wd*weight). "
        "rescale_grad is a (1,) array; when it is 0, NaN or Inf nothing is updated."))
register_op(OpDef(
    "_mp_adamw_update", ("weight", "grad", "mean", "var", "weight32", "rescale_grad"),
    _ADAMW_PARAMS, compute=_mp_adamw_update, mutates=(2, 3, 4), aliases=("mp_adamw_update",),
    area=AREA, differentiable=False,
    check=_check_rescale(_checker(("weight", "grad", "mean", "var", "weight32"), 4)),
    doc="_adamw_update on the float32 master weight ``weight32`` (updated in place)."))


# -- RMSProp -----------------------------------------------------------------------------------
_CLIP_WEIGHTS = Param("clip_weights", to_float, -1.0,
                      "clip the new weight to [-c, c]; negative means no clipping")


def _rmsprop_update(K, weight, grad, n, *, lr, gamma1, epsilon, wd, rescale_grad,
                    clip_gradient, clip_weights, **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    g = _clip(K, _plus_wd(K, _scaled(K, grad, wt, rescale_grad), w, wd), clip_gradient)
    new_n = _axpby(K, gamma1, _as(K, n, wt), 1.0 - gamma1, K.square(g))
    step = K.divide(g, K.sqrt(K.add(new_n, wt.type(epsilon))))
    new_w = _clip(K, K.subtract(w, K.multiply(step, wt.type(lr))), clip_weights)
    return _as(K, new_w, weight.dtype), _as(K, new_n, n.dtype)


def _rmspropalex_update(K, weight, grad, n, g_avg, delta, *, lr, gamma1, gamma2, epsilon, wd,
                        rescale_grad, clip_gradient, clip_weights, **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    g = _clip(K, _plus_wd(K, _scaled(K, grad, wt, rescale_grad), w, wd), clip_gradient)
    new_n = _axpby(K, gamma1, _as(K, n, wt), 1.0 - gamma1, K.square(g))
    new_g = _axpby(K, gamma1, _as(K, g_avg, wt), 1.0 - gamma1, g)
    denom = K.sqrt(K.add(K.subtract(new_n, K.square(new_g)), wt.type(epsilon)))
    new_d = _axpby(K, gamma2, _as(K, delta, wt), -lr, K.divide(g, denom))
    new_w = _clip(K, K.add(w, new_d), clip_weights)
    return (_as(K, new_w, weight.dtype), _as(K, new_n, n.dtype), _as(K, new_g, g_avg.dtype),
            _as(K, new_d, delta.dtype))


_GAMMA1 = Param("gamma1", to_float, 0.95, "decay of the squared-gradient average")
_EPS8 = Param("epsilon", to_float, 1e-8, "added inside the square root")
_register("rmsprop_update", ("weight", "grad", "n"), _common(_GAMMA1, _EPS8) + (_CLIP_WEIGHTS,),
          _rmsprop_update, mutates=(2,),
          doc="RMSProp (Tieleman & Hinton): g = clip(rescale_grad*grad + wd*weight); "
              "n = (1-gamma1)*g^2 + gamma1*n; weight = weight - lr*g/sqrt(n + epsilon).")
_register("rmspropalex_update", ("weight", "grad", "n", "g", "delta"),
          _common(_GAMMA1, Param("gamma2", to_float, 0.9, "momentum of delta"), _EPS8)
          + (_CLIP_WEIGHTS,), _rmspropalex_update, mutates=(2, 3, 4),
          doc="Centered RMSProp (Graves): n and g are moving averages of g^2 and g; "
              "delta = gamma2*delta - lr*g/sqrt(n - g_avg^2 + epsilon); weight += delta.")


# -- FTRL --------------------------------------------------------------------------------------
def _ftrl_update(K, weight, grad, z, n, *, lr, lamda1, beta, wd, rescale_grad, clip_gradient,
                 **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    g = _clip(K, _scaled(K, grad, wt, rescale_grad), clip_gradient)
    n_old = _as(K, n, wt)
    new_n = K.add(n_old, K.square(g))
    sigma = K.divide(K.subtract(K.sqrt(new_n), K.sqrt(n_old)), wt.type(lr))
    new_z = K.subtract(K.add(_as(K, z, wt), g), K.multiply(sigma, w))
    t = wt.type
    num = K.subtract(K.multiply(K.sign(new_z), t(lamda1)), new_z)
    den = K.add(K.divide(K.add(K.sqrt(new_n), t(beta)), t(lr)), t(wd))
    active = K.greater(K.abs(new_z), t(lamda1))
    new_w = K.where(active, K.divide(num, den), K.full((), 0, wt))
    return _as(K, new_w, weight.dtype), _as(K, new_z, z.dtype), _as(K, new_n, n.dtype)


_register("ftrl_update", ("weight", "grad", "z", "n"),
          _common(Param("lamda1", to_float, 0.01, "L1 regularisation"),
                  Param("beta", to_float, 1.0, "per-coordinate learning-rate offset")),
          _ftrl_update, mutates=(2, 3),
          doc="FTRL-Proximal: z += g - (sqrt(n + g^2) - sqrt(n))*weight/lr; n += g^2; "
              "weight = (sign(z)*lamda1 - z)/((beta + sqrt(n))/lr + wd) where |z| > lamda1, "
              "else 0.")


# -- AdaGrad -----------------------------------------------------------------------------------
def _adagrad_update(K, weight, grad, history, *, lr, epsilon, wd, rescale_grad, clip_gradient,
                    **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    g = _clip(K, _scaled(K, grad, wt, rescale_grad), clip_gradient)
    h = K.add(_as(K, history, wt), K.square(g))
    step = K.add(K.divide(g, K.sqrt(K.add(h, wt.type(epsilon)))), K.multiply(w, wt.type(wd)))
    return _as(K, K.subtract(w, K.multiply(step, wt.type(lr))), weight.dtype), \
        _as(K, h, history.dtype)


_register("_sparse_adagrad_update", ("weight", "grad", "history"),
          _common(Param("epsilon", to_float, 1e-7, "added inside the square root")),
          _adagrad_update, mutates=(2,),
          doc="AdaGrad: history += g^2; weight -= lr*(g/sqrt(history + epsilon) + wd*weight) "
              "with g = clip(rescale_grad*grad); with a row_sparse grad only its rows change.")


# -- LAMB --------------------------------------------------------------------------------------
def _check_lamb1(shapes, dtypes, *, t, bias_correction, **_):
    _checker(("weight", "grad", "mean", "var"))(shapes, dtypes)
    if bias_correction and t < 1:
        raise ValueError(f"t (the update count) must be >= 1 with bias_correction, got {t}")


def _lamb_update_phase1(K, weight, grad, mean, var, *, beta1, beta2, epsilon, t,
                        bias_correction, wd, rescale_grad, clip_gradient, **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    g = _clip(K, _scaled(K, grad, wt, rescale_grad), clip_gradient)
    m, v = _moments(K, g, mean, var, beta1, beta2)
    m_hat, v_hat = m, v
    if bias_correction:
        m_hat = K.divide(m, wt.type(1.0 - beta1 ** t))
        v_hat = K.divide(v, wt.type(1.0 - beta2 ** t))
    direction = _plus_wd(K, _adam_direction(K, m_hat, v_hat, epsilon), w, wd)
    return _as(K, direction, weight.dtype), _as(K, m, mean.dtype), _as(K, v, var.dtype)


def _check_lamb2(shapes, dtypes, **_):
    _checker(("weight", "g"))(shapes[:2], dtypes[:2])
    for name, shape in zip(("r1", "r2"), shapes[2:]):
        if tuple(shape) not in ((1,), ()):
            raise ValueError(f"{name} must be an array of shape (1,), got {tuple(shape)}")


def _lamb_update_phase2(K, weight, g, r1, r2, *, lr, lower_bound, upper_bound, **_):
    wt = _work_dtype(weight.dtype)
    w = _as(K, weight, wt)
    a = K.reshape(_as(K, r1, wt), ())
    b = K.reshape(_as(K, r2, wt), ())
    if lower_bound >= 0:
        a = K.maximum(a, wt.type(lower_bound))
    if upper_bound >= 0:
        a = K.minimum(a, wt.type(upper_bound))
    zero, one = K.full((), 0, wt), K.full((), 1, wt)
    degenerate = K.logical_or(K.equal(a, zero), K.equal(b, zero))
    ratio = K.where(degenerate, one, K.divide(a, K.where(degenerate, one, b)))
    step = K.multiply(K.multiply(_as(K, g, wt), ratio), wt.type(lr))
    return _as(K, K.subtract(w, step), weight.dtype)


register_op(OpDef(
    "lamb_update_phase1", ("weight", "grad", "mean", "var"),
    _BETAS[:2] + (Param("epsilon", to_float, 1e-6, "added to the denominator"),
                  Param("t", to_int, doc="update count (for bias correction)"),
                  Param("bias_correction", to_bool, True, "divide the moments by 1-beta^t"),
                  Param("wd", to_float, doc="weight decay"),
                  Param("rescale_grad", to_float, 1.0, "gradients are multiplied by this"),
                  Param("clip_gradient", to_float, -1.0, "negative means no clipping")),
    compute=_lamb_update_phase1, mutates=(2, 3), check=_check_lamb1, area=AREA,
    differentiable=False,
    doc="LAMB phase 1: updates mean/var in place and returns the update direction "
        "g = mean_hat/(sqrt(var_hat) + epsilon) + wd*weight."))
register_op(OpDef(
    "lamb_update_phase2", ("weight", "g", "r1", "r2"),
    (Param("lr", to_float, doc="learning rate"),
     Param("lower_bound", to_float, -1.0, "lower bound of r1; negative means none"),
     Param("upper_bound", to_float, -1.0, "upper bound of r1; negative means none")),
    compute=_lamb_update_phase2, check=_check_lamb2, area=AREA, differentiable=False,
    doc="LAMB phase 2: weight = weight - lr*(r1/r2)*g, with r1 (the weight norm) clamped to "
        "the bounds and the ratio 1 when r1 or r2 is 0."))
