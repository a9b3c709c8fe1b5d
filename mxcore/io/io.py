"""mx.io: DataDesc, DataBatch, DataIter, NDArrayIter, ResizeIter, PrefetchingIter, CSVIter."""

__all__: list = []
