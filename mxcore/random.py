"""``mx.random``: seeding and sampling (being written)."""
