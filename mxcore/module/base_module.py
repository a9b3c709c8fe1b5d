"""BaseModule: fit/score/predict loops shared by modules."""

__all__: list = []
