"""OpenCL C generation shared by every kernel family: C types, helpers and the one strided
element-wise kernel that serves unary, binary, compare, select, cast, copy and random ops.

An element-wise op is a C expression over inputs named ``a, b, c, d`` (types ``TA, TB, ...``;
``T`` is the compute type, ``O`` the output type, ``W`` the widest float the device has).
The generated kernel walks the output shape with runtime strides (so views, broadcasting and
strided outputs need no copies); when every operand is contiguous (or a broadcast scalar)
the index arithmetic is skipped.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import numpy as np

from .array import CLArray, c_strides, collapse

__all__ = ["ctype", "pragmas", "elementwise", "broadcast_strides", "HELPERS", "NAMES"]

CTYPES = {"float16": "half", "float32": "float", "float64": "double", "int8": "char",
          "uint8": "uchar", "int32": "int", "int64": "long", "bool": "uchar"}
NAMES = "abcd"


_CTYPE_OF = {np.dtype(name): c for name, c in CTYPES.items()}


def ctype(dtype: Any) -> str:
    c = _CTYPE_OF.get(dtype)
    return c if c is not None else CTYPES[np.dtype(dtype).name]


def pragmas(rt: Any) -> str:
    lines = []
    if rt.fp64:
        lines.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
    if rt.fp16:
        lines.append("#pragma OPENCL EXTENSION cl_khr_fp16 : enable")
    lines.append(f"typedef {'double' if rt.fp64 else 'float'} W;")
    return "\n".join(lines) + "\n"


def store(expr: str, dtype: Any) -> str:
    """C expression converting ``expr`` to the output dtype (bool normalises to 0/1)."""
    if np.dtype(dtype).kind == "b":
        return f"(uchar)(({expr}) != 0)"
    return f"(O)({expr})"


#: helper functions, included when their name appears in a kernel's expression
HELPERS = {
    "mx_fmod": """
T mx_fmod(T a, T b) {
    if (b == 0) return (T)0;
    T r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}""",
    "mx_imod": """
T mx_imod(T a, T b) {
    if (b == 0 || b == -1) return (T)0;  /* -1: x % -1 is 0, and MIN % -1 traps */
    T r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}""",
    "mx_erfinv": """
W mx_erfinv(W y) {
    if (isnan(y) || y < -1 || y > 1) return NAN;
    if (y == 1) return INFINITY;
    if (y == -1) return -INFINITY;
    W w = -log((1 - y) * (1 + y));
    W p;
    if (w < 5) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w; p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w; p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3;
        p = -0.000200214257;
        p = 0.000100950558 + p * w; p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w; p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w; p = 2.83297682 + p * w;
    }
    W x = p * y;
    for (int i = 0; i < 3; ++i) {
        W err = erf(x) - y;
        x -= err / ((W)1.1283791670955126 * exp(-x * x));
    }
    return x;
}""",
    "mx_max": "T mx_max(T a, T b) { return (a > b || a != a) ? a : b; }",
    "mx_min": "T mx_min(T a, T b) { return (a < b || a != a) ? a : b; }",
}


def helpers_for(text: str) -> str:
    return "\n".join(src for name, src in HELPERS.items() if name in text)


def broadcast_strides(x: CLArray, shape: Sequence[int]) -> tuple:
    """``x``'s strides when broadcast to ``shape`` (0 on broadcast axes)."""
    lead = len(shape) - x.ndim
    out = [0] * lead
    for n, xn, s in zip(shape[lead:], x.shape, x.strides):
        out.append(s if xn == n and xn != 1 else 0)
    return tuple(out)


