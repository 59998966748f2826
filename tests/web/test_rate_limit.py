"""The public token-bucket limiter: allowance, refill, Retry-After and the off switch."""

from __future__ import annotations

import pytest

from backend.errors import RateLimited
from backend.http.rate_limit import TokenBucketLimiter


class FakeClock:
    """A monotonic clock the test moves by hand, so no test depends on real time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_allows_a_full_minute_then_refuses_with_retry_after() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(60, clock=clock)
    for _ in range(60):
        limiter.check("10.0.0.1")
    with pytest.raises(RateLimited) as caught:
        limiter.check("10.0.0.1")
    assert caught.value.retry_after == 1


def test_limiter_refills_with_time() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(6, clock=clock)  # one token every 10 s
    for _ in range(6):
        limiter.check("a")
    with pytest.raises(RateLimited) as caught:
        limiter.check("a")
    assert caught.value.retry_after == 10
    clock.now += 10.0
    limiter.check("a")
    with pytest.raises(RateLimited):
        limiter.check("a")


def test_limiter_keeps_clients_apart() -> None:
    limiter = TokenBucketLimiter(1, clock=FakeClock())
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(RateLimited):
        limiter.check("a")


def test_limiter_of_zero_is_off() -> None:
    limiter = TokenBucketLimiter(0, clock=FakeClock())
    assert not limiter.enabled
    for _ in range(10_000):
        limiter.check("a")


def test_limiter_forgets_the_oldest_client_beyond_its_capacity() -> None:
    limiter = TokenBucketLimiter(1, max_clients=2, clock=FakeClock())
    limiter.check("a")
    limiter.check("b")
    limiter.check("c")  # evicts "a", the least recently seen
    limiter.check("a")  # a fresh bucket again
    with pytest.raises(RateLimited):
        limiter.check("c")


def test_limiter_refuses_a_negative_rate() -> None:
    with pytest.raises(ValueError, match="per_minute"):
        TokenBucketLimiter(-1)
