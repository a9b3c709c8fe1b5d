"""Evaluation metrics (mx.metric)."""

__all__: list = []
