"""Element-wise operators: unary math, binary arithmetic with broadcasting, scalar forms and
comparisons, built by small factories so each op is a line or two."""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np

from ._helpers import unbroadcast
from .registry import OpDef, Param, register_op, to_dtype, to_float, to_int

AREA = "elemwise"


# -- unary -------------------------------------------------------------------------------------
def unary(name: str, primitive: Optional[str] = None, *, compute: Optional[Callable] = None,
          grad: Optional[Callable] = None, aliases: Sequence[str] = (), doc: str = "") -> OpDef:
    """Declare ``name(data)``; ``grad(F, x, y, og)`` returns the input gradient."""
    gradient = None
    if grad is not None:
        def gradient(F, inputs, outputs, out_grads):
            return [grad(F, inputs[0], outputs[0], out_grads[0])]
    return register_op(OpDef(name, ("data",), primitive=primitive, compute=compute,
                             gradient=gradient, aliases=aliases, area=AREA,
                             doc=doc or f"Element-wise {name}."))


def _zero_grad(F, x, y, og):
    return F.zeros_like(x)


_F32 = np.dtype("float32")


def _via_float(fn: Callable) -> Callable:
    """Run ``fn`` in float32 for integer inputs and cast back (truncating, as ``sqrt`` does)."""
    def compute(K, x):
        if x.dtype.kind in "iub":
            return K.cast(fn(K, K.cast(x, _F32)), x.dtype)
        return fn(K, x)
    return compute


def _cbrt(K, x):
    return K.multiply(K.sign(x), K.power(K.abs(x), x.dtype.type(1 / 3)))


def _cbrt_compute(K, x):
    if x.dtype.kind not in "iub":
        return _cbrt(K, x)
    # integers: exact on perfect cubes (pow(27, 1/3) may land just below 3), else truncated
    xf = K.cast(x, _F32)
    y = _cbrt(K, xf)
    r = K.rint(y)
    exact = K.equal(K.multiply(K.multiply(r, r), r), xf)
    return K.cast(K.where(exact, r, y), x.dtype)


def _digamma(F, x):
    """psi(x) from ops, for the gradient of gammaln: reflection below 0.5, a shift by 6 and
    the asymptotic series (float64 accurate to ~1e-11)."""
    low = x < 0.5
    z = x + low * (1.0 - x * 2.0)
    shift = F.zeros_like(z)
    for k in range(6):
        shift = shift + 1.0 / (z + float(k))
    w = z + 6.0
    r = 1.0 / (w * w)
    series = r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r / 132))))
    psi = F.log(w) - 0.5 / w - series - shift
    # psi(x) = psi(1 - x) - pi / tan(pi x); the angle is pi/4 where unused (no inf * 0)
    angle = (low * x + (1.0 - low) * 0.25) * math.pi
    return psi - low * math.pi / F.tan(angle)


unary("negative", "negative", grad=lambda F, x, y, og: -og)
unary("abs", "abs", grad=lambda F, x, y, og: og * F.sign(x))
unary("sign", "sign", grad=_zero_grad)
unary("exp", "exp", grad=lambda F, x, y, og: og * y)
unary("log", "log", grad=lambda F, x, y, og: og / x)
unary("log2", "log2", grad=lambda F, x, y, og: og / (x * math.log(2.0)))
unary("log10", "log10", grad=lambda F, x, y, og: og / (x * math.log(10.0)))
unary("log1p", "log1p", grad=lambda F, x, y, og: og / (x + 1.0))
unary("expm1", "expm1", grad=lambda F, x, y, og: og * (y + 1.0))
unary("sqrt", "sqrt", grad=lambda F, x, y, og: og / (y * 2.0))
unary("rsqrt", compute=_via_float(lambda K, x: K.reciprocal(K.sqrt(x))),
      grad=lambda F, x, y, og: og * y / x * -0.5, doc="Element-wise 1/sqrt(x).")
unary("cbrt", compute=_cbrt_compute,
      grad=lambda F, x, y, og: og / (y * y * 3.0), doc="Element-wise cube root.")
unary("rcbrt", compute=_via_float(lambda K, x: K.reciprocal(_cbrt(K, x))),
      grad=lambda F, x, y, og: og * y / x * (-1.0 / 3.0), doc="Element-wise 1/cbrt(x).")
