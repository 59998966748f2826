"""The judgement memo (``event_memo``): a second read of the same state judges nothing again,
and every input it is keyed by — each column of the row, a new head block — makes the next
read judge afresh, so an edit behind the application's back after a remembered read is still
caught."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, update

from backend.chain.fact_cache import ChainFactCache
from backend.hashing import canonical_bytes, read_document
from backend.models import Event
from backend.runtime import Runtime
from backend.services.verification import engine
from backend.services.verification.chain_view import ChainView
from backend.services.verification.event_memo import JUDGEMENTS, JudgementMemo, judgement_key
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything, events, harvest, note

LOT = "LO-MEMO"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def lot(runtime: Runtime, supply_chain: Actors, client: TestClient) -> str:
    harvest(supply_chain, LOT)
    note(supply_chain, LOT, "Tỉa cành")
    anchor_everything(runtime)
    assert verification(client)["verdict"] == "verified"
    # A first read finds its anchors on the node (with their depth), later ones in the
    # process's cache of final anchors: the second read's facts are the ones that last.
    assert verification(client)["verdict"] == "verified"
    return LOT


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the events the engine judges (rather than finds remembered), in order."""
    seen: list[str] = []
    judge = engine._judge_event

    def counting(event: Event, *args: Any) -> Any:
        seen.append(event.id)
        return judge(event, *args)

    monkeypatch.setattr(engine, "_judge_event", counting)
    return seen


def verification(client: TestClient) -> dict[str, Any]:
    return cast(dict[str, Any], client.get(f"/api/v1/lots/{LOT}/verification").json())


def verdicts(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["id"], e["verdict"], e["reason_code"]) for e in body["events"]]


def test_a_second_read_of_the_same_state_judges_nothing_again(
    runtime: Runtime, client: TestClient, lot: str, judged: list[str]
) -> None:
    first = verification(client)
    assert judged == []  # the lot fixture's reads left every judgement remembered
    second = verification(client)
    assert judged == []
    assert second["events"] == first["events"] and second["verdict"] == "verified"


def test_a_new_head_block_judges_every_event_again(
    runtime: Runtime, client: TestClient, lot: str, judged: list[str]
) -> None:
    chain = runtime.chain
    assert chain is not None
    before = verification(client)
    chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    after = verification(client)
    assert sorted(judged) == sorted(e["id"] for e in before["events"])
    assert verdicts(after) == verdicts(before)


def _other_canonical(event: Event) -> dict[str, Any]:
    document = read_document(bytes(event.canonical or b""))
    return {"canonical": canonical_bytes({**document, "data": {"text": "Sửa sau"}})}


EDITS: dict[str, tuple[Callable[[Event], dict[str, Any]], str]] = {
    "canonical": (_other_canonical, "tampered_hash"),
    "event_hash": (lambda e: {"event_hash": "0x" + "ab" * 32}, "tampered_hash"),
    "leaf": (lambda e: {"leaf": "0x" + "cd" * 32}, "tampered_leaf"),
    "merkle_proof": (lambda e: {"merkle_proof": ["0x" + "ef" * 32]}, "tampered_proof"),
    "signature": (lambda e: {"signature": "0x" + "12" * 65}, "tampered_signature_invalid"),
}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_a_row_edited_after_a_remembered_read_is_judged_again(
    runtime: Runtime, client: TestClient, lot: str, judged: list[str], column: str
) -> None:
    newest = max(events(runtime.engine, lot_code=LOT), key=lambda e: e.lot_seq or 0)
    edit, reason = EDITS[column]
    table = cast(Table, Event.__table__)
    with runtime.engine.begin() as connection:  # as an outside editor of the database would
        connection.execute(update(table).where(table.c.id == newest.id).values(**edit(newest)))

    body = verification(client)

    assert judged == [newest.id]  # only the edited row missed the memo
    entry = next(e for e in body["events"] if e["id"] == newest.id)
    assert (entry["verdict"], entry["reason_code"]) == ("tampered", reason)
    assert body["verdict"] == "tampered"


def _v2_row(**changes: Any) -> Any:
    row = {
        "id": "e1",
        "schema_version": 2,
        "canonical": b"{}",
        "event_hash": "0x00",
        "batch_id": None,
        "leaf": None,
        "merkle_proof": None,
        "signature": None,
    }
    return SimpleNamespace(**{**row, **changes})


def test_no_key_without_a_chain_head_for_rules_v1_or_for_a_proof_of_another_shape(
    runtime: Runtime,
) -> None:
    chain = runtime.chain
    assert chain is not None
    up = ChainView(chain, ChainFactCache())
    down = ChainView(None, ChainFactCache())

    def key(row: Any, view: ChainView) -> Any:
        return judgement_key(row, "LO-1", None, None, view)

    assert key(_v2_row(), up) is not None
    assert key(_v2_row(), down) is None
    assert key(_v2_row(schema_version=1), up) is None
    assert key(_v2_row(merkle_proof={"not": "a list"}), up) is None
    unhashable = key(_v2_row(merkle_proof=["0x01", {"step": 2}]), up)
    assert unhashable is not None and JUDGEMENTS.get(unhashable) is None
    assert key(_v2_row(merkle_proof=["0x01"]), up) != key(_v2_row(merkle_proof=["0x02"]), up)


def test_the_memo_keeps_its_newest_entries_within_its_size() -> None:
    memo = JudgementMemo(size=2)
    check = SimpleNamespace(
        finding=None, computed_hash=None, document=None, recorded_late=False, signer=None
    )
    for name in ("a", "b", "c"):
        memo.remember(name, cast(Any, check))
    assert len(memo) == 2 and memo.get("a") is None and memo.get("c") is not None
    memo.remember(("d", ["a list"]), cast(Any, check))  # no key can hold it: nothing kept
    assert len(memo) == 2 and memo.get(("d", ["a list"])) is None
