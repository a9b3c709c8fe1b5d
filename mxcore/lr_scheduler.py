"""Learning-rate schedulers (mx.lr_scheduler)."""

__all__: list = []
