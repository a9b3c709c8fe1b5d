"""Initialise a symbol's parameters by the role they play, not only by their names.

MXNet 1.x picks a parameter's fill from its name's suffix (``fc1_weight`` -> the weight
distribution, ``fc1_bias`` -> zeros), so a variable called ``w`` fed to ``FullyConnected``
fails to initialise. Here the input slot a variable feeds (``weight``, ``bias``, ``gamma`` ...
of the consuming op) decides when the name does not already say the same thing.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Set

from ..initializer import _SUFFIX_RULES, Initializer

__all__ = ["role_init_attrs", "label_variables"]

# input slot name -> how it is filled
_ROLE_FILL = {
    "weight": "weight",
    "bias": "zero",
    "gamma": "one",
    "beta": "zero",
    "moving_mean": "zero",
    "moving_var": "one",
    "moving_inv_var": "zero",
    "moving_avg": "zero",
}

# what each suffix rule of the initializers fills with
_METHOD_FILL = {
    "_init_weight": "weight",
    "_init_bias": "zero",
    "_init_beta": "zero",
    "_init_zero": "zero",
    "_init_gamma": "one",
    "_init_one": "one",
}


def _fill_by_name(name: str) -> Optional[str]:
    for suffix, method in _SUFFIX_RULES:
        if name.endswith(suffix):
            return _METHOD_FILL.get(method)
    return None


def _roles(symbol: Any) -> Dict[str, Set[str]]:
    """Variable name -> the fills of the op inputs it feeds."""
    roles: Dict[str, Set[str]] = {}
    for node in symbol._topo():
        if node.op is None:
            continue
        for (child, _), slot in zip(node.inputs, node.input_names()):
            fill = _ROLE_FILL.get(slot)
            if child.op is None and fill is not None:
                roles.setdefault(child.name, set()).add(fill)
    return roles


def label_variables(symbol: Any) -> Set[str]:
    """Names of the variables fed to an op's ``label`` input (an output head's label): inputs
    of the module even when not listed in ``label_names``, never parameters."""
    names: Set[str] = set()
    for node in symbol._topo():
        if node.op is None:
            continue
        for (child, _), slot in zip(node.inputs, node.input_names()):
            if child.op is None and slot == "label":
                names.add(child.name)
    return names


def role_init_attrs(symbol: Any, initializer: Any) -> Dict[str, Any]:
    """Name -> the ``__init__`` attribute to give the parameter, for parameters whose role
    disagrees with (or is not stated by) their name: ``'zeros'``/``'ones'``, or
    ``initializer`` itself for a weight. Parameters with one role only."""
    hints: Dict[str, Any] = {}
    for name, fills in _roles(symbol).items():
        if len(fills) != 1:
            continue
        fill = next(iter(fills))
        if _fill_by_name(name) == fill:
            continue
        if fill == "weight":
            if isinstance(initializer, Initializer):
                hints[name] = initializer
        else:
            hints[name] = "zeros" if fill == "zero" else "ones"
    return hints
