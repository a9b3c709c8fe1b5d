"""Block, HybridBlock, SymbolBlock-to-come: containers of layers and parameters."""

__all__: list = []
