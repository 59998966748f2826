"""Property: after one edit of the database behind the application's back, no page shows a
changed value as verified (issue 14, rules v2).

Hypothesis draws a small ledger (tamper_world.py: one to three harvest lots, notes, quality
checks, transfers, maybe a split and a recall, batches closing after a random subset of the
writes) and one edit of a column a consumer can be shown, or of the record itself
(tamper_edits.py, tamper_records.py). Every lot's pages (Vietnamese, English), the page's JSON
and the verification JSON are read before and after the edit, and for every lot:

1. an event entry showing the written value (its marker) is not ``verified``; the value shows
   outside the event entries only on a page that reads ``tampered``;
2. a lot the edit broke (a stored document changed, an anchored event deleted or moved, a row
   forged beside the anchored ones, a link cut or added, a batch root or the heads root the
   chain holds now unknown), and every lot split from it, reads ``tampered``;
3. a lot whose not-yet-anchored tail changed (an event forged after the newest in no batch, a
   pending event deleted or rewritten with its hash) may read ``pending``, or ``verified`` once
   the pending part is gone: the rules cannot tell that from a write not anchored yet;
4. every other lot reads exactly as before. These are the edits that may legitimately leave
   ``verified``: the columns beside the stored documents (an event's ``data``, ``location``,
   ``org_id``, ``lot_seq``, ``prev_hash``), the rows copied into the documents when recorded
   (product, farm, organisation, the lot's quantity, unit and harvest time), a batch's
   transaction, block and previous heads root, the heads root of a batch the chain has moved
   past: the pages take all of them from the verified documents and the chain.

Edits that still leak are in :data:`OPEN`, each pinned by a focused test below (strict
``xfail``) and left out of the drawing until it passes. Each example builds its own database
and chain, so the property is ``slow`` (about a minute and a half per database).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from backend.runtime import Runtime
from tests.security.tamper_edits import FACT_EDITS, Tamper
from tests.security.tamper_records import RECORD_EDITS
from tests.security.tamper_world import (
    Ledger,
    Plan,
    Surface,
    build_ledger,
    fresh_ledger,
    html_entries,
    html_outside_entries,
    json_events,
    json_outside_events,
    plans,
    surfaces,
)
from tests.support.app import Actors
from tests.support.custody import hand_over
from tests.support.ledger_flow import anchor_everything, events, execute, harvest, note

EDITS = {**FACT_EDITS, **RECORD_EDITS}
#: The edits drawn, in families so that every run reaches each kind of edit.
FAMILIES: dict[str, tuple[str, ...]] = {
    "facts": (
        "product.name_vi",
        "product.name_en",
        "product.gtin",
        "product.gtin.link",
        "farm.name",
        "farm.commune",
        "farm.province",
        "farm.growing_area_code",
        "farm.certifications",
        "organisation.name",
        "organisation.name.receiver",
        "lot.quantity",
        "lot.unit",
        "lot.harvested_at",
        "lot.farm_id",
        "lot.product_id",
        "lot.recall_reason",
        "lot.recall_forged",
        "lot.recall_cleared",
    ),
    "columns": (
        "event.data",
        "event.location",
        "event.org_id",
        "event.lot_seq",
        "event.prev_hash",
        "event.lot_id",
        "event.type",
        "event.occurred_at",
        "event.queue_order",
    ),
    "documents": (
        "event.canonical",
        "event.canonical+hash",
        "event.canonical+hash+leaf",
        "event.event_hash",
        "event.leaf",
        "event.delete",
        "event.unanchored",
    ),
    "forgeries": (
        "forged.pending",
        "forged.unchained",
        "forged.in_batch",
        "forged.same_seq",
        "lotlink.delete",
        "lotlink.insert",
        "lotlink.kind",
        "lotlink.insert.cycle",
    ),
    "chain": (
        "batch.tx_hash",
        "batch.block_number",
        "batch.root",
        "batch.heads_root",
        "batch.prev_heads_root",
        "chainaction.tx_hash",
    ),
}
#: Edits a page still shows: each with the test below that pins it down.
OPEN: dict[str, str] = {}
PROPERTY = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAMILIES))
@PROPERTY
@given(plan=plans(), data=st.data(), pick=st.integers(0, 60))
def test_no_page_shows_an_edited_value_as_verified(
    database_url: str, tmp_path: Path, family: str, plan: Plan, data: st.DataObject, pick: int
) -> None:
    name = data.draw(st.sampled_from(FAMILIES[family]), label="edit")
    with fresh_ledger(database_url, tmp_path) as ledger:
        build_ledger(ledger, plan)
        before = surfaces(ledger)
        tamper = EDITS[name](ledger, pick)
        if tamper is None:  # nothing of the kind in this ledger (no split, say)
            reject()
        check_every_lot(ledger, tamper, before, surfaces(ledger))


def test_every_edit_is_drawn_or_pinned_by_a_test_of_its_own() -> None:
    drawn = [name for names in FAMILIES.values() for name in names]
    assert sorted(drawn + list(OPEN)) == sorted(EDITS)
    assert all(name in globals() for name in OPEN.values())


def check_every_lot(
    ledger: Ledger, tamper: Tamper, before: dict[str, Surface], after: dict[str, Surface]
) -> None:
    for code in ledger.codes:
        was, now = before[code], after[code]
        where = f"{tamper.edit} ({tamper.detail}), lot {code}: {was.verdict} → {now.verdict}"
        for marker in tamper.markers:
            assert marker not in "".join(was.texts().values()), f"{where}: {marker!r} was there"
            shown_only_as_unproven(now, marker, where)
        if code in tamper.broken:
            assert now.verdict == "tampered", where
        elif code not in tamper.reshaped:
            for surface, text in now.texts().items():
                assert text == was.texts()[surface], f"{where}: {surface} changed"
    for link in tamper.links:
        response = ledger.client.get(link, headers={"Accept": "application/json"})
        answered = response.json().get("verdict") if response.status_code == 200 else None
        assert answered in (None, "tampered"), f"{tamper.edit}: {link} answers {answered}"


def shown_only_as_unproven(now: Surface, marker: str, where: str) -> None:
    """Rule 1 for one marker on one lot's surfaces."""
    for lang, page in now.html.items():
        for verdict, entry in html_entries(page):
            assert not (marker in entry and verdict == "verified"), f"{where}: html_{lang} {entry}"
        if marker in html_outside_entries(page):
            assert now.verdict == "tampered", f"{where}: html_{lang} shows {marker!r}"
    for surface, body in (("page_json", now.page_json), ("api_json", now.api_json)):
        for event in json_events(body):
            text = json.dumps(event, ensure_ascii=False)
            assert not (marker in text and event["verdict"] == "verified"), f"{where}: {text}"
        if marker in json_outside_events(body):
            assert now.verdict == "tampered", f"{where}: {surface} shows {marker!r}"


