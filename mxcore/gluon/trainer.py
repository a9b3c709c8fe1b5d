"""gluon.Trainer: applies an optimizer to a set of Parameters."""

__all__: list = []
