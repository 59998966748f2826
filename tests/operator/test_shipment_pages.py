"""Two-step custody in the operator app: the receiver answers a shipment on its page (CSRF,
only the addressee, text escaped), and the sender cancels one only after it expired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from html import escape

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.models import Event, EventType
from backend.runtime import Runtime
from backend.timeutil import utcnow
from tests.operator.conftest import Cast, sign_in
from tests.support.ledger_flow import execute

ClientFactory = Callable[[], TestClient]
XSS = "<script>alert('từ chối')</script>"


def _send(client_factory: ClientFactory, cast: Cast) -> tuple[TestClient, str]:
    """The cooperative sends the lot to the packer through the transfer form."""
    coop = client_factory()
    token = sign_in(coop, cast.coop)
    sent = coop.post(
        f"/app/lots/{cast.lot_code}/transfer",
        data={"csrf_token": token, "to": "sadec-pack", "occurred_at": "2026-01-05T09:00"},
    )
    assert sent.status_code == 303, sent.text
    return coop, token


@pytest.mark.slow  # a live server and a browser-like walk of the shipment pages
def test_the_receiver_refuses_on_the_shipment_page_and_the_reason_is_escaped(
    client_factory: ClientFactory, cast: Cast, runtime: Runtime
) -> None:
    coop, _ = _send(client_factory, cast)
    packer, other = client_factory(), client_factory()
    token = sign_in(packer, cast.packer)
    other_token = sign_in(other, cast.other_packer)
    shipment = f"/app/lots/{cast.lot_code}/shipment"
    assert other.get(shipment).status_code == 403  # not its lot, not its shipment
    stranger = other.post(f"/app/lots/{cast.lot_code}/refuse", data={"csrf_token": other_token,
                                                                      "reason": "x"})  # fmt: skip
    assert stranger.status_code == 403
    no_csrf = packer.post(f"/app/lots/{cast.lot_code}/refuse", data={"reason": "x"})
    assert no_csrf.status_code == 403 and "Biểu mẫu đã hết hạn" in no_csrf.text
    empty = packer.post(f"/app/lots/{cast.lot_code}/refuse", data={"csrf_token": token})
    assert empty.status_code == 422  # the reason is required; shown again on the form
    refused = packer.post(
        f"/app/lots/{cast.lot_code}/refuse", data={"csrf_token": token, "reason": XSS}
    )
    assert refused.status_code == 303, refused.text
    page = coop.get(f"/app/lots/{cast.lot_code}").text
    assert XSS not in page and escape(XSS, quote=False) in page.replace("&#39;", "'")
    assert 'id="in-transit"' not in page
    assert "Mã chuyến hàng" in page and "Từ chối nhận" in page  # the timeline's labels
    with Session(runtime.engine) as session:
        kinds = [e.type for e in session.exec(select(Event).order_by(Event.seq))]
    assert kinds[-2:] == [EventType.TRANSFER, EventType.TRANSFER_REFUSED]
    assert packer.get(shipment).status_code == 409  # nothing open any more


def test_the_sender_sees_when_it_may_cancel_and_cancels_only_after_the_expiry(
    client_factory: ClientFactory, cast: Cast, runtime: Runtime
) -> None:
    coop, token = _send(client_factory, cast)
    outgoing = coop.get("/app/shipments").text
    assert f'href="/app/lots/{cast.lot_code}/shipment"' in outgoing
    page = coop.get(f"/app/lots/{cast.lot_code}/shipment").text
    assert "có thể huỷ chuyến hàng từ" in page and "/cancel-shipment" not in page
    early = coop.post(f"/app/lots/{cast.lot_code}/cancel-shipment", data={"csrf_token": token})
    assert early.status_code == 422 and "chưa quá hạn 168 giờ" in early.text
    when = (utcnow() - timedelta(hours=169)).isoformat(sep=" ")
    execute(runtime.engine, "UPDATE shipment SET sent_at = :when", when=when)
    assert "/cancel-shipment" in coop.get(f"/app/lots/{cast.lot_code}/shipment").text
    done = coop.post(f"/app/lots/{cast.lot_code}/cancel-shipment", data={"csrf_token": token})
    assert done.status_code == 303, done.text
    assert coop.get(f"/app/lots/{cast.lot_code}/split").status_code == 200  # free again
