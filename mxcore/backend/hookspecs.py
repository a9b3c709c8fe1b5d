"""The pluggy hook specification a backend package implements.

A backend package exposes a module (or object) through the ``mxcore.backends`` entry-point
group. That module implements :func:`mxcore_backends` with ``@mxcore.backend.hookimpl``.
"""

from __future__ import annotations

import pluggy

PROJECT = "mxcore"
ENTRY_POINT_GROUP = "mxcore.backends"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def mxcore_backends():
    """Return a list of :class:`mxcore.backend.Backend` instances this plugin provides.

    Called once, when mxcore first needs a backend. It must not raise when the device or a
    library is missing: return the backend anyway, with ``unavailable_reason`` set, so users see
    why it cannot run. Each returned backend is validated; a malformed one is reported with the
    plugin's name and does not prevent other backends from loading.
    """
