"""``mx.gluon``: the imperative high-level API (blocks, layers, losses, Trainer, data)."""

from .. import metric  # noqa: F401  (mx.gluon.metric is mx.metric)
from . import contrib, data, loss, model_zoo, nn, rnn, utils  # noqa: F401
from .block import *  # noqa: F401,F403
from .parameter import *  # noqa: F401,F403
from .parameter_dict import *  # noqa: F401,F403
from .trainer import *  # noqa: F401,F403
