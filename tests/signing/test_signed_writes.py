"""The HTTP 428 protocol of signed writes, end to end through the API on the in-process chain.

A client-held organisation's write is answered 428 with a draft (nothing stored); the same
request sent again with the draft's statements signed by its key is applied, and the stored
event's signature recovers to that key. Wrong keys, outdated and used drafts are refused, and
every writing endpoint (events, batch, lots, transfer, split, recall) goes through the same door.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eth_account import Account
from sqlmodel import Session, select

from backend.hashing.eip712 import recover_signer
from backend.models import ChainAction, ChainActionKind, Event, Lot, OrgKey, WriteDraft
from backend.runtime import Runtime
from backend.timeutil import utcnow
from tests.support.app import harvest_body
from tests.support.custody import hand_over
from tests.support.signing import Signers, sign_draft, signed_headers

LOT = "L-SIGN-1"
NOTE = {"type": "note", "occurred_at": "2026-05-02T08:00:00+07:00", "data": {"text": "Tưới"}}


def _events(runtime: Runtime, code: str) -> list[Event]:
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == code)).one()
        return list(session.exec(select(Event).where(Event.lot_id == lot.id)).all())


def _harvest(signers: Signers) -> dict[str, Any]:
    return signers.post("/api/v1/lots", "htx", harvest_body(code=LOT))


def test_event_is_drafted_signed_and_stored_with_its_signature(
    signers: Signers, runtime: Runtime
) -> None:
    first = signers.ask("/api/v1/lots", "htx", harvest_body(code=LOT))
    assert first.status_code == 428, first.text
    body = first.json()
    assert body["code"] == "signature_required" and body["field"] == "signatures"
    [item] = body["draft"]["sign"]
    assert item["kind"] == "event" and item["lot"] == LOT and item["seq"] == 1
    assert item["document"]["lot"] == LOT and item["typed_data"]["primaryType"] == "Event"
    assert signers.client.get(f"/api/v1/lots/{LOT}").status_code == 404  # nothing stored

    done = signers.send("/api/v1/lots", "htx", harvest_body(code=LOT), body["draft"])
    assert done.status_code == 201, done.text
    [event] = _events(runtime, LOT)
    assert event.event_hash == item["event_hash"]
    assert recover_signer(item["typed_data"], event.signature or "") == signers.keys["htx"].address
    assert event.signer == signers.keys["htx"].address


def test_a_signature_by_another_key_names_the_signature(signers: Signers) -> None:
    body = harvest_body(code=LOT)
    draft = signers.ask("/api/v1/lots", "htx", body).json()["draft"]
    stranger = Account.create()
    wrong = signers.client.post(
        "/api/v1/lots",
        json=body,
        headers={**signers.headers["htx"], **signed_headers(draft, stranger)},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "signatures[0]"
    other_org = signers.client.post(  # a key of another organisation is no better
        "/api/v1/lots",
        json=body,
        headers={**signers.headers["htx"], **signed_headers(draft, signers.keys["dg"])},
    )
    assert other_org.json()["field"] == "signatures[0]"
    too_many = signers.client.post(
        "/api/v1/lots",
        json=body,
        headers={
            **signers.headers["htx"],
            "X-SenTrace-Draft": draft["id"],
            "X-SenTrace-Signatures": ",".join([sign_draft(draft, stranger)] * 2),
        },
    )
    assert too_many.status_code == 422 and too_many.json()["field"] == "signatures"
    assert signers.send("/api/v1/lots", "htx", body, draft).status_code == 201  # still usable


def test_a_draft_outdated_by_another_event_gets_a_fresh_one(
    signers: Signers, runtime: Runtime
) -> None:
    _harvest(signers)
    path = f"/api/v1/lots/{LOT}/events"
    stale = signers.ask(path, "htx", NOTE).json()["draft"]
    signers.post(path, "htx", {**NOTE, "data": {"text": "Bón phân"}})  # lands first (seq 2)

    refused = signers.send(path, "htx", NOTE, stale)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "draft_outdated"
    fresh = refused.json()["draft"]
    assert fresh["id"] != stale["id"] and fresh["sign"][0]["seq"] == 3
    assert signers.send(path, "htx", NOTE, fresh).status_code == 201
    assert sorted(e.lot_seq or 0 for e in _events(runtime, LOT)) == [1, 2, 3]


def test_drafts_are_single_use_and_expire(signers: Signers, runtime: Runtime) -> None:
    _harvest(signers)
    path = f"/api/v1/lots/{LOT}/events"
    draft = signers.ask(path, "htx", NOTE).json()["draft"]
    assert signers.send(path, "htx", NOTE, draft).status_code == 201
    again = signers.send(path, "htx", NOTE, draft)
    assert again.status_code == 409 and again.json()["field"] == "X-SenTrace-Draft"
    assert len(_events(runtime, LOT)) == 2  # the used draft recorded nothing more

    late = signers.ask(path, "htx", NOTE).json()["draft"]
    with Session(runtime.engine) as session:
        row = session.get(WriteDraft, late["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    expired = signers.send(path, "htx", NOTE, late)
    assert expired.status_code == 409 and expired.json()["draft"]["id"] != late["id"]
    assert len(_events(runtime, LOT)) == 2

    other = signers.ask(path, "htx", {**NOTE, "data": {"text": "khác"}}).json()["draft"]
    mixed = signers.send(path, "htx", NOTE, other)  # a draft applies only to its own request
    assert mixed.status_code == 422 and mixed.json()["field"] == "X-SenTrace-Draft"


def test_a_428_is_never_replayed_for_an_idempotency_key(signers: Signers) -> None:
    _harvest(signers)
    path, key = f"/api/v1/lots/{LOT}/events", {"Idempotency-Key": "note-1"}
    first = signers.ask(path, "htx", NOTE, **key)
    assert first.status_code == 428
    done = signers.send(path, "htx", NOTE, first.json()["draft"], **key)
    assert done.status_code == 201 and done.headers["Idempotent-Replayed"] == "false"
    replay = signers.ask(path, "htx", NOTE, **key)
    assert replay.status_code == 201 and replay.json() == done.json()
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_batch_transfer_split_and_recall_go_through_the_same_door(
    signers: Signers, runtime: Runtime
) -> None:
    _harvest(signers)
    batch = {"events": [{**NOTE, "lot": LOT}, {**NOTE, "lot": LOT, "data": {"text": "Hai"}}]}
    drafted = signers.ask("/api/v1/events/batch", "htx", batch).json()["draft"]
    assert [item["seq"] for item in drafted["sign"]] == [2, 3]
    assert signers.send("/api/v1/events/batch", "htx", batch, drafted).status_code == 201

    hand_over(signers.post, LOT, "htx", "dg")
    split = signers.post(f"/api/v1/lots/{LOT}/split", "dg", {"children": [{"quantity": "400"}]})
    assert split

    recall_path = f"/api/v1/lots/{LOT}/recall"
    asked = signers.ask(recall_path, "ql", {"reason": "Dư lượng thuốc"}).json()["draft"]
    assert [item["kind"] for item in asked["sign"]] == ["event", "recall"]
    regulator = signers.keys["ql"].address
    assert asked["sign"][1]["signer"] == regulator
    assert signers.send(recall_path, "ql", {"reason": "Dư lượng thuốc"}, asked).status_code == 200

    with Session(runtime.engine) as session:
        events = session.exec(select(Event)).all()
        keys = {k.org_id: k.address for k in session.exec(select(OrgKey)).all()}
        assert events and all(e.signer == keys[e.org_id] and e.signature for e in events)
        action = session.exec(
            select(ChainAction).where(ChainAction.kind == ChainActionKind.RECALL)
        ).one()
    statement = asked["sign"][1]
    assert action.signer == regulator and action.nonce == statement["nonce"] == 0
    assert action.deadline == statement["deadline"]
    assert recover_signer(statement["typed_data"], action.signature or "") == regulator


def test_a_custodial_organisation_is_signed_by_the_server(
    signers: Signers, runtime: Runtime
) -> None:
    _harvest(signers)
    hand_over(signers.post, LOT, "htx", "kho")
    path = f"/api/v1/lots/{LOT}/events"
    response = signers.ask(path, "kho", {**NOTE, "type": "receiving", "data": {}})
    assert response.status_code == 201, response.text  # no 428: the server holds the key
    with Session(runtime.engine) as session:
        event = session.exec(select(Event).where(Event.id == response.json()["id"])).one()
        key = session.exec(select(OrgKey).where(OrgKey.org_id == event.org_id)).one()
    assert key.custody == "custodial" and event.signer == key.address and event.signature


def test_the_receiver_signs_its_receipt_with_its_own_key(
    signers: Signers, runtime: Runtime
) -> None:
    """Receiving is the receiver's statement: the draft asks the receiver's key, and a
    signature by the sender's key is refused."""
    _harvest(signers)
    signers.post(f"/api/v1/lots/{LOT}/transfer", "htx", {"to": "dg"})
    path = f"/api/v1/lots/{LOT}/receive"
    asked = signers.ask(path, "dg", {})
    assert asked.status_code == 428, asked.text
    draft = asked.json()["draft"]
    [item] = draft["sign"]
    assert (item["kind"], item["org"], item["lot"]) == ("event", "dg", LOT)
    assert item["document"]["type"] == "transfer_received"
    wrong = {
        "X-SenTrace-Draft": draft["id"],
        "X-SenTrace-Signatures": sign_draft(draft, signers.keys["htx"]),
    }
    refused = signers.ask(path, "dg", {}, **wrong)
    assert refused.status_code == 422 and refused.json()["field"] == "signatures[0]"
    done = signers.send(path, "dg", {}, draft)
    assert done.status_code == 200, done.text
    assert done.json()["custodian"]["slug"] == "dg"
    with Session(runtime.engine) as session:
        event = session.exec(select(Event).where(Event.id == done.json()["event"]["id"])).one()
    assert event.signer == signers.keys["dg"].address


def test_a_key_revoked_after_a_phone_was_lost_signs_nothing_more(signers: Signers) -> None:
    # A field app's queue signs at sync: once a lost phone's key is revoked, whatever it
    # signs is refused, naming the signature, so a finder with the passphrase writes nothing.
    _harvest(signers)
    lost = signers.keys["htx"]
    path = f"/api/v1/orgs/htx/signing-keys/{lost.address}/revoke"
    assert signers.client.post(path, headers=signers.headers["htx"]).status_code == 200
    draft = signers.ask(f"/api/v1/lots/{LOT}/events", "htx", NOTE).json()["draft"]
    refused = signers.client.post(
        f"/api/v1/lots/{LOT}/events",
        json=NOTE,
        headers={**signers.headers["htx"], **signed_headers(draft, lost)},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "signatures[0]"
