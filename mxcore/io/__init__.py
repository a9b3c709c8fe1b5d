"""``mx.io``: data iterators and batches."""

from .bucket_iter import *  # noqa: F401,F403
from .csv_iter import *  # noqa: F401,F403
from .io import *  # noqa: F401,F403
from .libsvm import *  # noqa: F401,F403
from .ndarray_iter import *  # noqa: F401,F403
from .prefetching import *  # noqa: F401,F403
