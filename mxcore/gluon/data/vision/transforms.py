"""Vision transforms: Compose, Cast, ToTensor, Normalize, Resize, crops, flips."""

__all__: list = []
