"""What verification remembers between requests never hides an edited row.

Reads remember only chain facts and pure functions of their exact inputs: the registry's state
per block hash (heads root, key records), a signature's recovered signer, a Merkle or heads-map
fold. None of them is keyed by a lot or holds a verdict, so a row edited behind the
application's back after every cache is warm, with no new block in between, still reads
``tampered`` on the next request, on the API and on the consumer page alike. And state the
chain changes in a new block (here the heads root, moved by an anchoring) is read afresh.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, update

from backend.hashing import canonical_bytes, keccak, read_document, to_hex
from backend.models import Event
from backend.runtime import Runtime
from tests.support.app import Actors
from tests.support.ledger_flow import (
    anchor_everything,
    events,
    note,
    noted_and_anchored,
    set_event_json,
)

LOT = "LO-WARM"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def lot(runtime: Runtime, supply_chain: Actors, client: TestClient) -> str:
    """A harvest and four notes of HTX Mỹ Xương, signed and anchored through the application."""
    notes = ["Tỉa cành", "Bón phân hữu cơ", "Tưới nước", "Kiểm tra sâu bệnh"]
    return noted_and_anchored(runtime, supply_chain, LOT, notes)


def verification(client: TestClient) -> dict[str, Any]:
    return cast(dict[str, Any], client.get(f"/api/v1/lots/{LOT}/verification").json())


def set_columns(runtime: Runtime, event_id: str, **values: Any) -> None:
    """Overwrite columns of one event row, as an intruder with the database would."""
    table = cast(Table, Event.__table__)
    with runtime.engine.begin() as connection:
        connection.execute(update(table).where(table.c.id == event_id).values(**values))


def test_a_row_edited_after_every_cache_is_warm_reads_tampered_on_the_next_request(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    chain = runtime.chain
    assert chain is not None
    for _ in range(3):  # warm: final anchors, the head block's state, signers, proof folds
        assert verification(client)["verdict"] == "verified"
    assert len(runtime.chain_cache.blocks) >= 2  # the heads root and the key's record
    block = chain.block_number()

    notes = sorted(
        (e for e in events(runtime.engine, lot_code=lot) if e.lot_seq and e.lot_seq > 1),
        key=lambda e: e.lot_seq or 0,
    )
    text_edited, proof_edited, signature_taken, rehashed = notes
    # 1. The stored bytes say something else; the stored hash is left as anchored.
    document = read_document(bytes(text_edited.canonical or b""))
    set_columns(
        runtime,
        text_edited.id,
        canonical=canonical_bytes({**document, "data": {"text": "Không phun thuốc"}}),
    )
    # 2. A sibling of the Merkle proof flipped.
    proof = list(proof_edited.merkle_proof or [])
    proof[0] = to_hex(bytes(32)) if proof[0] != to_hex(bytes(32)) else to_hex(b"\x01" * 32)
    set_event_json(runtime.engine, proof_edited.id, "merkle_proof", proof)
    # 3. Another event's (valid) signature copied over this one's.
    set_columns(runtime, signature_taken.id, signature=text_edited.signature)
    # 4. New bytes with their own hash, consistent with each other but not with the anchor.
    changed = canonical_bytes(
        {**read_document(bytes(rehashed.canonical or b"")), "data": {"text": "Đã sửa"}}
    )
    set_columns(runtime, rehashed.id, canonical=changed, event_hash=to_hex(keccak(changed)))

    assert chain.block_number() == block  # no new block: the per-block answers still stand
    body = verification(client)
    reasons = {e["id"]: e["reason_code"] for e in body["events"]}
    assert body["verdict"] == "tampered"
    assert reasons[text_edited.id] == "tampered_hash"
    assert reasons[proof_edited.id] == "tampered_proof"
    assert reasons[signature_taken.id] == "tampered_signer_foreign"
    assert reasons[rehashed.id] == "tampered_leaf"
    page = client.get(f"/l/{lot}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'data-verdict="tampered"' in page.text


def test_the_heads_root_is_read_again_once_a_new_block_moves_it(
    runtime: Runtime, supply_chain: Actors, lot: str
) -> None:
    chain = runtime.chain
    assert chain is not None
    before = runtime.chain_view().heads_root()
    assert before == runtime.chain_view().heads_root() == chain.heads_root()

    note(supply_chain, lot, "Thu hoạch đợt hai")
    anchor_everything(runtime)  # a new batch: new blocks, a new heads root

    after = runtime.chain_view().heads_root()
    assert after == chain.heads_root() != before


def test_a_stored_leaf_is_compared_by_value_on_a_warm_read(
    runtime: Runtime, client: TestClient, lot: str
) -> None:
    """The computed leaf is remembered with its hex; a stored leaf in other letters is the same
    value (it stays verified), while another value reads ``tampered_leaf`` once warm."""
    for _ in range(2):
        assert verification(client)["verdict"] == "verified"
    first, second = sorted(
        (e for e in events(runtime.engine, lot_code=lot) if e.lot_seq and e.lot_seq > 1),
        key=lambda e: e.lot_seq or 0,
    )[:2]
    assert first.leaf is not None and second.leaf is not None
    set_columns(runtime, first.id, leaf="0x" + first.leaf[2:].upper())
    assert verification(client)["verdict"] == "verified"

    set_columns(runtime, second.id, leaf=first.leaf)
    body = verification(client)
    reasons = {e["id"]: e["reason_code"] for e in body["events"]}
    assert body["verdict"] == "tampered"
    assert reasons[second.id] == "tampered_leaf"
    assert reasons[first.id] == "verified"
