"""Parameter, Constant and ParameterDict."""

__all__: list = []