unary("square", "square", grad=lambda F, x, y, og: og * x * 2.0)
unary("reciprocal", "reciprocal", grad=lambda F, x, y, og: -og * y * y)
unary("floor", "floor", grad=_zero_grad)
unary("ceil", "ceil", grad=_zero_grad)
unary("rint", "rint", grad=_zero_grad)
unary("trunc", "trunc", grad=_zero_grad)
unary("fix", "trunc", grad=_zero_grad, doc="Round toward zero.")
unary("round",
      compute=lambda K, x: K.multiply(K.sign(x), K.floor(K.add(K.abs(x), x.dtype.type(0.5))))
      if x.dtype.kind == "f" else K.copy(x),
      grad=_zero_grad, doc="Round half away from zero.")
unary("sin", "sin", grad=lambda F, x, y, og: og * F.cos(x))
unary("cos", "cos", grad=lambda F, x, y, og: -og * F.sin(x))
unary("tan", "tan", grad=lambda F, x, y, og: og * (y * y + 1.0))
unary("arcsin", "arcsin", grad=lambda F, x, y, og: og / F.sqrt(1.0 - x * x))
unary("arccos", "arccos", grad=lambda F, x, y, og: -og / F.sqrt(1.0 - x * x))
unary("arctan", "arctan", grad=lambda F, x, y, og: og / (x * x + 1.0))
unary("sinh", "sinh", grad=lambda F, x, y, og: og * F.cosh(x))
unary("cosh", "cosh", grad=lambda F, x, y, og: og * F.sinh(x))
unary("tanh", "tanh", grad=lambda F, x, y, og: og * (1.0 - y * y))
unary("arcsinh", "arcsinh", grad=lambda F, x, y, og: og / F.sqrt(x * x + 1.0))
unary("arccosh", "arccosh", grad=lambda F, x, y, og: og / F.sqrt(x * x - 1.0))
unary("arctanh", "arctanh", grad=lambda F, x, y, og: og / (1.0 - x * x))
unary("degrees", compute=_via_float(lambda K, x: K.multiply(x, x.dtype.type(180.0 / math.pi))),
      grad=lambda F, x, y, og: og * (180.0 / math.pi), doc="Radians to degrees.")
unary("radians", compute=_via_float(lambda K, x: K.multiply(x, x.dtype.type(math.pi / 180.0))),
      grad=lambda F, x, y, og: og * (math.pi / 180.0), doc="Degrees to radians.")
unary("erf", "erf", grad=lambda F, x, y, og: og * F.exp(-x * x) * (2.0 / math.sqrt(math.pi)))
unary("erfinv", "erfinv", grad=lambda F, x, y, og: og * F.exp(y * y) * (math.sqrt(math.pi) / 2))
unary("gammaln", "gammaln", grad=lambda F, x, y, og: og * _digamma(F, x))


def _relu(K, x):
    return K.maximum(x, x.dtype.type(0))


def _sigmoid(K, x):
    # exp(-|x|) never overflows: sigmoid = 1/(1+e) for x>=0, e/(1+e) for x<0
    one = x.dtype.type(1)
    e = K.exp(K.negative(K.abs(x)))
    pos = K.reciprocal(K.add(e, one))
    return K.where(K.greater_equal(x, x.dtype.type(0)), pos, K.multiply(e, pos))


def _softsign(K, x):
    return K.divide(x, K.add(K.abs(x), x.dtype.type(1)))


def _softrelu(K, x):
    return K.add(K.maximum(x, x.dtype.type(0)), K.log1p(K.exp(K.negative(K.abs(x)))))


unary("relu", compute=_relu, grad=lambda F, x, y, og: og * (x > 0), doc="max(x, 0).")
unary("sigmoid", compute=_sigmoid, grad=lambda F, x, y, og: og * y * (1.0 - y),
      doc="1 / (1 + exp(-x)).")
unary("softsign", compute=_softsign,
      grad=lambda F, x, y, og: og / F.square(F.abs(x) + 1.0), doc="x / (1 + |x|).")
unary("softrelu", compute=_softrelu, grad=lambda F, x, y, og: og * F.sigmoid(x),
      doc="log(1 + exp(x)).")
unary("logical_not", compute=lambda K, x: K.cast(K.logical_not(x), x.dtype),
      doc="1 where x is 0, else 0 (same dtype).")
