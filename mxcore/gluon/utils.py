"""gluon.utils: split_data, split_and_load, clip_global_norm."""

__all__: list = []
