"""Discovery, validation, listing and selection of backends.

Backends are found once, lazily, through the ``mxcore.backends`` entry-point group. When two
backends serve one device type the one with the highest ``priority`` wins (ties: name order);
``MXCORE_BACKEND=name[,name...]`` or :func:`use` overrides that choice per device type.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional

import pluggy

from ..base import BackendUnavailableError
from ..dtypes import DTYPES
from . import hookspecs
from .interface import Backend
from .primitives import PRIMITIVES

__all__ = ["BackendRegistry", "registry", "use", "list_backends", "get_backend", "register",
           "PACKAGE_FOR_DEVICE"]

#: which distribution to install for the first-party device types
PACKAGE_FOR_DEVICE = {"cpu": "mxcore-cpu-numpy", "gpu": "mxcore-cuda-cupy",
                      "opencl": "mxcore-opencl"}
_DTYPE_NAMES = frozenset(d.name for d in DTYPES)


class KernelNamespace:
    """Attribute access to a backend's primitive kernels, for decompositions: ``K.add(a, b)``."""

    def __init__(self, backend: Backend):
        self._backend = backend
        for name, fn in backend.kernels.items():
            if name in PRIMITIVES:
                setattr(self, name, fn)

    def __getattr__(self, name: str):
        # only reached for primitives the backend lacks
        from ..base import NotImplementedForBackend

        raise NotImplementedForBackend(
            f"{name}: primitive not implemented [backend {self._backend.name}]")


