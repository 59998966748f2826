"""Signed events (docs/proof-rules.md section 12) on the in-process chain, against the real
registry: an event written behind the application's back, however well hashed and anchored,
never reads verified unless its signature recovers to a key the chain records for its
organisation at the anchoring time. The server's verdict, the proof bundle's offline check and
the consumer page agree.

Forged rows go in with a Core ``INSERT`` (no ORM hooks, no ``record_event``), as an intruder
with the database would write them: a canonical document chained after the lot's newest event,
its hash right. The ``signer`` column names the organisation's active key (a column anyone can
write), so the anchoring worker takes the row into a batch; the verifier recovers the signer
from the signature and never reads that column.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import Table, insert, update
from sqlmodel import Session, select

from backend.hashing import canonical_bytes, keccak, lot_key, read_document, to_hex
from backend.hashing.eip712 import SigningDomain, event_typed_data, org_key, sign_typed_data
from backend.models import Event, EventType, Lot, Organisation
from backend.runtime import Runtime
from backend.services.accounts import org_keys
from backend.services.verification.offline import BundleResult, check_bundle
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything, events, harvest, note
from tests.verification.test_proof_bundle import ClientRegistry

LOT = "LO-SIGNED"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def lot(runtime: Runtime, supply_chain: Actors, client: TestClient) -> str:
    """A harvest and a note of HTX Mỹ Xương, signed and anchored through the application."""
    harvest(supply_chain, LOT)
    note(supply_chain, LOT, "Tỉa cành")
    anchor_everything(runtime)
    assert verification(client)["verdict"] == "verified"
    return LOT


# --------------------------------------------------------------------------------- helpers


def verification(client: TestClient, code: str = LOT) -> dict[str, Any]:
    return cast(dict[str, Any], client.get(f"/api/v1/lots/{code}/verification").json())


def event_entry(body: dict[str, Any], event_id: str) -> dict[str, Any]:
    (entry,) = [e for e in body["events"] if e["id"] == event_id]
    return entry


def offline(runtime: Runtime, client: TestClient, code: str = LOT) -> BundleResult:
    """``verify-proof``'s check of the lot's bundle, the chain reached through the real contract."""
    chain = runtime.chain
    assert chain is not None
    bundle = client.get(f"/api/v1/lots/{code}/proof").json()
    return check_bundle(
        bundle, lambda address: ClientRegistry(chain, address), contract=chain.contract_address
    )


def offline_codes(result: BundleResult, event_id: str) -> list[str]:
    (event,) = [e for e in result.events if e.id == event_id]
    return [f.code for f in event.findings]


def org_row(session: Session, slug: str) -> Organisation:
    return session.exec(select(Organisation).where(Organisation.slug == slug)).one()


def custodial_account(runtime: Runtime, slug: str) -> LocalAccount:
    """The organisation's active custodial key, as the server holds it."""
    with Session(runtime.engine) as session:
        return org_keys.signing_key(session, org_row(session, slug), runtime.settings)


def domain(runtime: Runtime, verifying_contract: str | None = None) -> SigningDomain:
    """The registry in use's domain, or the same chain's for ``verifying_contract``."""
    chain = runtime.chain
    assert chain is not None and chain.contract_address is not None
    address = verifying_contract or chain.contract_address
    return SigningDomain(chain_id=chain.chain_id, verifying_contract=address)