def test_the_checks_refuse_an_edited_value_on_a_verified_page_only() -> None:
    """Rule 1 itself: a pending entry may show a marker; a verified one or the page may not."""

    def surface(verdict: str, entry: str, outside: str = "") -> Surface:
        page = f'<li class="c-{entry}" data-verdict="{entry}"><p>GIẢ-1</p></li>{outside}'
        body = {"verdict": verdict, "events": [{"verdict": entry, "data": "GIẢ-1"}]}
        return Surface(verdict, {"vi": page}, body, body)

    shown_only_as_unproven(surface("pending", "pending"), "GIẢ-1", "")
    for refused in (surface("verified", "verified"), surface("pending", "pending", "GIẢ-1")):
        with pytest.raises(AssertionError):
            shown_only_as_unproven(refused, "GIẢ-1", "")


# ------------------------------------------------- open leaks, one focused test for each


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    """The in-process chain with its registry; the tests drive the anchoring passes."""
    return chain_runtime


def _page(client: TestClient, code: str) -> str:
    return client.get(f"/l/{code}?lang=vi").text


def _verification(client: TestClient, code: str) -> dict[str, Any]:
    return client.get(f"/api/v1/lots/{code}/verification").json()


def _anchored_lot(runtime: Runtime, supply_chain: Actors, *notes: str) -> None:
    """Lot LO-P harvested and noted, each write anchored in a batch of its own."""
    harvest(supply_chain, "LO-P")
    anchor_everything(runtime)
    for text in notes:
        note(supply_chain, "LO-P", text)
        anchor_everything(runtime)


