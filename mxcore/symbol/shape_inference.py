"""Shape and dtype inference for Symbol graphs, including parameter shapes."""

__all__: list = []
