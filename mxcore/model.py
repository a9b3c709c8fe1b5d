"""mx.model: save_checkpoint / load_checkpoint."""

__all__: list = []
