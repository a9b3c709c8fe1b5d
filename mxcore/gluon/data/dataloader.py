"""DataLoader with batchify functions and worker processes."""

__all__: list = []
