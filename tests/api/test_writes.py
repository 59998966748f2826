"""Idempotent writes, the body size limit, and a database that is down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from backend.app import create_app
from backend.db import make_engine
from backend.models import Event, IdempotencyRecord, Lot
from backend.runtime import Runtime
from tests.support.app import ADMIN, Actors, harvest_body, make_settings
from tests.support.bodies import error, invalid

REUSED = (
    "Idempotency-Key đã dùng cho một yêu cầu khác / "
    "Idempotency-Key was already used for a different request"
)
BAD_KEY = (
    "Idempotency-Key gồm 1–200 ký tự ASCII nhìn thấy được / "
    "Idempotency-Key must be 1–200 visible ASCII characters"
)


def count(runtime: Runtime, model: type) -> int:
    with Session(runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_repeated_write_returns_the_first_answer_and_records_nothing_twice(
    supply_chain: Actors, runtime: Runtime
) -> None:
    headers = {**supply_chain.headers["htx"], "Idempotency-Key": "harvest-2026-05-01-a"}
    lots_before, events_before = count(runtime, Lot), count(runtime, Event)
    first = supply_chain.client.post("/api/v1/lots", json=harvest_body(), headers=headers)
    assert first.status_code == 201
    assert first.headers["Idempotent-Replayed"] == "false"
    reordered = json.dumps(dict(reversed(list(harvest_body().items()))), indent=2)
    second = supply_chain.client.post(
        "/api/v1/lots", content=reordered, headers={**headers, "Content-Type": "application/json"}
    )
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert count(runtime, Lot) == lots_before + 1
    assert count(runtime, Event) == events_before + 1
    assert count(runtime, IdempotencyRecord) == 1


def test_the_same_key_with_a_different_body_is_refused(supply_chain: Actors) -> None:
    headers = {**supply_chain.headers["htx"], "Idempotency-Key": "k-1"}
    client = supply_chain.client
    assert client.post("/api/v1/lots", json=harvest_body(), headers=headers).status_code == 201
    response = client.post("/api/v1/lots", json=harvest_body(quantity="7"), headers=headers)
    assert response.status_code == 422
    assert response.json() == invalid(REUSED, "Idempotency-Key")
    other_path = client.post(
        "/api/v1/products", json={"code": "sen", "name_vi": "Sen"}, headers=headers
    )
    assert other_path.status_code == 422
    assert other_path.json() == invalid(REUSED, "Idempotency-Key")


def test_keys_belong_to_one_organisation(supply_chain: Actors) -> None:
    body = {"code": "sen", "name_vi": "Hạt sen"}
    as_htx = {**supply_chain.headers["htx"], "Idempotency-Key": "same"}
    as_dg = {**supply_chain.headers["dg"], "Idempotency-Key": "same"}
    assert (
        supply_chain.client.post("/api/v1/products", json=body, headers=as_htx).status_code == 201
    )
    other = supply_chain.client.post("/api/v1/products", json=body, headers=as_dg)
    assert other.status_code == 409  # really attempted again, so the duplicate code is found


def test_a_refused_write_is_not_remembered(supply_chain: Actors) -> None:
    headers = {**supply_chain.headers["htx"], "Idempotency-Key": "retry-me"}
    bad = supply_chain.client.post("/api/v1/lots", json=harvest_body(quantity=0), headers=headers)
    assert bad.status_code == 422
    good = supply_chain.client.post("/api/v1/lots", json=harvest_body(), headers=headers)
    assert good.status_code == 201


def test_malformed_idempotency_keys_are_refused(supply_chain: Actors) -> None:
    for key in ("has space", "x" * 201, "khóa".encode()):
        headers = {**supply_chain.headers["htx"], "Idempotency-Key": key}
        response = supply_chain.client.post(
            "/api/v1/products", json={"code": "sen", "name_vi": "Sen"}, headers=headers
        )
        assert response.status_code == 422
        assert response.json() == invalid(BAD_KEY, "Idempotency-Key")


def test_transfers_replay_too(supply_chain: Actors) -> None:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="T-1"))
    headers = {**supply_chain.headers["htx"], "Idempotency-Key": "handover-1"}
    first = supply_chain.client.post(
        "/api/v1/lots/T-1/transfer", json={"to": "dg"}, headers=headers
    )
    again = supply_chain.client.post(
        "/api/v1/lots/T-1/transfer", json={"to": "dg"}, headers=headers
    )
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    events = supply_chain.client.get("/api/v1/lots/T-1").json()["events"]
    assert [e["type"] for e in events] == ["harvest", "transfer"]


TOO_LARGE = "Dữ liệu gửi lên quá lớn (tối đa {n} byte) / request body too large (max {n} bytes)"


def test_a_body_over_the_limit_gets_413(client: TestClient, runtime: Runtime) -> None:
    limit = runtime.settings.max_body_bytes
    body = {"slug": "big", "name": "x" * limit, "role": "packer"}
    response = client.post("/api/v1/orgs", json=body, headers=ADMIN)
    assert response.status_code == 413
    assert response.json() == error(TOO_LARGE.format(n=limit), "payload_too_large")


def test_a_streamed_body_over_the_limit_gets_413(client: TestClient, runtime: Runtime) -> None:
    limit = runtime.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"slug": "big", "name": "'
        for _ in range(limit // 1024 + 1):
            yield b"x" * 1024
        yield b'", "role": "packer"}'

    response = client.post(
        "/api/v1/orgs",
        content=chunks(),
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413
    assert response.json() == error(TOO_LARGE.format(n=limit), "payload_too_large")


def test_a_body_under_the_limit_passes(client: TestClient) -> None:
    body = {"slug": "ok", "name": "x" * 150, "role": "packer"}
    assert client.post("/api/v1/orgs", json=body, headers=ADMIN).status_code == 201


DB_DOWN = "Cơ sở dữ liệu tạm thời không truy cập được / database temporarily unavailable"


def test_a_database_that_is_down_gives_503_with_retry_after(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2"  # port 9: discard
    settings = make_settings(tmp_path, url)
    runtime = Runtime(settings=settings, engine=make_engine(url))
    with TestClient(create_app(runtime)) as client:
        read = client.get("/api/v1/lots/ANY")
        write = client.post(
            "/api/v1/farms", json={"code": "F", "name": "n", "commune": "c"}, headers=ADMIN
        )
    for response in (read, write):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json() == error(DB_DOWN, "service_unavailable")
