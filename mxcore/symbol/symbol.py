"""Symbol: a graph of op nodes with MXNet's JSON format."""

__all__: list = []
