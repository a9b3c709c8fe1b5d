"""SparseEmbedding: an Embedding whose weight is a row_sparse Parameter (MXNet 1.x
``gluon.contrib.nn.SparseEmbedding``).

The full weight lives in the Trainer's kvstore; every forward pass pulls only the rows its
input names (``weight.row_sparse_data(x)``) and the weight gradient is row_sparse with one row
per distinct index, so memory and update cost follow the batch, not the vocabulary.
``nd.Embedding`` reads a row_sparse weight directly (a sparse kernel), and autograd sends its
row_sparse gradient to the Parameter's gradient buffer.
"""

from __future__ import annotations

from typing import Any

from .... import ndarray as nd
from ....base import MXNetValueError
from ....ndarray import NDArray
from ...block import Block

__all__ = ["SparseEmbedding"]


class SparseEmbedding(Block):
    """Maps integer indices to rows of a row_sparse ``weight`` (shape ``(input_dim,
    output_dim)``) with a row_sparse gradient; train it with a ``gluon.Trainer`` (with a
    kvstore, which holds the full weight and applies lazy updates).

    Example::

        >>> import mxcore as mx
        >>> emb = mx.gluon.contrib.nn.SparseEmbedding(10, 2)
        >>> emb.initialize()
        >>> trainer = mx.gluon.Trainer(emb.collect_params(), "sgd")
        >>> emb(mx.nd.array([1, 7])).shape
        (2, 2)
    """

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(input_dim) < 1 or int(output_dim) < 1:
            raise MXNetValueError(f"SparseEmbedding: input_dim and output_dim must be >= 1, "
                                  f"got {input_dim} and {output_dim}")
        self._kwargs = {"input_dim": int(input_dim), "output_dim": int(output_dim),
                        "dtype": dtype, "sparse_grad": True}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      grad_stype="row_sparse", stype="row_sparse")

    def forward(self, x: NDArray) -> NDArray:
        weight = self.weight.row_sparse_data(x)
        return nd.Embedding(x, weight, **self._kwargs)

    def __repr__(self) -> str:
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"
