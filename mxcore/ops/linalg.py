"""linalg operators (being written)."""

AREA = "linalg"
