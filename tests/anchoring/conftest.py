"""Anchoring tests run on SQLite and on PostgreSQL, against the in-process chain (eth-tester)."""

from __future__ import annotations

import pytest

from backend.runtime import Runtime
from tests.support.app import Actors
from tests.support.ledger_flow import activate_keys


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    """Here the app's runtime has the in-process chain and its registry; tests drive the passes."""
    return chain_runtime


@pytest.fixture
def supply_chain(supply_chain: Actors, runtime: Runtime) -> Actors:
    """The shared organisations with their signing keys already recorded on chain (one pass),
    so that a test about batches sees their events batched at once."""
    activate_keys(runtime)
    return supply_chain
