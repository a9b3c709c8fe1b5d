"""``mx.model``: checkpoints as MXNet 1.x writes them, and the callbacks' ``BatchEndParam``.

A checkpoint is two files: ``prefix-symbol.json`` (the graph, :meth:`Symbol.save`) and
``prefix-%04d.params`` (``mx.nd.save`` of a dict whose keys are ``arg:<name>`` for arguments
and ``aux:<name>`` for auxiliary states), so MXNet 1.x reads ours and we read its.

Example::

    >>> import os, tempfile
    >>> import mxcore as mx
    >>> prefix = os.path.join(tempfile.mkdtemp(), 'net')
    >>> mx.model.save_checkpoint(prefix, 3, None, {'w': mx.nd.ones((2,))}, {})
    >>> args, auxs = mx.model.load_params(prefix, 3)
    >>> args['w'].asnumpy().tolist(), auxs
    ([1.0, 1.0], {})
"""

from __future__ import annotations

import logging
from collections import namedtuple
from typing import Any, Dict, Optional, Tuple

from . import ndarray as nd
from .base import MXNetTypeError, MXNetValueError
from .context import cpu
from .ndarray.ndarray import NDArray

__all__ = ["BatchEndParam", "save_checkpoint", "load_checkpoint", "load_params"]

#: what ``batch_end_callback`` and ``eval_end_callback`` receive: the epoch, the batch count,
#: the metric and the caller's ``locals()``
BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])

ParamDicts = Tuple[Dict[str, NDArray], Dict[str, NDArray]]


def _params_file(prefix: str, epoch: int) -> str:
    return "%s-%04d.params" % (prefix, epoch)


def _check_dict(who: str, what: str, params: Any) -> Dict[str, NDArray]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise MXNetTypeError(f"{who}: {what} must be a dict of name -> NDArray, got "
                             f"{type(params).__name__}")
    for name, value in params.items():
        if not isinstance(value, NDArray):
            raise MXNetTypeError(f"{who}: {what}[{name!r}] must be an NDArray, got "
                                 f"{type(value).__name__}")
    return params


def save_params_file(fname: str, arg_params: Optional[Dict[str, NDArray]],
                     aux_params: Optional[Dict[str, NDArray]], who: str = "save_params") -> None:
    """Write ``arg_params``/``aux_params`` to ``fname`` with ``arg:``/``aux:`` key prefixes
    (arrays are copied to the CPU first)."""
    arg_params = _check_dict(who, "arg_params", arg_params)
    aux_params = _check_dict(who, "aux_params", aux_params)
    save_dict = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
    save_dict.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
    nd.save(fname, save_dict)


def split_params(loaded: Any, source: str) -> ParamDicts:
    """Split a loaded ``{'arg:x': ..., 'aux:y': ...}`` dict into (arg_params, aux_params)."""
    if not isinstance(loaded, dict):
        raise MXNetValueError(f"load_params: {source} holds a list of arrays, not the "
                              "'arg:'/'aux:' keyed dict a checkpoint holds")
    arg_params: Dict[str, NDArray] = {}
    aux_params: Dict[str, NDArray] = {}
    for key, value in loaded.items():
        kind, sep, name = key.partition(":")
        if not sep or kind not in ("arg", "aux"):
            raise MXNetValueError(f"load_params: {source} has key {key!r}; checkpoint keys "
                                  "start with 'arg:' or 'aux:'")
        (arg_params if kind == "arg" else aux_params)[name] = value
    return arg_params, aux_params


def save_checkpoint(prefix: str, epoch: int, symbol: Any, arg_params: Dict[str, NDArray],
                    aux_params: Dict[str, NDArray], remove_amp_cast: bool = True) -> None:
    """Write ``prefix-symbol.json`` (unless ``symbol`` is None) and ``prefix-%04d.params``.

    ``remove_amp_cast`` is accepted for MXNet compatibility (there are no AMP casts here).
    """
    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json")
    param_name = _params_file(prefix, epoch)
    save_params_file(param_name, arg_params, aux_params, who="save_checkpoint")
    logging.info('Saved checkpoint to "%s"', param_name)


def load_params(prefix: str, epoch: int) -> ParamDicts:
    """(arg_params, aux_params) from ``prefix-%04d.params``."""
    fname = _params_file(prefix, epoch)
    return split_params(nd.load(fname), fname)


def load_checkpoint(prefix: str, epoch: int) -> Tuple[Any, Dict[str, NDArray],
                                                       Dict[str, NDArray]]:
    """(symbol, arg_params, aux_params) from what :func:`save_checkpoint` wrote."""
    from . import symbol as sym

    symbol = sym.load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params
