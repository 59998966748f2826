"""A recall tells its custodians by itself: ``POST /lots/{code}/recall`` makes the same notice
and webhook deliveries as ``POST /recall-notices``, once per recall, however the request is
repeated; a later notice for the same recall is refused naming the one sent."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, func, select

from backend.models_recall import RecallNotice, RecallNotification, WebhookDelivery
from backend.runtime import Runtime
from backend.services.compliance.webhooks import deliver_due
from tests.compliance.test_recall_notices_api import Receiver
from tests.support.app import Actors, harvest_body
from tests.support.bodies import error

REASON = {"reason": "Dư lượng vượt ngưỡng"}


def counts(runtime: Runtime) -> tuple[int, int, int]:
    with Session(runtime.engine) as session:
        return tuple(  # type: ignore[return-value]
            int(session.exec(select(func.count()).select_from(model)).one())
            for model in (RecallNotice, RecallNotification, WebhookDelivery)
        )


def split_and_handed(actors: Actors) -> None:
    """L-R (htx) split into L-R1, handed to dg, and L-R2, kept by htx."""
    actors.post("/api/v1/lots", "htx", harvest_body(code="L-R", quantity="1000"))
    children = [{"code": "L-R1", "quantity": "400"}, {"code": "L-R2", "quantity": "600"}]
    actors.post("/api/v1/lots/L-R/split", "htx", {"children": children})
    actors.post("/api/v1/lots/L-R1/transfer", "htx", {"to": "dg"})
    # Under two-step custody the receiver takes the lot; where a transfer is one step, no route.
    taken = actors.client.post("/api/v1/lots/L-R1/receive", json={}, headers=actors.headers["dg"])
    assert taken.status_code in (200, 201, 404), taken.text


def test_a_recall_notifies_every_custodian_and_their_webhooks_once(
    supply_chain: Actors, runtime: Runtime
) -> None:
    split_and_handed(supply_chain)
    client, headers = supply_chain.client, supply_chain.headers
    receiver = Receiver([])
    try:
        answer = client.put("/api/v1/webhook", json={"url": receiver.url}, headers=headers["dg"])
        assert answer.status_code == 200, answer.text
        key = {"Idempotency-Key": "recall-L-R-1"}
        first = client.post("/api/v1/lots/L-R/recall", json=REASON, headers=headers["ql"] | key)
        assert first.status_code == 200, first.text
        assert counts(runtime) == (1, 2, 1)  # htx (L-R, L-R2) and dg (L-R1); dg's webhook
        replay = client.post("/api/v1/lots/L-R/recall", json=REASON, headers=headers["ql"] | key)
        assert replay.status_code == 200 and replay.json() == first.json()
        again = client.post("/api/v1/lots/L-R/recall", json=REASON, headers=headers["ql"])
        assert again.status_code == 409
        assert counts(runtime) == (1, 2, 1)

        mine = client.get("/api/v1/notifications", headers=headers["dg"]).json()
        assert [n["lots"] for n in mine] == [["L-R1"]]
        theirs = client.get("/api/v1/notifications", headers=headers["htx"]).json()
        assert [sorted(n["lots"]) for n in theirs] == [["L-R", "L-R2"]]
        assert deliver_due(runtime.engine, runtime.settings).delivered == 1
        [(_, body)] = receiver.requests
        posted = json.loads(body)
        assert posted["lots"] == ["L-R1"] and posted["reason"] == REASON["reason"]
        assert posted["source"] == {"kind": "lot", "ref": "L-R"}
    finally:
        receiver.close()


def test_a_second_notice_for_a_recall_that_notified_is_refused(
    supply_chain: Actors, runtime: Runtime
) -> None:
    split_and_handed(supply_chain)
    client, headers = supply_chain.client, supply_chain.headers
    supply_chain.post("/api/v1/lots/L-R/recall", "ql", REASON)
    [notice_id] = _notice_ids(runtime)
    body: dict[str, Any] = {"lot": "L-R", "reason": "Nhắc lại"}
    again = client.post("/api/v1/recall-notices", json=body, headers=headers["ql"])
    assert again.status_code == 409
    assert again.json() == error(
        f"Lô L-R đã bị thu hồi và thông báo thu hồi số {notice_id} đã được gửi tới mọi bên giữ "
        f"lô / lot L-R is recalled and its recall notice {notice_id} has already reached every "
        "holder",
        "conflict",
        "lot",
    )
    child = client.post(
        "/api/v1/recall-notices", json={"lot": "L-R1", "reason": "x"}, headers=headers["ql"]
    )
    assert child.status_code == 201  # a lot made from it is not itself recalled: notices go
    assert counts(runtime)[0] == 2


def _notice_ids(runtime: Runtime) -> list[int]:
    with Session(runtime.engine) as session:
        return [n for n in session.exec(select(RecallNotice.id)).all() if n is not None]
