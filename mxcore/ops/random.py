"""random operators (being written)."""

AREA = "random"
