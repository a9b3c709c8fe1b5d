"""shape operators (being written)."""

AREA = "shape"
