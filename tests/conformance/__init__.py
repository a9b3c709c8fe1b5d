"""The conformance suite's pytest front end (a package, so its test_<area>.py modules do not
clash with tests/unit/test_<area>.py)."""
