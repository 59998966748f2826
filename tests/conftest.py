"""The suite's shared fixtures, registered once here (pytest reads ``pytest_plugins`` only in
the top-level conftest.py). Each plugin module in tests/support provides one kind of thing;
a folder's own conftest.py keeps only the fixtures local to that folder.
"""

from __future__ import annotations

import os

os.environ.setdefault("SENTRACE_ENV", "test")

pytest_plugins = [
    "tests.support.fixtures_app",
    "tests.support.fixtures_browser",
    "tests.support.fixtures_chain",
    "tests.support.fixtures_postgres",
    "tests.support.fixtures_server",
]
