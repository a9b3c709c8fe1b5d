"""indexing operators (being written)."""

AREA = "indexing"
