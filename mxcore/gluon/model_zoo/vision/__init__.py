"""``gluon.model_zoo.vision``: standard image-classification architectures (MXNet 1.x names).

``get_model(name, classes=..., **kwargs)`` builds any of them by name; ``pretrained=True``
raises :class:`PretrainedUnavailableError` since mxcore downloads no weights.
"""

from ._common import PretrainedUnavailableError  # noqa: F401
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
