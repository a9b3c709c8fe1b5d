"""The closed set of primitives every backend implements, listed once.

Kernels take and return backend arrays. Unless a line says otherwise a primitive returns the
dtype of its first array input, never promotes small integer types, and returns a new array
(``slice``, ``reshape``, ``transpose``, ``broadcast_to`` and ``windows`` may return views: the
core never writes into their results). Axes are non-negative ints or tuples of them, already
normalised by the core. The registry, the conformance report and the backend guide read this
table; composite operators are built from these in ``mxcore/ops``.
"""

from __future__ import annotations

__all__ = ["PRIMITIVES", "PRIMITIVE_GROUPS"]

PRIMITIVE_GROUPS: dict = {
    # f(x) -> same shape and dtype
    "unary": {
        "negative": "f(x)", "abs": "f(x)", "sign": "f(x)", "exp": "f(x)", "log": "f(x)",
        "log2": "f(x)", "log10": "f(x)", "log1p": "f(x)", "expm1": "f(x)", "sqrt": "f(x)",
        "square": "f(x)", "reciprocal": "f(x)", "floor": "f(x)", "ceil": "f(x)",
        "rint": "f(x): round half to even", "trunc": "f(x)", "sin": "f(x)", "cos": "f(x)",
        "tan": "f(x)", "arcsin": "f(x)", "arccos": "f(x)", "arctan": "f(x)", "sinh": "f(x)",
        "cosh": "f(x)", "tanh": "f(x)", "arcsinh": "f(x)", "arccosh": "f(x)",
        "arctanh": "f(x)", "erf": "f(x)", "erfinv": "f(x)", "gammaln": "f(x)",
    },
    # f(x) -> bool array of the same shape
    "predicate": {"isnan": "f(x)", "isinf": "f(x)", "isfinite": "f(x)",
                  "logical_not": "f(x)"},
    # f(a, b) with NumPy broadcasting; ``b`` may be a NumPy scalar of a's dtype
    "binary": {
        "add": "f(a, b)", "subtract": "f(a, b)", "multiply": "f(a, b)",
        "divide": "f(a, b): true division; integer inputs truncate toward zero",
        "power": "f(a, b)", "maximum": "f(a, b)", "minimum": "f(a, b)",
        "mod": "f(a, b): result has the sign of b (Python's %); 0 where b == 0",
        "arctan2": "f(a, b)", "hypot": "f(a, b)",
    },
    # f(a, b) with broadcasting -> bool
    "compare": {
        "equal": "f(a, b)", "not_equal": "f(a, b)", "greater": "f(a, b)",
        "greater_equal": "f(a, b)", "less": "f(a, b)", "less_equal": "f(a, b)",
        "logical_and": "f(a, b)", "logical_or": "f(a, b)", "logical_xor": "f(a, b)",
    },
    "select": {
        "where": "f(cond, x, y): cond is bool, x and y share a dtype; broadcasting",
        "cast": "f(x, dtype): dtype is an np.dtype",
    },
    # reductions; axis is a tuple of ints or None (all axes)
    "reduce": {
        "sum": "f(x, axis, keepdims)", "prod": "f(x, axis, keepdims)",
        "max": "f(x, axis, keepdims)", "min": "f(x, axis, keepdims)",
        "argmax": "f(x, axis, keepdims): axis is an int; returns int64",
        "argmin": "f(x, axis, keepdims): axis is an int; returns int64",
        "cumsum": "f(x, axis)",
    },
    "linalg": {
        "matmul": "f(a, b): NumPy matmul rules for ndim >= 2 (batched, broadcasting batch)",
    },
    "movement": {
        "reshape": "f(x, shape): shape is a tuple of non-negative ints",
        "transpose": "f(x, axes)",
        "broadcast_to": "f(x, shape)",
        "slice": "f(x, key): key is a tuple of Python ints and slices (basic indexing)",
        "concat": "f(arrays, axis): arrays is a list with equal dtypes",
        "pad": "f(x, pad_width, mode, value): pad_width is ((before, after), ...) per axis; "
               "mode is 'constant', 'edge' or 'reflect'",
        "flip": "f(x, axes)",
        "copy": "f(x): a new contiguous array",
        "windows": "f(x, kernel, stride, dilation): x is (N, C, *spatial); returns "
                   "(N, C, *out_spatial, *kernel) with "
                   "out = (size - dilation*(kernel-1) - 1)//stride + 1",
    },
    "indexing": {
        "take": "f(x, indices, axis): indices is an int64 array already in range",
        "gather_nd": "f(x, indices): indices is int64 (M, ...) in range; "
                     "out[...] = x[indices[0][...], ..., indices[M-1][...]]",
        "scatter_add": "f(x, axis, indices, updates): returns a copy of x with updates "
                       "added at indices along axis (duplicates accumulate)",
        "scatter_nd_add": "f(x, indices, updates): returns a copy of x with updates added at "
                          "indices (layout as gather_nd; duplicates accumulate)",
        "setitem": "f(x, key, value): writes value into x in place; key is a tuple of ints, "
                   "slices and int64 arrays; value is a backend array or scalar",
        "sort": "f(x, axis, descending)",
        "argsort": "f(x, axis, descending): stable; returns int64",
    },
    "creation": {
        "full": "f(shape, value, dtype)",
        "arange": "f(start, stop, step, dtype)",
    },
    # random: rng is the object the backend's ``rng(device_id)`` returns
    "random": {
        "random_uniform": "f(rng, low, high, shape, dtype): low/high scalars or arrays",
        "random_normal": "f(rng, loc, scale, shape, dtype)",
        "random_randint": "f(rng, low, high, shape, dtype): integers in [low, high)",
        "random_gamma": "f(rng, alpha, beta, shape, dtype): beta is the scale",
        "random_poisson": "f(rng, lam, shape, dtype)",
        "random_permutation": "f(rng, n): int64 permutation of range(n)",
    },
}

#: primitive name -> one-line signature contract
PRIMITIVES: dict = {
    name: sig for group in PRIMITIVE_GROUPS.values() for name, sig in group.items()
}
