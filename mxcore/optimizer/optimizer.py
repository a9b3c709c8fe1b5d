"""Optimizers (mx.optimizer): SGD, NAG, Adam, ... with create/register and Updater."""

__all__: list = []
