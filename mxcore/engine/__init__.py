"""Engines: ``NaiveEngine`` (synchronous) and ``ThreadedEngine`` (asynchronous).

``MXNET_ENGINE_TYPE`` selects one at import (``NaiveEngine`` or ``ThreadedEngine``;
MXNet's ``ThreadedEnginePerDevice`` maps to ``ThreadedEngine``). The default is
``NaiveEngine``: on the NumPy CPU backend the dispatch benchmark (``bench/``) shows it is
faster, because per-op work is too small to pay for a thread hand-off.
"""

from __future__ import annotations

import os
from typing import Union

from ..base import MXNetValueError
from .base import Engine
from .naive import NaiveEngine
from .threaded import ThreadedEngine

__all__ = ["Engine", "NaiveEngine", "ThreadedEngine", "get", "set_engine"]

_ENGINES = {"NaiveEngine": NaiveEngine, "ThreadedEngine": ThreadedEngine,
            "ThreadedEnginePerDevice": ThreadedEngine, "ThreadedEnginePooled": ThreadedEngine}


class _Current:
    engine: Engine = NaiveEngine()
    is_async = False


def _create(name: str) -> Engine:
    try:
        return _ENGINES[name]()
    except KeyError:
        raise MXNetValueError(
            f"unknown engine {name!r}; choose one of {sorted(_ENGINES)}") from None


def get() -> Engine:
    """The engine in use."""
    return _Current.engine


def set_engine(engine: Union[str, Engine]) -> Engine:
    """Switch engines (waits for all pending work first). Returns the previous engine."""
    previous = _Current.engine
    previous.wait_all()
    new = _create(engine) if isinstance(engine, str) else engine
    _Current.engine = new
    _Current.is_async = bool(new.is_async)
    return previous


set_engine(os.environ.get("MXNET_ENGINE_TYPE", "NaiveEngine"))