def _source(rt: Any, expr: str, types: Sequence[str], modes: str, tname: str, oname: str,
            out_dtype: Any, strided: bool, preamble: str, extra: str) -> str:
    params = ["long n", "int nd", "__global const long* geo", "__global O* out", "long o_off"]
    loads = []
    idx = []
    for i, m in enumerate(modes):
        v = NAMES[i]
        if m == "s":
            params.append(f"T{v.upper()} {v}")
            continue
        params += [f"__global const T{v.upper()}* p_{v}", f"long off_{v}"]
        if m == "z":
            loads.append(f"T{v.upper()} {v} = p_{v}[off_{v}];")
        elif strided:
            idx.append(v)
            loads.append(f"T{v.upper()} {v} = p_{v}[i_{v}];")
        else:
            loads.append(f"T{v.upper()} {v} = p_{v}[off_{v} + gid];")
    if extra:
        params.append(extra)
    typedefs = "".join(f"typedef {t} T{NAMES[i].upper()};\n" for i, t in enumerate(types))
    if strided:
        body = ["long gid = get_global_id(0);", "if (gid >= n) return;",
                "long r = gid; long i_o = o_off;"]
        body += [f"long i_{v} = off_{v};" for v in idx]
        walk = ["long sh = geo[d]; long c = r % sh; r /= sh;", "i_o += c * geo[nd + d];"]
        walk += [f"i_{v} += c * geo[{k + 2} * nd + d];" for k, v in enumerate(idx)]
        body.append("for (int d = nd - 1; d >= 0; --d) { " + " ".join(walk) + " }")
        body += loads
        body.append(f"out[i_o] = {store(expr, out_dtype)};")
    else:  # each work-item runs a chunk of CHUNK elements (a loop the compiler vectorises)
        body = [f"long lo = get_global_id(0) * {rt.chunk}, hi = min(n, lo + {rt.chunk});",
                "for (long gid = lo; gid < hi; ++gid) {"]
        body += ["    " + line for line in loads]
        body += [f"    out[o_off + gid] = {store(expr, out_dtype)};", "}"]
    return (pragmas(rt) + typedefs + f"typedef {tname} T;\ntypedef {oname} O;\n"
            + helpers_for(expr + preamble) + "\n" + preamble + "\n"
            + f"__kernel void k({', '.join(params)}) {{\n    " + "\n    ".join(body) + "\n}\n")


def elementwise(rt: Any, expr: str, inputs: Sequence[Any], out_dtype: Any,
                shape: Optional[Sequence[int]] = None, out: Optional[CLArray] = None,
                compute: Any = None, preamble: str = "", extra: str = "",
                extra_values: Sequence[Any] = ()) -> CLArray:
    """Evaluate ``expr`` element-wise over ``inputs`` (CLArrays or scalars), broadcasting.

    ``out`` (any strided view) receives the result when given; else a new contiguous array.
    """
    arrays = [x for x in inputs if isinstance(x, CLArray)]
    if compute is None:
        compute = arrays[0].dtype if arrays else out_dtype
    if compute.__class__ is not np.dtype:
        compute = np.dtype(compute)
    if out is not None:
        shape = out.shape
    elif shape is None:
        if not arrays:
            shape = ()
        elif len(arrays) == 1 or all(x.shape == arrays[0].shape for x in arrays):
            shape = arrays[0].shape
        else:
            shape = np.broadcast_shapes(*[x.shape for x in arrays])
    shape = tuple(shape)
    if out_dtype.__class__ is not np.dtype:
        out_dtype = np.dtype(out_dtype)
    if out is None:
        out = new_array(rt, shape, out_dtype)
    n = out.size
    if n == 0:
        return out
    types, modes, args, strides = [], "", [], []
    for x in inputs:
        if isinstance(x, CLArray):
            st = broadcast_strides(x, shape)
            types.append(ctype(x.dtype))
            args += [x.buf, np.int64(x.offset)]
            strides.append(st)
        else:
            types.append(ctype(compute))
            args.append(np.dtype(compute).type(x) if compute.kind != "b"
                        else np.uint8(bool(x)))
            strides.append(None)
    array_strides = [s for s in strides if s is not None]
    cshape, cstrides = collapse(shape, out.strides, *array_strides)
    contiguous = (len(cshape) <= 1 and cstrides[0] in ((), (1,))
                  and all(st in ((), (0,), (1,)) for st in cstrides[1:]))
    k = 0
    for s in strides:
        if s is None:
            modes += "s"
        else:
            st = cstrides[1 + k]
            modes += "z" if all(v == 0 for v in st) else "a"
            k += 1
    key = ("ew", expr, tuple(types), modes, ctype(compute), out_dtype, contiguous, preamble,
           extra)
    kern = rt.kernel(key, lambda: _source(rt, expr, types, modes, ctype(compute),
                                          ctype(out_dtype), out_dtype, not contiguous,
                                          preamble, extra))
    nd = len(cshape)
    geo_vals = list(cshape) + list(cstrides[0])
    for st, m in zip(cstrides[1:], [m for m in modes if m != "s"]):
        if m == "a":
            geo_vals += list(st)
    geo = rt.geometry(geo_vals) if not contiguous else rt.geometry([])
    items = n if not contiguous else (n + rt.chunk - 1) // rt.chunk
    rt.run(kern, items, [np.int64(n), np.int32(nd), geo, out.buf, np.int64(out.offset), *args,
                     *extra_values])
    return out


def new_array(rt: Any, shape: Sequence[int], dtype: Any) -> CLArray:
    dtype = rt.require(dtype)
    shape = tuple(int(s) for s in shape)
    return CLArray(rt, rt.alloc(math.prod(shape) * dtype.itemsize), shape, dtype,
                   c_strides(shape))
