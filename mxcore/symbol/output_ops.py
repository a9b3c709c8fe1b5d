"""Output heads as Symbol-level helpers (the ops live in mxcore/ops/output.py)."""

__all__: list = []
