"""``mx.mod``: the symbolic training API."""

from .base_module import *  # noqa: F401,F403
from .bucketing_module import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
