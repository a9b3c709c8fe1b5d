"""pytest front end of the conformance suite.

Each ``test_<area>.py`` parametrizes one test over the items of
``mxcore/conformance/cases_<area>.py``; the ``conformance`` fixture runs an item on the
backend chosen with ``--backend`` and turns its status into a pytest outcome: ``fail`` fails,
``not implemented`` and ``unsupported`` skip with the reason (never pass), and a backend that
cannot run here skips every test with the reason.
"""

import pytest

from mxcore.base import BackendUnavailableError
from mxcore.conformance.runner import (
    FAIL,
    NOT_IMPLEMENTED,
    UNSUPPORTED,
    BackendNotInstalled,
    Runner,
)


@pytest.fixture(scope="session")
def conformance_runner(request):
    """The runner for ``--backend`` (skips when its device is absent)."""
    name = request.config.getoption("--backend")
    try:
        return Runner(name)
    except BackendNotInstalled as exc:
        pytest.fail(f"--backend {name}: {exc}", pytrace=False)
    except BackendUnavailableError as exc:
        pytest.skip(f"backend {name} cannot run here: {exc}")


@pytest.fixture
def conformance(conformance_runner):
    """``conformance(item)``: run one item and report it to pytest."""

    def check(item):
        result = conformance_runner.run(item)
        if result.status == FAIL:
            pytest.fail(result.message, pytrace=False)
        if result.status in (NOT_IMPLEMENTED, UNSUPPORTED):
            pytest.skip(f"{result.status}: {result.message}")

    return check
