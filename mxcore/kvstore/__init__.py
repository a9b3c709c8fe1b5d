"""``mx.kv`` / ``mx.kvstore``: key-value stores that aggregate gradients across devices
(``local``, ``device``, ``nccl``) and processes (``dist_sync``, ``dist_async`` on MPI)."""

from .base import KVStoreBase, MXNetKVStoreError
from .compression import TwoBitCompression
from .factory import KVSTORE_TYPES, create, is_distributed

#: MXNet's class name for a store
KVStore = KVStoreBase

__all__ = ["create", "KVStore", "KVStoreBase", "MXNetKVStoreError", "TwoBitCompression",
           "KVSTORE_TYPES", "is_distributed"]
