"""Webhooks cannot be aimed into the platform's own network (SSRF): loopback, private,
link-local and cloud-metadata addresses are refused when the URL is set and, after the name is
resolved, again when a delivery is posted; ``SENTRACE_WEBHOOK_ALLOW_PRIVATE`` (development and
tests only, refused in production) lets a local receiver through."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from backend.app import create_app
from backend.config import Environment, Settings
from backend.models_recall import WebhookAttempt, WebhookDelivery
from backend.runtime import Runtime
from backend.services.compliance import webhook_guard
from backend.services.compliance.webhooks import deliver_due
from backend.timeutil import utcnow
from tests.compliance.test_recall_notices_api import Receiver
from tests.support.app import Actors, harvest_body, make_settings
from tests.support.bodies import invalid

REFUSED = [
    "http://127.0.0.1:8545/",
    "http://localhost/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fd00:ec2::254]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://224.0.0.1/hook",
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what is tested here (addresses and name resolution) does not
    depend on the database; the compliance suite's PostgreSQL runs cover the rows it writes."""
    return f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"


@pytest.fixture
def guarded(tmp_path: Path, database_url: str) -> Iterator[Actors]:
    """The compliance cast on an app whose webhooks are guarded (the default)."""
    settings = make_settings(tmp_path / "data", database_url, webhook_poll_s=0)
    assert settings.webhook_allow_private is False
    runtime = Runtime.create(settings)
    try:
        with TestClient(create_app(runtime)) as client:
            actors = Actors(client)
            actors.org("dg", "packer", "Đóng gói Sa Đéc")
            yield actors
    finally:
        runtime.close()


def internal_message(address: str) -> str:
    return (
        f"Địa chỉ webhook trỏ vào mạng nội bộ ({address}): chỉ nhận địa chỉ công khai trên "
        f"Internet / the webhook points into an internal network ({address}): only public "
        "internet addresses are accepted"
    )


def test_a_webhook_into_an_internal_network_is_refused_naming_the_address(
    guarded: Actors,
) -> None:
    """Every kind of internal address, on one app (a fresh app per URL would cost seconds)."""
    for url in REFUSED:
        response = guarded.client.put(
            "/api/v1/webhook", json={"url": url}, headers=guarded.headers["dg"]
        )
        assert response.status_code == 422, (url, response.text)
        body: dict[str, Any] = response.json()
        refused = body["detail"].split("(", 1)[1].split(")", 1)[0]
        assert webhook_guard.is_internal(ipaddress.ip_address(refused)), url
        assert body == invalid(internal_message(refused), "url"), url


def test_public_addresses_pass_and_unresolvable_names_are_refused(guarded: Actors) -> None:
    ok = guarded.client.put(
        "/api/v1/webhook",
        json={"url": "https://93.184.215.14/hooks"},
        headers=guarded.headers["dg"],
    )
    assert ok.status_code == 200, ok.text
    nowhere = guarded.client.put(
        "/api/v1/webhook",
        json={"url": "https://no-such-host.invalid/hook"},
        headers=guarded.headers["dg"],
    )
    assert nowhere.json() == invalid(
        "Không phân giải được tên máy chủ của webhook / the webhook's host name does not resolve",
        "url",
    )


def test_a_delivery_to_an_address_that_turned_internal_is_not_posted(
    supply_chain: Actors, runtime: Runtime
) -> None:
    """The URL was set while allowed (a local receiver); the guard at delivery time, after
    resolving, refuses it once private addresses are no longer allowed: nothing reaches it."""
    receiver = Receiver([])
    try:
        supply_chain.client.put(
            "/api/v1/webhook", json={"url": receiver.url}, headers=supply_chain.headers["htx"]
        )
        supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-G"))
        supply_chain.post("/api/v1/recall-notices", "ql", {"lot": "L-G", "reason": "Kiểm tra"})
        strict = runtime.settings.model_copy(update={"webhook_allow_private": False})
        run = deliver_due(runtime.engine, strict)
        assert (run.delivered, run.retried) == (0, 1)
        assert receiver.requests == []
        with Session(runtime.engine) as session:
            [attempt] = session.exec(select(WebhookAttempt)).all()
            assert attempt.status_code is None
            assert attempt.error is not None and "127.0.0.1" in attempt.error
            session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(1)))
            session.commit()
        assert deliver_due(runtime.engine, runtime.settings).delivered == 1  # allowed again
        assert len(receiver.requests) == 1
        [(headers, _)] = receiver.requests
        assert headers["Host"] == receiver.url.split("/")[2]  # pinned to the address, named
    finally:
        receiver.close()


def test_a_name_resolving_to_an_internal_address_is_refused_before_connecting() -> None:
    """As a rebinding name would resolve at delivery time: the post is never attempted."""
    with pytest.raises(webhook_guard.WebhookAddressError) as refused:
        webhook_guard.post_pinned(
            "http://localhost:9/hook", b"{}", {}, allow_private=False, timeout=1.0
        )
    assert refused.value.address is not None
    assert webhook_guard.is_internal(ipaddress.ip_address(refused.value.address))


def test_allowing_private_webhooks_is_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SENTRACE_WEBHOOK_ALLOW_PRIVATE"):
        Settings(
            env=Environment.PRODUCTION,
            data_dir=tmp_path,
            anchor_private_key="0x" + "11" * 32,
            chain_rpc_url="https://rpc.example.org",
            admin_token="a" * 32,
            session_secret="s" * 40,
            key_encryption_secret="k" * 40,
            webhook_allow_private=True,
        )