class BackendRegistry:
    """All backends found through plugins, validated, with a selection per device type."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._loaded = False
        self._backends: Dict[str, Backend] = {}
        self._errors: List[str] = []
        self._overrides: Dict[str, str] = {}
        self._selected: Dict[str, Backend] = {}
        self._plugin_of: Dict[str, str] = {}
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)

    # -- discovery ----------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            try:
                self.pm.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
            except Exception as exc:  # a plugin that fails to import must not break the core
                self._errors.append(f"loading entry points failed: {exc!r}")
            for plugin in self.pm.get_plugins():
                self._collect(plugin)
            env = os.environ.get("MXCORE_BACKEND", "")
            for name in filter(None, (n.strip() for n in env.split(","))):
                if name in self._backends:
                    self._overrides[self._backends[name].device_type] = name
                else:
                    self._errors.append(f"MXCORE_BACKEND names unknown backend {name!r}")
            self._loaded = True

    def _collect(self, plugin: Any) -> None:
        plugin_name = self.pm.get_name(plugin) or repr(plugin)
        impl = getattr(plugin, "mxcore_backends", None)
        if impl is None:
            return
        try:
            found = impl()
        except Exception as exc:
            self._errors.append(f"plugin {plugin_name}: mxcore_backends() raised {exc!r}")
            return
        if not isinstance(found, (list, tuple)):
            found = [found]
        for backend in found:
            problem = validate_backend(backend)
            if problem:
                self._errors.append(f"plugin {plugin_name}: {problem}")
                continue
            if backend.name in self._backends:
                self._errors.append(
                    f"plugin {plugin_name}: backend name {backend.name!r} already registered "
                    f"by {self._plugin_of[backend.name]}")
                continue
            self._backends[backend.name] = backend
            self._plugin_of[backend.name] = plugin_name

    def register(self, plugin: Any, name: Optional[str] = None) -> None:
        """Register a plugin object (module or instance with ``mxcore_backends``) directly."""
        self._ensure_loaded()
        with self._lock:
            self.pm.register(plugin, name=name)
            self._collect(plugin)
            self._selected.clear()

    # -- queries ------------------------------------------------------------------------
    def backends(self) -> List[Backend]:
        self._ensure_loaded()
        return list(self._backends.values())

    @property
    def errors(self) -> List[str]:
        """Problems met while loading plugins (malformed backends, import failures)."""
        self._ensure_loaded()
        return list(self._errors)

    def get(self, name: str) -> Backend:
        self._ensure_loaded()
        try:
            return self._backends[name]
        except KeyError:
            raise BackendUnavailableError(
                f"no backend named {name!r}; installed: {sorted(self._backends)}") from None

    def device_types(self) -> List[str]:
        return sorted({b.device_type for b in self.backends()})

    def list(self) -> List[dict]:
        """One row per backend: name, device type, version, availability, kernel count."""
        rows = []
        for b in self.backends():
            rows.append({
                "name": b.name, "device_type": b.device_type, "version": b.version,
                "priority": b.priority, "available": b.available,
                "reason": b.unavailable_reason, "kernels": len(b.kernels),
                "selected": self._selected.get(b.device_type) is b,
            })
        return rows

    # -- selection ----------------------------------------------------------------------
    def use(self, name: str) -> Backend:
        """Make backend ``name`` the one used for its device type."""
        backend = self.get(name)
        if not backend.available:
            raise BackendUnavailableError(
                f"backend {name} is unavailable: {backend.unavailable_reason}")
        with self._lock:
            self._overrides[backend.device_type] = name
            self._selected[backend.device_type] = backend
        _notify_selection_changed()
        return backend

    def for_device(self, device_type: str) -> Backend:
        """The backend serving ``device_type``: the override, else highest priority."""
        try:
            return self._selected[device_type]
        except KeyError:
            pass
        self._ensure_loaded()
        with self._lock:
            override = self._overrides.get(device_type)
            if override is not None:
                chosen = self._backends[override]
            else:
                candidates = sorted(
                    (b for b in self._backends.values()
                     if b.device_type == device_type and b.available),
                    key=lambda b: (-b.priority, b.name))
                if not candidates:
                    raise BackendUnavailableError(self._why_none(device_type))
                chosen = candidates[0]
            self._selected[device_type] = chosen
            return chosen

    def _why_none(self, device_type: str) -> str:
        serving = [b for b in self._backends.values() if b.device_type == device_type]
        if serving:
            reasons = "; ".join(f"{b.name}: {b.unavailable_reason}" for b in serving)
            return f"no available backend for device type {device_type!r} ({reasons})"
        package = PACKAGE_FOR_DEVICE.get(device_type)
        hint = f"install {package!r} (pip install {package})" if package else \
            "install a backend package that serves it"
        return (f"no backend is installed for device type {device_type!r}: {hint}. "
                f"Installed backends: {sorted(self._backends) or 'none'}")


def validate_backend(backend: Any) -> Optional[str]:
    """Return a description of what is wrong with ``backend``, or None."""
    if not isinstance(backend, Backend):
        return f"{backend!r} is not an mxcore.backend.Backend"
    name = backend.name
    if not isinstance(name, str) or not name.isidentifier():
        return f"backend name {name!r} must be a non-empty identifier"
    if not isinstance(backend.device_type, str) or not backend.device_type.isidentifier():
        return f"backend {name}: device_type {backend.device_type!r} must be an identifier"
    unknown = set(backend.dtypes) - _DTYPE_NAMES
    if unknown:
        return f"backend {name}: unknown dtypes {sorted(unknown)}"
    if not hasattr(backend.kernels, "items"):
        return f"backend {name}: kernels must be a mapping"
    from ..ops.registry import OPS

    for key, fn in backend.kernels.items():
        if not isinstance(key, str) or (key not in PRIMITIVES and key not in OPS):
            return (f"backend {name}: kernel key {key!r} is neither a primitive nor a "
                    f"registered operator")
        if not callable(fn):
            return f"backend {name}: kernel {key!r} is not callable"
    return None


_REGISTRY = BackendRegistry()
_listeners: List[Callable[[], None]] = []


def _notify_selection_changed() -> None:
    for fn in _listeners:
        fn()


def on_selection_change(fn: Callable[[], None]) -> None:
    """Call ``fn`` whenever a backend selection changes (contexts drop cached backends)."""
    _listeners.append(fn)


def registry() -> BackendRegistry:
    return _REGISTRY


def use(name: str) -> Backend:
    """Select backend ``name`` for its device type (``mx.backend.use('cpu_numpy')``)."""
    return _REGISTRY.use(name)


def list_backends() -> List[dict]:
    return _REGISTRY.list()


def get_backend(device_type: str) -> Backend:
    return _REGISTRY.for_device(device_type)


def register(plugin: Any, name: Optional[str] = None) -> None:
    """Register a backend plugin object without an entry point (tests, notebooks)."""
    _REGISTRY.register(plugin, name)
    _notify_selection_changed()
