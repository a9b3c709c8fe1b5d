"""``mx.random``: seeding and sampling (the samplers are those of ``mx.nd.random``).

``seed(seed_state, ctx='all')`` resets the random state of one device, or of every device of
every available backend. Each device gets its own stream derived from ``seed_state`` and its
id, so ``cpu(0)`` and ``cpu(1)`` do not repeat each other, and seeding one device alone gives
it the same stream as seeding all.

Example::

    >>> import mxcore as mx
    >>> mx.random.seed(7)
    >>> a = mx.random.uniform(shape=(3,)).asnumpy()
    >>> mx.random.seed(7)
    >>> bool((a == mx.random.uniform(shape=(3,)).asnumpy()).all())
    True
"""

from __future__ import annotations

import numbers
from typing import Iterator, Tuple, Union

from .backend.registry import registry
from .base import MXNetValueError
from .context import Context, _maybe_ctx
from .ndarray.random import (
    exponential,
    gamma,
    generalized_negative_binomial,
    multinomial,
    negative_binomial,
    normal,
    poisson,
    randint,
    randn,
    shuffle,
    uniform,
)

__all__ = ["seed", "uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
           "negative_binomial", "generalized_negative_binomial", "multinomial", "shuffle"]

_MASK64 = (1 << 64) - 1
_HOST_ALIASES = {"cpu_pinned": "cpu", "cpu_shared": "cpu"}


def device_seed(seed_state: int, device_id: int) -> int:
    """The seed a device gets: ``seed_state`` itself for device 0, a mix for the others."""
    value = seed_state & _MASK64
    if device_id:
        value = (value + device_id * 0x9E3779B97F4A7C15) & _MASK64  # golden-ratio stride
        value ^= value >> 31
    return value


def _all_devices() -> Iterator[Tuple[object, int]]:
    """(backend, device id) for every available backend: all its devices when it can count
    them, else device 0 and every id a context has been created for."""
    interned = list(Context._interned)
    for backend in registry().backends():
        if not backend.available:
            continue
        count = backend.device_count()
        if count is not None:
            ids = range(count)
        else:
            ids = sorted({0} | {i for t, i in interned
                                if _HOST_ALIASES.get(t, t) == backend.device_type})
        for device_id in ids:
            yield backend, device_id


def seed(seed_state: int, ctx: Union[str, Context] = "all") -> None:
    """Seed the random number generators of ``ctx`` (a Context) or of all devices."""
    if isinstance(seed_state, bool) or not isinstance(seed_state, numbers.Integral):
        raise MXNetValueError(f"seed: seed_state must be an int, got "
                              f"{type(seed_state).__name__}")
    seed_state = int(seed_state)
    if isinstance(ctx, str) and ctx == "all":
        for backend, device_id in _all_devices():
            try:
                backend.seed(device_seed(seed_state, device_id), device_id)
            except NotImplementedError:
                continue  # a backend without random state has nothing to seed
        return
    context = _maybe_ctx(ctx)
    context.backend.seed(device_seed(seed_state, context.device_id), context.device_id)