unary("zeros_like", compute=lambda K, x: K.full(x.shape, 0, x.dtype), grad=_zero_grad,
      doc="An array of zeros shaped like the input.")
unary("ones_like", compute=lambda K, x: K.full(x.shape, 1, x.dtype), grad=_zero_grad,
      doc="An array of ones shaped like the input.")
unary("_copy", "copy", grad=lambda F, x, y, og: og, aliases=("identity",),
      doc="A copy of the input.")
unary("BlockGrad", "copy", grad=_zero_grad, aliases=("stop_gradient",),
      doc="Pass the input through; stop gradients flowing back.")


# -- binary with broadcasting --------------------------------------------------------------------
_SUPPORTED_INTS = frozenset(np.dtype(n) for n in ("bool", "uint8", "int8", "int32", "int64"))
_COMMON: dict = {}


def common_dtype(a: np.dtype, b: np.dtype) -> np.dtype:
    """The dtype two operands of different dtypes are computed in.

    Floats: the wider float. A float with an integer/bool: the float (as ``mx.np`` does, so
    ``int32 + float32`` stays float32). Integers: NumPy's promotion, widened to a supported
    dtype (``int8`` with ``uint8`` gives int32, not int16).
    """
    key = (a, b)
    dt = _COMMON.get(key)
    if dt is None:
        fa, fb = a.kind == "f", b.kind == "f"
        if fa and fb:
            dt = a if a.itemsize >= b.itemsize else b
        elif fa or fb:
            dt = a if fa else b
        else:
            dt = np.result_type(a, b)
            if dt not in _SUPPORTED_INTS:
                dt = np.dtype("int32") if dt.itemsize <= 4 else np.dtype("int64")
        _COMMON[key] = dt
    return dt


def _promote(K, a, b):
    dt = common_dtype(a.dtype, b.dtype)
    return (a if a.dtype == dt else K.cast(a, dt)), (b if b.dtype == dt else K.cast(b, dt))


def _binary_compute(primitive: str, via_float: bool = False) -> Callable:
    """``primitive(a, b)``, first casting both to :func:`common_dtype` when dtypes differ;
    ``via_float``: integers are computed in float32 and cast back (hypot)."""
    def compute(K, a, b):
        if a.dtype != b.dtype:
            a, b = _promote(K, a, b)
        if via_float and a.dtype.kind in "iub":
            dt = a.dtype
            return K.cast(getattr(K, primitive)(K.cast(a, _F32), K.cast(b, _F32)), dt)
        return getattr(K, primitive)(a, b)
    return compute


def _binary_grad(rule: Callable) -> Callable:
    def gradient(F, inputs, outputs, out_grads):
        a, b = inputs
        ga, gb = rule(F, a, b, outputs[0], out_grads[0])
        ga, gb = unbroadcast(F, ga, a.shape), unbroadcast(F, gb, b.shape)
        if a.dtype != b.dtype:  # promoted: hand each input a gradient of its own dtype
            ga = ga if ga.dtype == a.dtype else F.Cast(ga, dtype=a.dtype)
            gb = gb if gb.dtype == b.dtype else F.Cast(gb, dtype=b.dtype)
        return [ga, gb]
    return gradient


def _same_shape(op_name: str) -> Callable:
    def check(shapes, dtypes):
        if shapes[0] != shapes[1]:
            raise ValueError("inputs must have the same shape (use broadcast_* to broadcast)")
    return check


def binary(names: Sequence[str], primitive: str, rule: Optional[Callable],
           aliases: Sequence[Sequence[str]] = ((), ()), doc: str = "") -> None:
    """Declare ``broadcast_<x>`` (and ``elemwise_<x>`` when two names are given)."""
    gradient = _binary_grad(rule) if rule is not None else None
    compute = _binary_compute(primitive, via_float=primitive == "hypot")
    for i, name in enumerate(names):
        same = name.startswith("elemwise_")
        register_op(OpDef(name, ("lhs", "rhs"), compute=compute, gradient=gradient,
                          aliases=aliases[i], area=AREA,
                          check=_same_shape(name) if same else None,
                          doc=doc + (" Inputs must have equal shapes." if same else
                                     " Inputs broadcast as in NumPy.")))