def test_the_verification_json_names_types_and_times_as_the_documents_do(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    """A note not anchored yet, its columns edited: the lot reads pending, naming a note."""
    _anchored_lot(runtime, supply_chain)
    pending = note(supply_chain, "LO-P", "Tưới nước")
    sql = "UPDATE event SET type = 'RETAIL', occurred_at = '2031-08-21 09:10:11' WHERE id = :i"
    execute(runtime.engine, sql, i=pending)
    body = _verification(client, "LO-P")
    assert body["verdict"] == "pending"
    assert body["events"][-1]["type"] == "note"
    assert body["events"][-1]["occurred_at"] == "2026-05-02T08:00:00Z"
    assert "retail" not in json.dumps(body).lower()


ORDER_EDITS = {
    "queue": "UPDATE event SET seq = :to WHERE seq = :was",  # the two swap places in the queue
    "time": "UPDATE event SET occurred_at = '2031-08-21 09:10:11' WHERE seq = :was",
}


@pytest.mark.parametrize("edit", sorted(ORDER_EDITS))
def test_events_are_listed_in_the_order_of_their_documents(
    runtime: Runtime, supply_chain: Actors, client: TestClient, edit: str
) -> None:
    _anchored_lot(runtime, supply_chain, "Lần thứ nhất", "Lần thứ hai")
    first, second = events(runtime.engine, lot_code="LO-P")[1:]
    moves = ((first.seq, 10_000), (second.seq, first.seq), (10_000, second.seq))
    for was, to in moves if edit == "queue" else ((first.seq, None),):
        execute(runtime.engine, ORDER_EDITS[edit], was=was, to=to)
    page = _page(client, "LO-P")
    assert _verification(client, "LO-P")["verdict"] == "verified"
    assert page.index("Lần thứ nhất") < page.index("Lần thứ hai")
    listed = [e["id"] for e in _verification(client, "LO-P")["events"]]
    assert listed.index(first.id) < listed.index(second.id)


def test_a_transfer_names_its_receiver_as_recorded(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-P")
    hand_over(supply_chain.post, "LO-P", "htx", "dg")
    note(supply_chain, "LO-P", "Đã nhận hàng", org="dg")
    anchor_everything(runtime)
    execute(runtime.engine, "UPDATE organisation SET name = 'Kho GIẢ' WHERE slug = 'dg'")
    assert _verification(client, "LO-P")["verdict"] == "verified"
    page = _page(client, "LO-P")
    assert "Kho GIẢ" not in page
    assert "Bàn giao cho Đóng gói Sa Đéc" in page


LINK_EDITS = {
    "kind": "UPDATE lotlink SET kind = 'MERGE'",
    "loop": "INSERT INTO lotlink SELECT c.id, p.id, 'MERGE', '1' FROM lot c, lot p "
    "WHERE c.code = 'LO-P-A' AND p.code = 'LO-P'",
}


@pytest.mark.parametrize("edit", sorted(LINK_EDITS))
def test_the_ancestry_shown_rests_on_the_documents(
    runtime: Runtime, supply_chain: Actors, client: TestClient, edit: str
) -> None:
    """A split child's page keeps saying "split from the harvest lot" whatever the links say
    (a link from the child back to its parent leaves the documents' line as it was)."""
    harvest(supply_chain, "LO-P")
    body = {"children": [{"code": "LO-P-A", "quantity": "100"}]}
    supply_chain.post("/api/v1/lots/LO-P/split", "htx", body)
    anchor_everything(runtime)
    before = _page(client, "LO-P-A")
    execute(runtime.engine, LINK_EDITS[edit])
    assert _verification(client, "LO-P-A")["verdict"] == "verified"
    assert _page(client, "LO-P-A") == before


RECALL_EDITS = {
    "reason": "UPDATE lot SET recall_reason = 'Lý do GIẢ' WHERE code = 'LO-R'",
    "cleared": "UPDATE lot SET recalled_at = NULL WHERE code = 'LO-R'",
    "forged": "UPDATE lot SET recalled_at = '2026-06-01 00:00:00', recall_reason = 'GIẢ' "
    "WHERE code = 'LO-P'",
}


@pytest.mark.parametrize("edit", sorted(RECALL_EDITS))
def test_the_recall_banner_rests_on_the_recall_record(
    runtime: Runtime, supply_chain: Actors, client: TestClient, edit: str
) -> None:
    """A recalled lot's banner keeps the reason and date its recall recorded; a lot that no
    record recalls shows no recall."""
    _anchored_lot(runtime, supply_chain)
    harvest(supply_chain, "LO-R")
    supply_chain.post("/api/v1/lots/LO-R/recall", "ql", {"reason": "Nhiễm nấm mốc"})
    anchor_everything(runtime)
    before = {code: _page(client, code) for code in ("LO-P", "LO-R")}
    execute(runtime.engine, RECALL_EDITS[edit])
    for code, page in before.items():
        assert _page(client, code) == page or _verification(client, code)["verdict"] == "tampered"


def test_a_milestone_transaction_shown_is_the_chains(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    _anchored_lot(runtime, supply_chain)
    forged = "0x" + "4f" * 32
    execute(runtime.engine, "UPDATE chainaction SET tx_hash = :t", t=forged)
    body = _verification(client, "LO-P")
    assert body["verdict"] == "verified"
    assert forged not in json.dumps(body)


def test_a_digital_link_naming_another_gtin_is_not_the_lots(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    genuine, forged = "08934567890120", "08939999999991"
    supply_chain.gs1_prefix("htx", "8934567")
    supply_chain.post(
        "/api/v1/products", "htx", {"code": "buoi", "name_vi": "Bưởi", "gtin": genuine}
    )
    harvest(supply_chain, "LO-G", product="buoi")
    anchor_everything(runtime)
    execute(runtime.engine, "UPDATE product SET gtin = :g WHERE code = 'buoi'", g=forged)
    json_only = {"Accept": "application/json"}
    assert client.get(f"/01/{forged}/10/LO-G", headers=json_only).status_code == 404
    answer = client.get(f"/01/{genuine}/10/LO-G", headers=json_only)
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "verified"
