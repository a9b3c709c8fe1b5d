"""Conformance cases for :mod:`mxcore.ops.random`.

Random cases (``random=True``) get the op's outputs (float64 copies) and return True when the
sample's statistics are plausible: the mean within 5 standard errors of the true mean, the
standard deviation within 10% of the true one, and the support (range, integrality) right.
Samples have ~10000 elements, so a correct backend fails a check with negligible probability
(the runner also seeds the device, so a run is reproducible).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Sequence

import numpy as np

from .case import FLOATS, INTS, Case, ErrorCase, Input

_N = (100, 100)


# -- statistics helpers ------------------------------------------------------------------------
def _moments(x: np.ndarray, mean: float, std: float, what: str = "sample") -> str:
    """'' when mean and std are plausible for ``x``, else the problem."""
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size < 100:
        return f"{what}: only {x.size} values"
    if not np.all(np.isfinite(x)):
        return f"{what}: non-finite values"
    se = std / math.sqrt(x.size)
    got_mean, got_std = float(x.mean()), float(x.std())
    if abs(got_mean - mean) > 5 * se + 1e-3 * abs(mean):
        return f"{what}: mean {got_mean:.4g}, expected {mean:.4g} (standard error {se:.3g})"
    if abs(got_std - std) > 0.1 * std:
        return f"{what}: std {got_std:.4g}, expected {std:.4g}"
    return ""


def _integral(x: np.ndarray, low: float = -math.inf, high: float = math.inf) -> str:
    if not np.all(x == np.round(x)):
        return "values are not integers"
    if x.size and (x.min() < low or x.max() > high):
        return f"values outside [{low}, {high}]: min {x.min()}, max {x.max()}"
    return ""


def _first(problems: Sequence[str]) -> Any:
    for p in problems:
        if p:
            return p
    return True


# -- distributions: (mean, std) and support checks from scalar parameters ---------------------
def _uniform_stats(low: float, high: float):
    return (low + high) / 2, (high - low) / math.sqrt(12)


def _uniform_support(x, low, high):
    if x.size and (x.min() < low or x.max() > high):
        return f"values outside [{low}, {high}): min {x.min()}, max {x.max()}"
    return ""


def _gnb_stats(mu, alpha):
    return mu, math.sqrt(mu + alpha * mu * mu)


DISTRIBUTIONS: Dict[str, tuple] = {
    # name: (param names, params for cases, (mean, std) from params, support check)
    "uniform": (("low", "high"), (-1.0, 3.0), _uniform_stats, _uniform_support),
    "normal": (("loc", "scale"), (2.0, 0.5), lambda m, s: (m, s), lambda x, m, s: ""),
    "gamma": (("alpha", "beta"), (2.5, 0.8), lambda a, b: (a * b, math.sqrt(a) * b),
              lambda x, a, b: "" if x.min() >= 0 else "negative values"),
    "exponential": (("lam",), (4.0,), lambda lam: (1 / lam, 1 / lam),
                    lambda x, lam: "" if x.min() >= 0 else "negative values"),
    "poisson": (("lam",), (3.5,), lambda lam: (lam, math.sqrt(lam)),
                lambda x, lam: _integral(x, 0)),
    "negative_binomial": (("k", "p"), (3, 0.4),
                          lambda k, p: (k * (1 - p) / p, math.sqrt(k * (1 - p)) / p),
                          lambda x, k, p: _integral(x, 0)),
    "generalized_negative_binomial": (("mu", "alpha"), (2.0, 0.3), _gnb_stats,
                                      lambda x, mu, alpha: _integral(x, 0)),
}

# per-row parameters for the _sample_* cases (two distributions each)
SAMPLE_PARAMS: Dict[str, Sequence[Sequence[float]]] = {
    "uniform": ([0.0, 10.0], [1.0, 20.0]),
    "normal": ([-3.0, 5.0], [1.0, 0.25]),
    "gamma": ([1.0, 4.0], [2.0, 0.5]),
    "exponential": ([1.0, 0.2],),
    "poisson": ([0.5, 8.0],),
    "negative_binomial": ([2.0, 5.0], [0.5, 0.8]),
    "generalized_negative_binomial": ([1.5, 4.0], [0.0, 0.5]),
}


def _scalar_check(dist: str, params: Sequence[float]) -> Callable[..., Any]:
    _, _, stats, support = DISTRIBUTIONS[dist]

    def reference(out, *rest, **attrs):
        x = np.asarray(out, dtype=np.float64)
        mean, std = stats(*params)
        return _first([support(x, *params), _moments(x, mean, std)])

    return reference


def _rows_check(dist: str, rows: Sequence[Sequence[float]]) -> Callable[..., Any]:
    _, _, stats, support = DISTRIBUTIONS[dist]

    def reference(out, *rest, **attrs):
        x = np.asarray(out, dtype=np.float64)
        n_dist = len(rows[0])
        if x.shape[0] != n_dist:
            return f"output shape {x.shape}, expected {n_dist} rows"
        problems = []
        for i in range(n_dist):
            params = [r[i] for r in rows]
            mean, std = stats(*params)
            problems += [support(x[i], *params), _moments(x[i], mean, std, f"row {i}")]
        return _first(problems)

    return reference


CASES: list = []
for _dist, (_names, _params, _, _) in DISTRIBUTIONS.items():
    _attrs = dict(zip(_names, _params))
    CASES.append(Case(f"_random_{_dist}", [], _scalar_check(_dist, _params),
                      attrs=dict(_attrs, shape=_N), random=True, grad=False))
    CASES.append(Case(f"random_{_dist}", [], _scalar_check(_dist, _params),
                      attrs=dict(_attrs, shape=_N), dtypes=("float32",), random=True,
                      grad=False, name="alias"))
    CASES.append(Case(f"_random_{_dist}_like", [Input(_N)], _scalar_check(_dist, _params),
                      attrs=_attrs, random=True, grad=False))
    _rows = SAMPLE_PARAMS[_dist]
    CASES.append(Case(f"_sample_{_dist}",
                      [Input((len(r),), values=r, dtype="float64") for r in _rows],
                      _rows_check(_dist, _rows), attrs={"shape": (10000,)}, random=True,
                      grad=False))
    CASES.append(Case(f"sample_{_dist}",
                      [Input((len(r),), values=r, dtype="float32") for r in _rows],
                      _rows_check(_dist, _rows), attrs={"shape": (10000,)},
                      dtypes=("float32",), random=True, grad=False, name="alias"))

CASES += [
    Case("uniform", [], _scalar_check("uniform", (-1.0, 3.0)),
         attrs={"low": -1.0, "high": 3.0, "shape": _N}, dtypes=("float32",), random=True,
         grad=False, name="alias"),
    Case("normal", [], _scalar_check("normal", (2.0, 0.5)),
         attrs={"loc": 2.0, "scale": 0.5, "shape": _N}, dtypes=("float32",), random=True,
         grad=False, name="alias"),
    Case("_random_uniform", [], _scalar_check("uniform", (0.0, 1.0)),
         attrs={"shape": (10000,)}, dtypes=("float32",), random=True, grad=False,
         name="defaults"),
    Case("_random_uniform", [], lambda out, **a: out.shape == (4, 0, 3) or str(out.shape),
         attrs={"shape": (4, 0, 3)}, dtypes=("float32",), random=True, grad=False,
         name="zero-size"),
    Case("_random_normal", [], lambda out, **a: out.shape == (1,) or str(out.shape),
         attrs={"shape": ()}, dtypes=("float32",), random=True, grad=False,
         name="no shape gives (1,)"),
]


# -- randint -----------------------------------------------------------------------------------
def _randint_check(low: int, high: int) -> Callable[..., Any]:
    def reference(out, **attrs):
        x = np.asarray(out, dtype=np.float64).ravel()
        problem = _integral(x, low, high - 1)
        if problem:
            return problem
        k = high - low
        p = 1.0 / k
        se = math.sqrt(p * (1 - p) / x.size)
        for v in range(low, high):
            freq = float(np.mean(x == v))
            if abs(freq - p) > 5 * se:
                return f"value {v} has frequency {freq:.4f}, expected {p:.4f}"
        return True

    return reference


CASES += [
    Case("_random_randint", [], _randint_check(-3, 5), attrs={"low": -3, "high": 5,
                                                            "shape": _N},
         dtypes=("int32", "int64"), random=True, grad=False),
    Case("random_randint", [], _randint_check(0, 2), attrs={"low": 0, "high": 2,
                                                           "shape": (10000,)},
         dtypes=("int32",), random=True, grad=False, name="alias"),
    Case("_random_randint", [], _randint_check(2 ** 40, 2 ** 40 + 3),
         attrs={"low": 2 ** 40, "high": 2 ** 40 + 3, "shape": (10000,)},
         dtypes=("int64",), random=True, grad=False, name="beyond int32"),
]


# -- multinomial -------------------------------------------------------------------------------
_PROBS = [[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.3, 0.0]]


def _frequencies(idx: np.ndarray, probs: Sequence[float], what: str) -> str:
    idx = np.asarray(idx, dtype=np.float64).ravel()
    problem = _integral(idx, 0, len(probs) - 1)
    if problem:
        return f"{what}: {problem}"
    for k, p in enumerate(probs):
        freq = float(np.mean(idx == k))
        se = math.sqrt(max(p * (1 - p), 1e-12) / idx.size)
        if abs(freq - p) > 5 * se + 1e-9:
            return f"{what}: category {k} has frequency {freq:.4f}, expected {p:.4f}"
    return ""


def _multinomial_check(probs: Sequence[Sequence[float]], get_prob: bool = False):
    def reference(idx, logp=None, **attrs):
        if idx.shape[0] != len(probs):
            return f"output shape {idx.shape}, expected {len(probs)} rows"
        problems = [_frequencies(idx[i], probs[i], f"row {i}") for i in range(len(probs))]
        if get_prob:
            if logp is None or logp.shape != idx.shape:
                return "missing or misshaped log-probability output"
            p = np.asarray(probs, dtype=np.float64)
            want = np.log(np.take_along_axis(p, idx.astype(np.int64), axis=1))
            if not np.allclose(logp, want, rtol=2e-3, atol=2e-3):
                return "log-probabilities differ from log(p[index])"
        return _first(problems)

    return reference


def _multinomial_1d(idx, **attrs):
    return _first([_frequencies(idx, _PROBS[0], "samples"),
                   "" if idx.shape == (10000,) else f"shape {idx.shape}"])


def _multinomial_1d_default(idx, **attrs):
    return idx.shape == (1,) or f"shape {idx.shape}, expected (1,)"


CASES += [
    Case("_sample_multinomial", [Input((2, 4), values=_PROBS)], _multinomial_check(_PROBS),
         attrs={"shape": (10000,), "dtype": "int32"}, random=True, grad=False),
    Case("_sample_multinomial", [Input((2, 4), values=_PROBS)],
         _multinomial_check(_PROBS, get_prob=True),
         attrs={"shape": (10000,), "get_prob": True, "dtype": "int32"}, random=True,
         grad=False, name="get_prob"),
    Case("_sample_multinomial", [Input((2, 4), values=_PROBS)], _multinomial_check(_PROBS),
         attrs={"shape": (100, 100), "dtype": "float32"}, random=True, grad=False,
         name="float indices, 2-D shape",
         call=lambda nd, x, **a: nd._sample_multinomial(x, **a).reshape((2, 10000))),
    Case("_sample_multinomial", [Input((4,), values=_PROBS[0])], _multinomial_1d,
         attrs={"shape": (10000,), "dtype": "int64"}, random=True, grad=False,
         name="1-D data"),
    Case("_sample_multinomial", [Input((4,), values=_PROBS[0])], _multinomial_1d_default,
         attrs={"dtype": "int32"}, dtypes=("float32",), random=True, grad=False,
         name="1-D data, one draw"),
    Case("sample_multinomial", [Input((2, 4), values=_PROBS)], _multinomial_check(_PROBS),
         attrs={"shape": (10000,), "dtype": "int32"}, dtypes=("float32",), random=True,
         grad=False, name="alias"),
]


# -- shuffle -----------------------------------------------------------------------------------
def _shuffle_check(values: np.ndarray) -> Callable[..., Any]:
    def reference(out, **attrs):
        out = np.asarray(out, dtype=np.float64)
        want = np.asarray(values, dtype=np.float64)
        if out.shape != want.shape:
            return f"shape {out.shape}, expected {want.shape}"
        flat_out = out.reshape(out.shape[0], -1)
        flat_want = want.reshape(want.shape[0], -1)
        if sorted(map(tuple, flat_out)) != sorted(map(tuple, flat_want)):
            return "the output is not a permutation of the input's rows"
        if np.array_equal(out, want):
            return "the rows were not shuffled"
        return True

    return reference


_V1 = np.arange(100)
_V2 = np.arange(120).reshape(40, 3)
CASES += [
    Case("_shuffle", [Input((100,), values=_V1)], _shuffle_check(_V1), dtypes=FLOATS + INTS,
         random=True, grad=False),
    Case("_shuffle", [Input((40, 3), values=_V2)], _shuffle_check(_V2),
         dtypes=FLOATS + INTS, random=True, grad=False, name="rows"),
    Case("_shuffle", [Input((40, 3), values=_V2, noncontiguous=True)], _shuffle_check(_V2),
         dtypes=("float32",), random=True, grad=False, name="non-contiguous"),
    Case("shuffle", [Input((100,), values=_V1)], _shuffle_check(_V1), dtypes=("float32",),
         random=True, grad=False, name="alias"),
]


# -- invalid input -------------------------------------------------------------------------------
ERROR_CASES: list = [
    ErrorCase("_random_uniform", [], {"low": 2.0, "high": 1.0, "shape": (2,)},
              name="low > high"),
    ErrorCase("_random_uniform", [], {"shape": (2, -1)}, name="negative dim"),
    ErrorCase("_random_uniform", [], {"shape": (2,), "dtype": "int32"}, name="int dtype"),
    ErrorCase("_random_normal", [], {"scale": -1.0, "shape": (2,)}, name="negative scale"),
    ErrorCase("_random_gamma", [], {"alpha": 0.0, "shape": (2,)}, name="alpha 0"),
    ErrorCase("_random_gamma", [], {"beta": -1.0, "shape": (2,)}, name="negative beta"),
    ErrorCase("_random_exponential", [], {"lam": 0.0, "shape": (2,)}, name="lam 0"),
    ErrorCase("_random_poisson", [], {"lam": -1.0, "shape": (2,)}, name="negative lam"),
    ErrorCase("_random_negative_binomial", [], {"k": 2, "p": 1.5, "shape": (2,)},
              name="p > 1"),
    ErrorCase("_random_generalized_negative_binomial", [], {"alpha": -1.0, "shape": (2,)},
              name="negative alpha"),
    ErrorCase("_random_randint", [], {"low": 5, "high": 5, "shape": (2,)}, name="empty range"),
    ErrorCase("_random_randint", [], {"low": 0, "high": 2 ** 40, "shape": (2,),
                                      "dtype": "int32"}, name="range beyond int32"),
    ErrorCase("_random_randint", [], {"low": 0, "high": 5, "shape": (2,),
                                      "dtype": "float32"}, name="float dtype"),
    ErrorCase("_sample_uniform", [Input((2,)), Input((3,))], name="parameter shapes differ"),
    ErrorCase("_sample_normal", [Input((2,)), Input((2,))], {"shape": (-1,)},
              name="negative dim"),
    ErrorCase("_sample_multinomial", [Input(())], name="0-d data"),
    ErrorCase("_sample_multinomial", [Input((2, 0))], name="no categories"),
    ErrorCase("_sample_multinomial", [Input((2, 3), low=0.1, high=1.0)], {"dtype": "bool"},
              name="bool indices"),
    ErrorCase("_random_uniform_like", [Input((2, 2))], {"low": 1.0, "high": 0.0},
              name="like: low > high"),
]