def forge_note(
    runtime: Runtime,
    *,
    signed_by: LocalAccount | None,
    signer_column: str,
    code: str = LOT,
    text: str = "Đạt chuẩn xuất khẩu",
    verifying_contract: str | None = None,
) -> str:
    """Insert a note after the lot's newest event; signed by ``signed_by`` (None: unsigned)
    for the registry in use, or for ``verifying_contract``."""
    newest = max(events(runtime.engine, lot_code=code), key=lambda e: e.lot_seq or 0)
    previous = read_document(bytes(newest.canonical or b""))
    assert previous["type"] == "note" and previous["seq"] >= 2
    seq = int(previous["seq"]) + 1
    document = {
        **previous,
        "id": str(uuid.uuid4()),
        "seq": seq,
        "prev": newest.event_hash,
        "data": {"text": text},
    }
    raw = canonical_bytes(document)
    event_hash = keccak(raw)
    signature = None
    if signed_by is not None:
        typed = event_typed_data(
            domain(runtime, verifying_contract),
            org_key=org_key(document["org"]),
            lot_key=lot_key(code),
            seq=seq,
            event_hash=event_hash,
        )
        signature = sign_typed_data(typed, bytes(signed_by.key))
    values = {
        "id": document["id"],
        "lot_id": newest.lot_id,
        "type": EventType.NOTE,
        "occurred_at": newest.occurred_at,
        "recorded_at": newest.recorded_at,
        "org_id": newest.org_id,
        "location": newest.location,
        "data": document["data"],
        "event_hash": to_hex(event_hash),
        "schema_version": 2,
        "lot_seq": seq,
        "prev_hash": newest.event_hash,
        "canonical": raw,
        "signature": signature,
        "signer": signer_column,
    }
    with runtime.engine.begin() as connection:
        connection.execute(insert(cast(Table, Event.__table__)).values(**values))
        lots = cast(Table, Lot.__table__)
        connection.execute(update(lots).where(lots.c.id == newest.lot_id).values(last_seq=seq))
    return str(document["id"])


# ----------------------------------------------------------------------------------- tests


