"""Per-organisation webhooks: the endpoint, signed deliveries, retries with back-off, the log.

An organisation sets one URL; the server answers a fresh secret once and keeps it sealed
(AES-GCM under the key encryption secret, as custodial keys are), since it must sign with it
later. Each delivery is POSTed as JSON with ``X-SenTrace-Timestamp`` and
``X-SenTrace-Signature: sha256=<hex>`` = HMAC-SHA256(secret, timestamp + "." + body), so a
receiver checks both the sender and the freshness. A delivery that is not answered 2xx is tried
again after 30 s, 1 min, 2 min … (doubling, at most 6 h), up to :data:`MAX_ATTEMPTS` times;
every attempt is logged. Senders claim a delivery for a while before posting, so two processes
never post the same one at once. A URL must lead to a public address, checked when it is set
and again, after resolving, when each delivery is posted (``webhook_guard``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.config import Environment, Settings
from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.models import Organisation
from backend.models_recall import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from backend.services.accounts import key_vault
from backend.services.compliance import webhook_guard
from backend.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
CLAIM_FOR = timedelta(seconds=60)
TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-SenTrace-Signature"
TIMESTAMP_HEADER = "X-SenTrace-Timestamp"


def set_endpoint(
    session: Session, *, org: Organisation, url: Any, settings: Settings
) -> tuple[WebhookEndpoint, str]:
    """Set (or replace) the organisation's webhook; returns it with its new secret, shown once."""
    clean = _url(url, settings)
    secret = "whsec_" + secrets.token_urlsafe(32)
    sealed = key_vault.seal(secret.encode("ascii"), address=_aad(org), settings=settings)
    assert org.id is not None
    endpoint = session.get(WebhookEndpoint, org.id) or WebhookEndpoint(
        org_id=org.id, url=clean, secret_sealed=sealed
    )
    endpoint.url, endpoint.secret_sealed, endpoint.created_at = clean, sealed, utcnow()
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, timestamp "." body)."""
    mac = hmac.new(secret.encode("ascii"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed try (1 → 30 s, doubling, at most 6 h)."""
    return min(LONGEST_RETRY, FIRST_RETRY * (2 ** min(attempts - 1, 20)))


def deliveries_for(session: Session, *, org: Organisation, limit: int = 100) -> list[Any]:
    """The organisation's delivery log: deliveries newest first, each with its attempts."""
    rows = session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.org_id == org.id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    ).all()
    ids = [row.id for row in rows]
    attempts = session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.delivery_id).in_(ids))
        .order_by(col(WebhookAttempt.id))
    ).all()
    by_delivery: dict[int, list[WebhookAttempt]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return [(row, by_delivery.get(row.id or 0, [])) for row in rows]


Post = Callable[[str, bytes, dict[str, str]], int]


@dataclass
class DeliveryRun:
    """What one pass of the sender did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due(engine: Engine, settings: Settings, *, post: Post | None = None) -> DeliveryRun:
    """Post every delivery that is due, each in transactions of its own; ``post`` sends one
    request and returns its status (httpx by default; a test passes a real local server's)."""
    send = post or partial(
        webhook_guard.post_pinned, allow_private=settings.webhook_allow_private, timeout=TIMEOUT_S
    )
    run = DeliveryRun()
    with Session(engine) as session:
        due = session.exec(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                col(WebhookDelivery.next_attempt_at) <= utcnow(),
                or_(
                    col(WebhookDelivery.claimed_until).is_(None),
                    col(WebhookDelivery.claimed_until) < utcnow(),
                ),
            )
            .order_by(col(WebhookDelivery.id))
        ).all()
    for delivery_id in due:
        if delivery_id is not None:
            _deliver_one(engine, settings, delivery_id, send, run)
    return run


def _deliver_one(
    engine: Engine, settings: Settings, delivery_id: int, send: Post, run: DeliveryRun
) -> None:
    with Session(engine) as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery_id,
                WebhookDelivery.status == "pending",
                or_(
                    col(WebhookDelivery.claimed_until).is_(None),
                    col(WebhookDelivery.claimed_until) < utcnow(),
                ),
            )
            .values(claimed_until=utcnow() + CLAIM_FOR)
        )
        session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return  # another sender has it
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.org_id) if delivery else None
        org = session.get(Organisation, delivery.org_id) if delivery else None
        assert delivery is not None
    body = json.dumps(delivery.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    status: int | None = None
    error: str | None = None
    started = time.monotonic()
    try:
        if endpoint is None or org is None:
            raise RuntimeError("webhook removed")
        secret = key_vault.unseal(endpoint.secret_sealed, address=_aad(org), settings=settings)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "SenTrace-Webhook/1",
            "X-SenTrace-Event": str(delivery.body.get("event", "")),
            "X-SenTrace-Delivery": str(delivery_id),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret.decode("ascii"), timestamp, body),
        }
        status = send(endpoint.url, body, headers)
    except Exception as exc:  # a receiver's failure of any kind is a failed attempt, logged
        error = f"{type(exc).__name__}: {exc}"[:500]
    elapsed = int((time.monotonic() - started) * 1000)
    _record(engine, delivery_id, status, error, elapsed, run)


def _record(
    engine: Engine,
    delivery_id: int,
    status: int | None,
    error: str | None,
    elapsed_ms: int,
    run: DeliveryRun,
) -> None:
    with Session(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        delivery.attempts += 1
        delivery.claimed_until = None
        if status is not None and 200 <= status < 300:
            delivery.status, delivery.delivered_at = "delivered", utcnow()
            run.delivered += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
            run.failed += 1
            logger.warning(
                "webhook delivery %s failed after %s attempts", delivery_id, MAX_ATTEMPTS
            )
        else:
            delivery.next_attempt_at = utcnow() + retry_delay(delivery.attempts)
            run.retried += 1
        session.add(delivery)
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id, status_code=status, error=error, duration_ms=elapsed_ms
            )
        )
        session.commit()


def _url(value: Any, settings: Settings) -> str:
    if not isinstance(value, str) or len(value) > 500:
        raise InvalidInput(message("compliance.webhook.url"), field="url")
    parts = urlsplit(value.strip())
    schemes = ("https",) if settings.env == Environment.PRODUCTION else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname:
        raise InvalidInput(message("compliance.webhook.url"), field="url")
    try:
        port = parts.port or webhook_guard.default_port(parts.scheme)
        webhook_guard.checked_address(
            parts.hostname, port, allow_private=settings.webhook_allow_private
        )
    except ValueError:  # a port out of range
        raise InvalidInput(message("compliance.webhook.url"), field="url") from None
    except webhook_guard.WebhookAddressError as exc:
        if exc.address is None:
            raise InvalidInput(message("compliance.webhook.unresolvable"), field="url") from None
        refused = message("compliance.webhook.internal", address=exc.address)
        raise InvalidInput(refused, field="url") from None
    return value.strip()


def _aad(org: Organisation) -> str:
    return f"webhook:{org.slug}"


def next_due_in(engine: Engine) -> float | None:
    """Seconds until the next pending delivery is due (None when there is none)."""
    with Session(engine) as session:
        first = session.exec(
            select(WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.status == "pending")
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(1)
        ).first()
    if first is None:
        return None
    return max(0.0, (as_utc(first) - utcnow()).total_seconds())
