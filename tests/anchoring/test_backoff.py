"""Refused sends: temporary ones wait (doubling, capped) and never fail the row; permanent ones
fail it at once; reverts fail it after a few, with the reason."""

from __future__ import annotations

from backend.chain.errors import ChainRejected, ChainReverted, DecodedRevert
from backend.models import Batch, BatchStatus, ChainAction
from backend.services.anchoring.backoff import MAX_REVERTS, Backoff, SendFailures


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def batch(row_id: int = 7) -> Batch:
    return Batch(id=row_id, root="0x" + "11" * 32, event_count=1, status=BatchStatus.PENDING)


def test_waits_double_up_to_the_cap_and_reset_after_a_send() -> None:
    clock = Clock()
    backoff = Backoff(base_s=2.0, max_s=10.0, clock=clock)
    key = ("batch", 1)
    assert backoff.due(key)
    assert [backoff.wait(key) for _ in range(5)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert not backoff.due(key)
    assert backoff.due(("batch", 2))  # one row's wait is its own
    clock.now += 10.0
    assert backoff.due(key)
    backoff.reset(key)
    assert backoff.wait(key) == 2.0


def test_a_temporary_refusal_never_fails_the_row_and_says_why() -> None:
    clock = Clock()
    failures = SendFailures(Backoff(base_s=2.0, max_s=300.0, clock=clock))
    row = batch()
    refusal = ChainRejected("http://node refused the request: txpool is full", code=-32000)
    for attempt in range(1, 50):
        row.attempts = attempt
        assert failures.settle(("batch", 7), row, refusal) is False
        assert not failures.due(("batch", 7))
        clock.now += 300.0
    assert row.status is BatchStatus.PENDING
    assert row.last_error is not None
    assert row.last_error.startswith("waiting 300 s to send again (transaction pool full)")


def test_missing_ether_tells_the_operator_what_to_do() -> None:
    row = ChainAction(id=3, lot_key="0x" + "22" * 32, payload_hash="0x" + "33" * 32)
    refusal = ChainRejected("refused the request: insufficient funds for gas * price + value")
    assert SendFailures().settle(("action", 3), row, refusal) is False
    assert row.status is BatchStatus.PENDING
    assert "fund the anchoring account" in (row.last_error or "")


def test_a_permanent_refusal_fails_the_row_at_once_with_the_reason() -> None:
    row = batch()
    refusal = ChainRejected("http://node refused the request: exceeds block gas limit")
    assert SendFailures().settle(("batch", 7), row, refusal) is True
    assert row.status is BatchStatus.FAILED
    assert "exceeds block gas limit" in (row.last_error or "")
    assert (row.last_error or "").startswith("failed (permanent")


def test_reverts_are_retried_a_few_times_then_fail_with_the_decoded_reason() -> None:
    failures = SendFailures()
    row = batch()
    revert = ChainReverted(
        "transaction 0xabc reverted: TraceRegistryZeroRoot()",
        revert=DecodedRevert("TraceRegistryZeroRoot", ()),
    )
    outcomes = []
    for attempt in range(1, MAX_REVERTS + 1):
        row.attempts = attempt
        outcomes.append(failures.settle(("batch", 7), row, revert))
        assert failures.due(("batch", 7))  # counted, not waited on
    assert outcomes == [False] * (MAX_REVERTS - 1) + [True]
    assert row.status is BatchStatus.FAILED
    assert f"revert {MAX_REVERTS} of at most {MAX_REVERTS}" in (row.last_error or "")
    assert "TraceRegistryZeroRoot()" in (row.last_error or "")


def test_an_operator_retry_gives_a_reverting_row_a_fresh_count() -> None:
    failures = SendFailures()
    row = batch()
    revert = ChainReverted("reverted", revert=DecodedRevert("TraceRegistryZeroRoot", ()))
    for attempt in range(1, MAX_REVERTS + 1):
        row.attempts = attempt
        failures.settle(("batch", 7), row, revert)
    assert row.status is BatchStatus.FAILED
    row.status, row.attempts = BatchStatus.PENDING, 1  # reconcile --retry-failed: attempts 0, +1
    assert failures.settle(("batch", 7), row, revert) is False
    assert row.status is BatchStatus.PENDING


def test_final_fails_whatever_the_class() -> None:
    row = batch()
    assert SendFailures().settle(("batch", 7), row, ChainRejected("txpool is full"), final=True)
    assert row.status is BatchStatus.FAILED
