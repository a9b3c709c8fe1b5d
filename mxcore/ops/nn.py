"""nn operators (being written)."""

AREA = "nn"
