"""The examples in docstrings run (module names plus ``mx`` and ``np`` are in scope)."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import mxcore

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(mxcore.__path__, "mxcore.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs={"mx": mxcore, "np": np, **vars(module)}):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring example(s) failed in {name}"
