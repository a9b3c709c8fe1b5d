"""Datasets: Dataset, SimpleDataset, ArrayDataset, transforms."""

__all__: list = []
