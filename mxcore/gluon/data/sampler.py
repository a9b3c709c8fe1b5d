"""Samplers: SequentialSampler, RandomSampler, BatchSampler."""

__all__: list = []
