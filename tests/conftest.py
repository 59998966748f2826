"""The suite's shared fixtures, registered once here (pytest reads ``pytest_plugins`` only in
the top-level conftest.py). Each plugin module in tests/support provides one kind of thing;
a folder's own conftest.py keeps only the fixtures local to that folder.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

os.environ.setdefault("SENTRACE_ENV", "test")

# Performance is measured by the benchmarks, never asserted by a test: Hypothesis's
# per-example deadline is a wall-clock check that fails on a loaded two-core runner, so it is
# off for every property test (registered here, before any test module builds its settings).
settings.register_profile("sentrace", deadline=None)
settings.load_profile("sentrace")

pytest_plugins = [
    "tests.support.fixtures_app",
    "tests.support.fixtures_browser",
    "tests.support.fixtures_chain",
    "tests.support.fixtures_postgres",
    "tests.support.fixtures_server",
]


@pytest.fixture(autouse=True)
def _event_schema(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """``@pytest.mark.event_schema(n)``: the test's settings record events under proof rules
    ``n`` (through the environment, so that servers and CLI processes it starts do too)."""
    marker = request.node.get_closest_marker("event_schema")
    if marker is not None:
        monkeypatch.setenv("SENTRACE_EVENT_SCHEMA", str(marker.args[0]))
