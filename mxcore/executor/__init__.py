"""Executors: a bound Symbol with its argument, gradient and auxiliary arrays."""

from .executor import *  # noqa: F401,F403
