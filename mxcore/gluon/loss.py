"""gluon.loss: loss functions as HybridBlocks."""

__all__: list = []
