"""Every answer names its request in ``X-Request-ID``: the caller's id when it is sane, a fresh
one otherwise, never the same fresh id twice."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from backend.middleware import REQUEST_ID_HEADER

FRESH = re.compile(r"[0-9a-f]{32}")


def test_a_sane_id_given_by_the_caller_is_echoed(client: TestClient) -> None:
    answer = client.get("/healthz", headers={REQUEST_ID_HEADER: "app-42.retry_1"})
    assert answer.headers[REQUEST_ID_HEADER] == "app-42.retry_1"


def test_a_missing_or_odd_id_is_replaced_by_a_fresh_one_each_time(client: TestClient) -> None:
    odd = ["", "x" * 65, "a b", "<script>", "a/b"]
    seen = {client.get("/healthz").headers[REQUEST_ID_HEADER] for _ in range(50)}
    for given in odd:
        answer = client.get("/healthz", headers={REQUEST_ID_HEADER: given})
        assert answer.headers[REQUEST_ID_HEADER] != given
        seen.add(answer.headers[REQUEST_ID_HEADER])
    assert len(seen) == 50 + len(odd)
    assert all(FRESH.fullmatch(value) for value in seen)


def test_error_answers_carry_the_id_too(client: TestClient) -> None:
    answer = client.post("/api/v1/lots/NOPE/events", json={}, headers={REQUEST_ID_HEADER: "e-1"})
    assert answer.status_code == 401
    assert answer.headers[REQUEST_ID_HEADER] == "e-1"
