"""The mapping table of docs/epcis.md, one SenTrace document type at a time (no database)."""

from __future__ import annotations

from typing import Any

from backend.services.interop.epcis.mapping import LotFacts, Mapper
from backend.services.interop.epcis.validation import errors_of
from backend.services.interop.epcis.vocabulary import Vocabulary

BASE = "https://truyxuat.example.vn"
VOC = Vocabulary(BASE)
LOT = LotFacts(code="DT-1", gtin=None, unit="kg")
COMMITTED = {"commitment": "0x" + "ab" * 32}


def mapped(kind: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    document = {
        "type": kind,
        "occurred_at": "2026-05-02T08:00:00Z",
        "org": "htx",
        "data": data,
        **extra,
    }
    return Mapper(VOC).event(document, LOT)


def valid(event: dict[str, Any]) -> bool:
    document = {
        "@context": VOC.context(),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-05-03T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    return errors_of(document) == []


def test_a_transfer_is_shipping_to_its_receiver() -> None:
    event = mapped("transfer", {"from": {"org": "htx"}, "to": {"org": "dg", "name": "DG"}})
    assert (event["bizStep"], event["disposition"]) == ("shipping", "in_transit")
    assert event["destinationList"] == [
        {"type": "owning_party", "destination": f"{BASE}/id/org/dg"}
    ]
    assert valid(event)


def test_the_receivers_acceptance_is_receiving() -> None:
    event = mapped("transfer_received", {"shipment": "s-1"})
    assert (event["bizStep"], event["disposition"]) == ("receiving", "in_progress")
    assert event["readPoint"] == {"id": f"{BASE}/id/org/htx"}
    assert valid(event)


def test_a_recall_is_the_recalled_disposition() -> None:
    event = mapped("recall", {"reason": "Dư lượng"})
    assert event["disposition"] == "recalled"
    assert event["sentrace:recallReason"] == "Dư lượng"
    assert valid(event)


def test_processing_is_a_transformation_with_quantities_in_kilograms() -> None:
    event = mapped("processing", {"quantity_in": "100", "quantity_out": "92.5", "loss": "7.5"})
    assert event["type"] == "TransformationEvent"
    assert event["inputQuantityList"] == [
        {"epcClass": f"{BASE}/l/DT-1", "quantity": 100, "uom": "KGM"}
    ]
    assert event["outputQuantityList"][0]["quantity"] == 92.5
    assert valid(event)


def test_a_merge_takes_its_sources_in_and_the_merged_lot_out() -> None:
    sources = [{"code": "A", "quantity": "10"}, {"code": "B", "quantity": "5"}]
    event = mapped("merge", {"sources": sources})
    assert [q["epcClass"] for q in event["inputQuantityList"]] == [f"{BASE}/l/A", f"{BASE}/l/B"]
    assert event["outputQuantityList"] == [
        {"epcClass": f"{BASE}/l/DT-1", "quantity": 15, "uom": "KGM"}
    ]
    assert valid(event)


def test_an_input_application_has_a_business_step_uri_and_no_private_value() -> None:
    data = {
        "product": "Abamectin 1.8EC",
        "active_ingredient": "abamectin",
        "dose": "0.5",
        "unit": "l/ha",
        "pre_harvest_interval_days": 7,
        "operator": COMMITTED,
    }
    event = mapped("input_application", data)
    assert event["bizStep"] == f"{BASE}/ns/epcis/BizStep-input_application"
    facts = event["sentrace:inputApplication"]
    assert facts["sentrace:activeIngredient"] == "abamectin"
    assert "sentrace:operator" not in facts
    assert valid(event)


def test_a_harvest_commissions_the_lot_with_its_master_data() -> None:
    farm = {
        "code": "F-01",
        "name": COMMITTED,
        "commune": "Mỹ Xương",
        "province": "Đồng Tháp",
        "growing_area_code": "VN-DT-0001",
        "certifications": [{"scheme": "GlobalG.A.P.", "number": "4063061000000"}],
        "point": COMMITTED,
    }
    facts = {"product": {"code": "xoai", "gtin": None}, "farm": farm, "unit": "kg"}
    data = {"product": "xoai", "farm": "F-01", "quantity": "1250.5", "unit": "kg"}
    event = mapped("harvest", data, lot_facts=facts)
    assert (event["action"], event["bizStep"]) == ("ADD", "commissioning")
    assert event["quantityList"][0]["quantity"] == 1250.5
    assert event["ilmd"]["sentrace:growingAreaCode"] == "VN-DT-0001"
    assert event["ilmd"]["sentrace:harvestDate"] == "2026-05-02"
    assert event["certificationInfo"] == [f"{BASE}/id/certificate/GlobalG.A.P./4063061000000"]
    assert "commitment" not in str(event)
    assert valid(event)


def test_a_lot_with_a_gtin_is_named_by_gs1_digital_link() -> None:
    lot = LotFacts(code="DT 1/A", gtin="08935000000014", unit="kg")
    event = Mapper(VOC).event(
        {"type": "packing", "occurred_at": "2026-05-02T08:00:00Z", "org": "dg", "data": {}}, lot
    )
    assert event["quantityList"] == [
        {"epcClass": "https://id.gs1.org/01/08935000000014/10/DT%201%2FA"}
    ]
    assert event["bizStep"] == "packing"
