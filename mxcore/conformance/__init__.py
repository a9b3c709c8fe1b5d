"""The shared conformance suite (cases per op area, runner, coverage report)."""
