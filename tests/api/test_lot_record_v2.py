"""``GET /api/v1/lots/{code}`` for a rules-v2 lot shows what its verified documents state and
what the chain answers, whatever the rows beside them say; a rules-v1 lot still reads rows.

Each event is anchored in a batch of its own, as a real server's 30-second batches leave them.
The edits are SQL behind the application's back, as someone who runs the database could make.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.runtime import Runtime
from tests.support.app import ADMIN, Actors, harvest_body
from tests.support.bodies import A_HASH, A_UUID
from tests.support.custody import hand_over
from tests.support.ledger_flow import anchor_everything, execute, note, set_event_json

LOT = "LO-V2-REC"
FORGED_TX = "0x" + "ab" * 32


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2, "rate_limit_per_minute": 0}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


def record(client: TestClient, code: str = LOT) -> dict[str, Any]:
    response = client.get(f"/api/v1/lots/{code}", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def anchored(runtime: Runtime, supply_chain: Actors) -> dict[str, Any]:
    """A harvest on a farm with a GPS point, a note and a transfer, one batch each; returns
    the record as the API shows it before anything is edited."""
    farm = {"code": "F-GPS", "name": "Vườn xoài Tư Hùng", "commune": "Mỹ Xương",
            "growing_area_code": "VN-DT-0042", "lat": "10.4521", "lon": "105.6331"}  # fmt: skip
    supply_chain.post("/api/v1/farms", "htx", farm)
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT, farm="F-GPS"))
    anchor_everything(runtime)
    note(supply_chain, LOT, "Tỉa cành sau thu hoạch")
    anchor_everything(runtime)
    hand_over(supply_chain.post, LOT, "htx", "dg")
    anchor_everything(runtime)
    return record(supply_chain.client)


def test_a_rules_v2_record_states_its_facts_from_its_documents(anchored: dict[str, Any]) -> None:
    assert anchored["rules"] == 2
    assert anchored["verdict"] == "verified"
    assert anchored["verified_facts"] is True
    assert anchored["product"] == {
        "code": "xoai",
        "name_vi": "Xoài cát Hòa Lộc",
        "name_en": None,
        "gtin": None,
    }
    assert anchored["producer"] == {"slug": "htx", "name": "HTX Mỹ Xương"}
    assert anchored["farm"] == {
        "code": "F-GPS",
        "name": "Vườn xoài Tư Hùng",
        "commune": "Mỹ Xương",
        "province": "Đồng Tháp",
        "growing_area_code": "VN-DT-0042",
        "certifications": [],
        "private": ["point"],
    }
    assert (anchored["quantity"], anchored["remaining_quantity"]) == ("1000", "1000")
    assert (anchored["unit"], anchored["harvested_at"]) == ("kg", "2026-04-30T23:30:00Z")
    assert anchored["custodian"]["slug"] == "dg"
    _, tended, handed, received = anchored["events"]
    kinds = ["harvest", "note", "transfer", "transfer_received"]
    assert [e["type"] for e in anchored["events"]] == kinds
    assert [e["seq"] for e in anchored["events"]] == [1, 2, 3, 4]
    assert [e["org_name"] for e in anchored["events"]] == ["HTX Mỹ Xương"] * 3 + ["Đóng gói Sa Đéc"]
    assert tended["data"] == {"text": "Tỉa cành sau thu hoạch"}
    assert handed["data"] == {  # both sides named under the hash (proof rules 3.4)
        "from": {"org": "htx", "name": "HTX Mỹ Xương"},
        "to": {"org": "dg", "name": "Đóng gói Sa Đéc"},
        "shipment": A_UUID,
    }
    assert received["data"] == {"shipment": handed["data"]["shipment"], "transfer": A_HASH}
    for event in anchored["events"]:
        assert event["proven"] is True
        assert event["status"] == "anchored"
        assert event["tx_hash"] == A_HASH
        assert isinstance(event["block_number"], int)
        assert event["anchored_at"] is not None
    assert len({e["block_number"] for e in anchored["events"]}) == 3


def test_edited_rows_do_not_change_what_a_rules_v2_record_shows(
    runtime: Runtime, client: TestClient, anchored: dict[str, Any]
) -> None:
    engine = runtime.engine
    execute(engine, "UPDATE product SET name_vi = 'Xoài giả', gtin = '08930000000011'")
    execute(engine, "UPDATE farm SET name = 'Vườn giả', commune = 'Xã giả', province = 'Tỉnh giả'")
    execute(engine, "UPDATE farm SET growing_area_code = 'VN-XX-9999', certifications = '[]'")
    execute(engine, "UPDATE organisation SET name = 'HTX Giả' WHERE slug = 'htx'")
    execute(
        engine,
        "UPDATE lot SET quantity = '5', unit = 'tấn', harvested_at = :when WHERE code = :code",
        when="2020-01-01 00:00:00",
        code=LOT,
    )
    execute(engine, "UPDATE batch SET tx_hash = :tx, block_number = 999999", tx=FORGED_TX)
    note_id = anchored["events"][1]["id"]
    set_event_json(engine, note_id, "data", {"text": "Phun thuốc cấm"})
    moved = "UPDATE event SET occurred_at = :when WHERE id = :id"
    execute(engine, moved, when="2020-01-01 00:00:00", id=note_id)

    edited = record(client)
    assert edited == {**anchored, "verdict": "verified"}
    assert all(e["tx_hash"] != FORGED_TX for e in edited["events"])


def test_a_recall_is_read_from_its_document(
    runtime: Runtime, supply_chain: Actors, anchored: dict[str, Any]
) -> None:
    supply_chain.post(f"/api/v1/lots/{LOT}/recall", "ql", {"reason": "Dư lượng vượt ngưỡng"})
    anchor_everything(runtime)
    execute(
        runtime.engine,
        "UPDATE lot SET recalled_at = NULL, recall_reason = NULL WHERE code = :code",
        code=LOT,
    )
    shown = record(supply_chain.client)
    assert shown["recalled"] is True
    assert shown["recall_reason"] == "Dư lượng vượt ngưỡng"
    assert shown["recalled_at"] == shown["events"][-1]["occurred_at"]


def test_a_split_child_names_its_parent_and_quantities_from_documents(
    runtime: Runtime, supply_chain: Actors
) -> None:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT))
    body = {"children": [{"code": "LO-V2-A", "quantity": "400"}]}
    supply_chain.post(f"/api/v1/lots/{LOT}/split", "htx", body)
    anchor_everything(runtime)
    execute(runtime.engine, "DELETE FROM lotlink")
    execute(runtime.engine, "UPDATE lot SET quantity = '1'")

    parent, child = record(supply_chain.client), record(supply_chain.client, "LO-V2-A")
    assert (parent["quantity"], parent["remaining_quantity"]) == ("1000", "600")
    assert (child["quantity"], child["remaining_quantity"]) == ("400", "400")
    assert child["parents"] == [{"code": LOT, "kind": "split", "quantity": "400"}]
    assert child["farm"]["name"] == "Vườn ông Tư"
    assert child["verdict"] == "tampered"  # the deleted link is named by the verification


class TestRulesV1:
    """The same edits on a rules-v1 lot: the record reads rows, as it always did."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"event_schema": 1, "rate_limit_per_minute": 0}

    def test_a_rules_v1_record_reads_rows_and_has_no_rules_member(
        self, runtime: Runtime, supply_chain: Actors
    ) -> None:
        supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT))
        anchor_everything(runtime)
        execute(runtime.engine, "UPDATE product SET name_vi = 'Xoài giả'")
        execute(runtime.engine, "UPDATE farm SET name = 'Vườn giả'")
        execute(runtime.engine, "UPDATE lot SET quantity = '5', unit = 'tấn'")
        shown = record(supply_chain.client)
        assert "rules" not in shown and "producer" not in shown
        assert shown["product"]["name_vi"] == "Xoài giả"
        assert shown["farm"]["name"] == "Vườn giả"
        assert (shown["quantity"], shown["unit"]) == ("5", "tấn")
        assert shown["events"][0]["status"] == "anchored"
        assert set(shown["events"][0]) == {
            "id", "type", "occurred_at", "recorded_at", "org", "location", "data",
            "event_hash", "status", "batch_root",
        }  # fmt: skip