binary(("broadcast_add", "elemwise_add"), "add", lambda F, a, b, y, og: (og, og),
       (("broadcast_plus",), ("_add", "_plus", "_Plus")), "Sum.")


def _check_add_n(shapes, dtypes, num_args):
    if not shapes:
        raise ValueError("needs at least one input")
    if num_args and num_args != len(shapes):
        raise ValueError(f"num_args={num_args} but {len(shapes)} inputs were given")
    if any(tuple(s) != tuple(shapes[0]) for s in shapes):
        raise ValueError(f"inputs must have the same shape; got {[tuple(s) for s in shapes]}")
    if any(d != dtypes[0] for d in dtypes):
        raise TypeError(f"inputs must have the same dtype; got {[str(d) for d in dtypes]}")


def _add_n(K, *xs, num_args):
    total = K.copy(xs[0])
    for x in xs[1:]:
        total = K.add(total, x)
    return total


register_op(OpDef(
    "add_n", ("args",), (Param("num_args", to_int, 0, "number of inputs (from the call)"),),
    compute=_add_n, gradient=lambda F, inputs, outputs, out_grads, num_args: [
        out_grads[0]] * len(inputs),
    check=_check_add_n, variadic=True, aliases=("ElementWiseSum", "_sparse_ElementWiseSum"),
    area=AREA, doc="Element-wise sum of any number of arrays of equal shape and dtype."))
binary(("broadcast_sub", "elemwise_sub"), "subtract", lambda F, a, b, y, og: (og, -og),
       (("broadcast_minus",), ("_sub", "_minus", "_Minus")), "Difference.")
binary(("broadcast_mul", "elemwise_mul"), "multiply",
       lambda F, a, b, y, og: (og * b, og * a), ((), ("_mul", "_Mul")), "Product.")
binary(("broadcast_div", "elemwise_div"), "divide",
       lambda F, a, b, y, og: (og / b, -og * a / (b * b)), ((), ("_div", "_Div")),
       "Quotient.")
binary(("broadcast_power",), "power",
       lambda F, a, b, y, og: (og * b * a ** (b - 1.0), og * y * F.log(a)),
       (("_power", "_Power"),), "a ** b.")
binary(("broadcast_maximum",), "maximum",
       lambda F, a, b, y, og: (og * (a >= b), og * (a < b)), (("_maximum", "_Maximum"),),
       "Element-wise maximum.")
binary(("broadcast_minimum",), "minimum",
       lambda F, a, b, y, og: (og * (a <= b), og * (a > b)), (("_minimum", "_Minimum"),),
       "Element-wise minimum.")
binary(("broadcast_mod",), "mod",
       lambda F, a, b, y, og: (og, -og * F.floor(a / b)), (("_mod", "_Mod"),),
       "Remainder with the sign of the divisor.")
binary(("broadcast_hypot",), "hypot",
       lambda F, a, b, y, og: (og * a / y, og * b / y), (("_hypot",),), "sqrt(a² + b²).")


def _comparison(primitive: str) -> Callable:
    def compute(K, a, b):
        if a.dtype != b.dtype:
            a, b = _promote(K, a, b)
        return K.cast(getattr(K, primitive)(a, b), a.dtype)
    return compute


for _name, _prim in (("equal", "equal"), ("not_equal", "not_equal"),
                     ("greater", "greater"), ("greater_equal", "greater_equal"),
                     ("lesser", "less"), ("lesser_equal", "less_equal"),
                     ("logical_and", "logical_and"), ("logical_or", "logical_or"),
                     ("logical_xor", "logical_xor")):
    register_op(OpDef(f"broadcast_{_name}", ("lhs", "rhs"), compute=_comparison(_prim),
                      aliases=(f"_{_name}",), area=AREA,
                      doc=f"1 where {_name}(lhs, rhs) holds, else 0, in the inputs' dtype."))


# -- scalar forms ----------------------------------------------------------------------------------
_SCALAR = (Param("scalar", to_float, 1.0, "the scalar operand"),)


def _as_scalar(x, scalar):
    return x.dtype.type(scalar)


