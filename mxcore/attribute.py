"""mx.AttrScope: attributes attached to symbols created in a scope."""

__all__: list = []
