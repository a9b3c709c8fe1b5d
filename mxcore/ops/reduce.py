"""reduce operators (being written)."""

AREA = "reduce"
