"""model_zoo.vision: standard architectures and get_model."""

__all__: list = []
