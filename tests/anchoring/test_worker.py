"""The background worker: back-off while the chain is away, anchoring when it is back."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from backend.chain import ChainClient, ChainUnavailable
from backend.models import BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring.background import backoff_delay
from backend.services.anchoring.service import AnchoringService
from backend.services.anchoring.worker import AnchorWorker
from tests.support.app import Actors
from tests.support.ledger_flow import batches, harvest, pending_events

OUTAGE_CALLS = 3


def test_backoff_doubles_from_the_poll_interval_up_to_the_cap() -> None:
    delays = [backoff_delay(n, base_s=0.5, max_s=30.0) for n in range(10)]
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert delays == sorted(delays)
    assert max(delays) == 30.0
    assert backoff_delay(10_000, base_s=0.5, max_s=30.0) == 30.0


def _wait_for(condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    pytest.fail("condition not reached within the deadline")


def test_the_worker_backs_off_while_the_chain_is_down_then_anchors_when_it_returns(
    runtime: Runtime, supply_chain: Actors
) -> None:
    calls = {"n": 0}

    def flaky_chain() -> ChainClient:
        calls["n"] += 1
        if calls["n"] <= OUTAGE_CALLS:
            raise ChainUnavailable("chain node at http://127.0.0.1:9 is unreachable")
        return runtime.require_chain()

    service = AnchoringService(engine=runtime.engine, settings=runtime.settings, chain=flaky_chain)
    worker = AnchorWorker(
        run_pass=lambda: service.run_once(force=True).more_work,
        reconcile=lambda: None,
        poll_s=0.01,
        max_backoff_s=0.05,
    )
    harvest(supply_chain, "LO-1")

    worker.start()
    try:
        _wait_for(lambda: [b.status for b in batches(runtime.engine)] == [BatchStatus.CONFIRMED])
    finally:
        worker.stop()

    assert not worker.running
    assert worker.stats.failures >= OUTAGE_CALLS
    assert worker.stats.consecutive_failures == 0
    assert "ChainUnavailable" in (worker.stats.last_error or "")
    assert pending_events(runtime.engine) == 0


def test_an_unexpected_error_does_not_kill_the_worker() -> None:
    outcomes = iter([RuntimeError("bug"), False])

    def run_pass() -> bool:
        outcome = next(outcomes, False)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    worker = AnchorWorker(run_pass=run_pass, reconcile=lambda: None, poll_s=0.01)
    worker.start()
    try:
        _wait_for(lambda: worker.stats.passes >= 1)
    finally:
        worker.stop()

    assert worker.stats.failures == 1
    assert worker.stats.last_error == "RuntimeError: bug"