def test_an_unsigned_event_written_behind_the_apps_back_never_verifies(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    assert offline(runtime, client).exit_code == 0
    htx_key = custodial_account(runtime, "htx").address
    forged = forge_note(runtime, signed_by=None, signer_column=htx_key)

    before = event_entry(verification(client), forged)
    anchor_everything(runtime)
    body = verification(client)
    after = event_entry(body, forged)

    assert (before["verdict"], before["reason_code"]) == ("tampered", "tampered_unsigned")
    assert after["batch_status"] == "confirmed" and after["block_number"] is not None
    assert (after["verdict"], after["reason_code"]) == ("tampered", "tampered_unsigned")
    assert "HTX Mỹ Xương" in after["reason_vi"] and after["signer"] is None
    assert body["verdict"] == "tampered"
    result = offline(runtime, client)
    assert result.exit_code == 1 and offline_codes(result, forged) == ["proof_unsigned"]


def test_a_signature_by_another_organisations_key_is_named(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    other = custodial_account(runtime, "htx2")  # active on chain, but for HTX2
    htx_key = custodial_account(runtime, "htx").address
    forged = forge_note(runtime, signed_by=other, signer_column=htx_key)
    anchor_everything(runtime)

    entry = event_entry(verification(client), forged)

    assert (entry["verdict"], entry["reason_code"]) == ("tampered", "tampered_signer_foreign")
    assert other.address in entry["reason_en"] and "HTX Mỹ Xương" in entry["reason_en"]
    assert entry["signer"]["address"] == other.address and entry["signer"]["confirmed"] is False
    result = offline(runtime, client)
    assert result.exit_code == 1 and offline_codes(result, forged) == ["proof_signer_foreign"]


def test_a_revoked_key_signs_nothing_anchored_after_its_revocation(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    old = custodial_account(runtime, "htx")
    with Session(runtime.engine) as session:
        htx = org_row(session, "htx")
        new = org_keys.create_custodial_key(session, htx, runtime.settings)
        org_keys.revoke_key(session, htx, address=old.address)
        session.commit()
        new_address = new.address
    anchor_everything(runtime)  # the rotation reaches the chain
    assert offline(runtime, client).exit_code == 0  # what the old key signed before still holds
    assert verification(client)["verdict"] == "verified"

    forged = forge_note(runtime, signed_by=old, signer_column=new_address)
    anchor_everything(runtime)
    body = verification(client)
    entry = event_entry(body, forged)

    assert (entry["verdict"], entry["reason_code"]) == ("tampered", "tampered_signer_revoked")
    assert old.address in entry["reason_vi"]
    earlier = [e for e in body["events"] if e["id"] != forged]
    assert [e["verdict"] for e in earlier] == ["verified", "verified"]
    assert {e["signer"]["address"] for e in earlier} == {old.address}
    result = offline(runtime, client)
    assert result.exit_code == 1 and offline_codes(result, forged) == ["proof_signer_revoked"]
    assert {e.outcome for e in result.events if e.id != forged} == {"valid"}


def test_a_key_registered_only_after_the_anchoring_does_not_count(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    late = cast(LocalAccount, Account.create())
    htx_key = custodial_account(runtime, "htx").address
    forged = forge_note(runtime, signed_by=late, signer_column=htx_key)
    anchor_everything(runtime)
    assert event_entry(verification(client), forged)["reason_code"] == "tampered_signer_foreign"

    with Session(runtime.engine) as session:
        org_keys.register_key(
            session, org_row(session, "htx"), address=late.address, custody="client"
        )
        session.commit()
    anchor_everything(runtime)
    entry = event_entry(verification(client), forged)

    assert (entry["verdict"], entry["reason_code"]) == ("tampered", "tampered_signer_later")
    result = offline(runtime, client)
    assert result.exit_code == 1 and offline_codes(result, forged) == ["proof_signer_later"]


def test_the_signature_proves_authorship_whatever_path_the_row_took(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    """A key the organisation holds itself, registered on chain, signs an event that verifies
    even inserted by SQL: the verifier trusts the signature and the chain, not the app."""
    own = cast(LocalAccount, Account.create())
    with Session(runtime.engine) as session:
        org_keys.register_key(
            session, org_row(session, "htx"), address=own.address, custody="client"
        )
        session.commit()
    anchor_everything(runtime)
    signed = forge_note(runtime, signed_by=own, signer_column=own.address, text="Đóng thùng")
    anchor_everything(runtime)

    entry = event_entry(verification(client), signed)

    assert entry["verdict"] == "verified"
    assert entry["signer"] == {
        "address": own.address,
        "org": "htx",
        "custody": "client",
        "confirmed": True,
    }
    assert offline(runtime, client).exit_code == 0
    page = client.get(f"/l/{LOT}", params={"lang": "en"}).text
    short = f"{own.address[:6]}…{own.address[-4:]}"
    assert f"Signed by HTX Mỹ Xương, key {short}" in page
    assert "key held by the organisation" in page


def test_the_consumer_page_names_the_signer_and_the_custody(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    key = custodial_account(runtime, "htx").address
    short = f"{key[:6]}…{key[-4:]}"

    vi = client.get(f"/l/{LOT}", params={"lang": "vi"}).text
    en = client.get(f"/l/{LOT}", params={"lang": "en"}).text

    signers = re.findall(r'<p class="signer">(.*?)</p>', vi)
    assert len(signers) == 2
    assert all(f"Ký bởi HTX Mỹ Xương, khoá {short}" in line for line in signers)
    assert "ký bởi nền tảng thay mặt HTX Mỹ Xương" in vi
    assert f"Signed by HTX Mỹ Xương, key {short}" in en
    assert "signed by the platform on behalf of HTX Mỹ Xương" in en


def test_a_forged_event_names_no_signer_on_the_page(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    other = custodial_account(runtime, "htx2")
    forge_note(runtime, signed_by=other, signer_column=custodial_account(runtime, "htx").address)
    anchor_everything(runtime)

    page = client.get(f"/l/{LOT}", params={"lang": "vi"}).text

    assert 'data-verdict="tampered"' in page
    assert len(re.findall(r'<p class="signer">', page)) == 2  # the two genuine events only
