"""Options shared by every test folder.

``--backend`` lives here rather than in ``tests/conformance/conftest.py`` so that both
``pytest tests --backend X`` and ``pytest tests/conformance --backend X`` accept it (pytest
only reads options from conftest files it loads before collection).
"""

import os


def pytest_addoption(parser):
    parser.addoption(
        "--backend", action="store",
        default=os.environ.get("MXCORE_CONFORMANCE_BACKEND", "cpu_numpy"),
        help="backend name or device type the conformance suite runs against "
             "(default: $MXCORE_CONFORMANCE_BACKEND or cpu_numpy)")