def scalar_op(name: str, compute: Callable, grad: Optional[Callable] = None,
              aliases: Sequence[str] = (), doc: str = "") -> None:
    """Declare ``name(data, scalar)``; ``grad(F, x, y, og, s)`` returns the input gradient."""
    gradient = None
    if grad is not None:
        def gradient(F, inputs, outputs, out_grads, scalar):
            return [grad(F, inputs[0], outputs[0], out_grads[0], scalar)]
    register_op(OpDef(name, ("data",), _SCALAR, compute=compute, gradient=gradient,
                      aliases=aliases, area=AREA, doc=doc or f"{name} with a scalar."))


def _prim_scalar(primitive: str, reverse: bool = False) -> Callable:
    if reverse:
        def compute(K, x, scalar):
            return getattr(K, primitive)(K.full(x.shape, scalar, x.dtype), x)
    else:
        def compute(K, x, scalar):
            return getattr(K, primitive)(x, _as_scalar(x, scalar))
    return compute


def _via_float_scalar(fn: Callable) -> Callable:
    def compute(K, x, scalar):
        if x.dtype.kind in "iub":
            return K.cast(fn(K, K.cast(x, _F32), scalar), x.dtype)
        return fn(K, x, scalar)
    return compute


scalar_op("_plus_scalar", _prim_scalar("add"), lambda F, x, y, og, s: og,
          ("_PlusScalar",))
scalar_op("_minus_scalar", _prim_scalar("subtract"), lambda F, x, y, og, s: og,
          ("_MinusScalar",))
scalar_op("_rminus_scalar", _prim_scalar("subtract", True), lambda F, x, y, og, s: -og,
          ("_RMinusScalar",))
scalar_op("_mul_scalar", _prim_scalar("multiply"), lambda F, x, y, og, s: og * s,
          ("_MulScalar",))
scalar_op("_div_scalar", _prim_scalar("divide"), lambda F, x, y, og, s: og / s,
          ("_DivScalar",))
scalar_op("_rdiv_scalar", _prim_scalar("divide", True), lambda F, x, y, og, s: -og * y / x,
          ("_RDivScalar",))
scalar_op("_power_scalar", _prim_scalar("power"),
          lambda F, x, y, og, s: og * s * x ** (s - 1.0), ("_PowerScalar",))
scalar_op("_rpower_scalar", _prim_scalar("power", True),
          lambda F, x, y, og, s: og * y * math.log(s) if s > 0 else og * 0.0,
          ("_RPowerScalar",))
scalar_op("_mod_scalar", _prim_scalar("mod"), lambda F, x, y, og, s: og, ("_ModScalar",))
scalar_op("_rmod_scalar", _prim_scalar("mod", True),
          lambda F, x, y, og, s: -og * F.floor(s / x), ("_RModScalar",))
scalar_op("_maximum_scalar", _prim_scalar("maximum"), lambda F, x, y, og, s: og * (x >= s),
          ("_MaximumScalar",))
scalar_op("_minimum_scalar", _prim_scalar("minimum"), lambda F, x, y, og, s: og * (x <= s),
          ("_MinimumScalar",))
scalar_op("_hypot_scalar", _via_float_scalar(_prim_scalar("hypot")),
          lambda F, x, y, og, s: og * x / y, ("_HypotScalar",))


def _compare_scalar(primitive: str) -> Callable:
    def compute(K, x, scalar):
        return K.cast(getattr(K, primitive)(x, _as_scalar(x, scalar)), x.dtype)
    return compute


for _name, _prim in (("equal", "equal"), ("not_equal", "not_equal"),
                     ("greater", "greater"), ("greater_equal", "greater_equal"),
                     ("lesser", "less"), ("lesser_equal", "less_equal"),
                     ("logical_and", "logical_and"), ("logical_or", "logical_or"),
                     ("logical_xor", "logical_xor")):
    scalar_op(f"_{_name}_scalar", _compare_scalar(_prim),
              doc=f"1 where {_name}(data, scalar) holds, else 0, in data's dtype.")


# -- cast ----------------------------------------------------------------------------------------
def _cast_grad(F, inputs, outputs, out_grads, dtype):
    return [F.Cast(out_grads[0], dtype=inputs[0].dtype)]


register_op(OpDef("Cast", ("data",), (Param("dtype", to_dtype, doc="target dtype"),),
                  compute=lambda K, x, dtype: K.cast(x, dtype), gradient=_cast_grad,
                  aliases=("cast",), area=AREA, doc="Convert to another dtype."))
