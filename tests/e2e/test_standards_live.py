"""The standards and compliance rules hold through a real ``sentrace serve``, over HTTP.

One server (SQLite, in-memory chain, no worker) and three custodial organisations made through
the API: cooperative ``htx`` (GS1 company prefix 8935000, product ``xoai`` with a GTIN under
it, farm ``F-01``, and ``F-A1`` for its growing area alone), packer ``dg`` and regulator
``ql``. Each test then
drives one rule end to end: the pre-harvest interval refusing a harvest, a growing area's
balance, the EPCIS 2.0 export, capture and query, the GS1 resolver's linkset, and a refused
shipment leaving the lot with its sender.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from backend.services.interop.epcis.event_hash import PROOF_MEMBER, event_id
from backend.services.interop.epcis.identifiers import gtin14
from backend.services.interop.epcis.validation import errors_of
from tests.compliance.test_phi_gate_api import refused_harvest
from tests.compliance.test_season_diary_api import spray
from tests.interop.epcis_support import gs1_validator
from tests.support.app import Actors, harvest_body
from tests.support.server import ServerProcess, server_env

PREFIX = "8935000"
GTIN = gtin14(PREFIX, "000001")
AREA = "VN-DT-XOAI-LIVE"
LD = {"Content-Type": "application/ld+json"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Actors]:
    """The server with htx, dg and ql, htx's GTIN product ``xoai``, its farms F-01 and F-A1."""
    root = tmp_path_factory.mktemp("standards")
    env = server_env(root / "data", chain_rpc_url="memory", worker_enabled=False)
    server = ServerProcess(env=env, log_path=root / "server.log").start()
    try:
        with server.client() as http:
            actors = Actors(http)  # type: ignore[arg-type]  # any httpx client serves
            actors.org("htx", "cooperative", "HTX Mỹ Xương")
            actors.org("dg", "packer", "Đóng gói Sa Đéc")
            actors.org("ql", "regulator", "Chi cục Trồng trọt Đồng Tháp")
            actors.gs1_prefix("htx", PREFIX)
            product = {"code": "xoai", "name_vi": "Xoài cát Chu", "gtin": GTIN}
            actors.post("/api/v1/products", "htx", product)
            farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
            actors.post("/api/v1/farms", "htx", farm)
            actors.post("/api/v1/farms", "htx", {**farm, "code": "F-A1", "growing_area_code": AREA})
            yield actors
    finally:
        server.stop()


def test_a_harvest_inside_a_seven_day_interval_is_refused_naming_the_input(live: Actors) -> None:
    farm = {"code": "F-PHI", "name": "Vườn phun thuốc", "commune": "Mỹ Xương"}
    live.post("/api/v1/farms", "htx", farm)
    applied = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    entry = live.post("/api/v1/farms/F-PHI/inputs", "htx", spray(applied_at=applied.isoformat()))
    assert entry["interval_ends_at"] == (applied + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = harvest_body(code="L-PHI", farm="F-PHI", harvested_at=datetime.now(UTC).isoformat())
    response = live.client.post("/api/v1/lots", json=body, headers=live.headers["htx"])
    assert response.status_code == 422, response.text
    assert response.json() == refused_harvest(applied)
    assert response.json()["detail"].startswith("Chưa hết thời gian cách ly")  # Vietnamese first
    missing = live.client.get("/api/v1/lots/L-PHI", headers=live.headers["htx"])
    assert missing.status_code == 404


def test_a_registered_growing_area_answers_with_its_balance(live: Actors) -> None:
    area = {
        "code": AREA,
        "holder": "htx",
        "area_ha": "1",
        "crop": "xoai",
        "markets": ["CN"],
        "farms": ["F-A1"],
        "valid_from": "2026-01-01",
    }
    live.post("/api/v1/growing-areas", "ql", area)
    live.post("/api/v1/lots", "htx", harvest_body(code="L-AREA", farm="F-A1", quantity="1500"))
    response = live.client.get(
        f"/api/v1/growing-areas/{AREA}", params={"season": "2026"}, headers=live.headers["ql"]
    )
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["code"], shown["holder"], shown["farms"]) == (AREA, "htx", ["F-A1"])
    assert shown["balance"] == {
        "season": "2026",
        "tonnes_per_ha": "12",
        "cap_kg": "12000",
        "harvested_kg": "1500",
        "share_percent": "12.5",
        "status": "ok",
    }


def test_a_lots_epcis_export_is_json_ld_with_event_ids_that_are_their_hashes(
    live: Actors,
) -> None:
    live.post("/api/v1/lots", "htx", harvest_body(code="L-EPCIS", quantity="100"))
    check = {"type": "quality_check", "occurred_at": "2026-05-02T08:00:00Z"}
    live.post("/api/v1/lots/L-EPCIS/events", "htx", {**check, "data": {"result": "pass"}})
    response = live.client.get("/api/v1/lots/L-EPCIS/epcis")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    document = response.json()
    assert errors_of(document) == []
    assert errors_of(document, gs1_validator()) == []
    events = document["epcisBody"]["eventList"]
    assert [(e["type"], e["bizStep"].rsplit("-", 1)[-1]) for e in events] == [
        ("ObjectEvent", "commissioning"),
        ("ObjectEvent", "quality_check"),
    ]
    for event in events:
        assert event["eventID"].startswith("ni:///sha-256;")
        unproven = {k: v for k, v in event.items() if k not in (PROOF_MEMBER, "eventID")}
        assert event["eventID"] == event_id(unproven, document["@context"])
    assert events[0]["quantityList"] == [
        {"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L-EPCIS", "quantity": 100, "uom": "KGM"}
    ]


def test_a_captured_document_is_a_successful_job_and_its_event_is_queried(live: Actors) -> None:
    epc = "urn:epc:id:sgtin:0614141.107346.LIVE1"
    event = {
        "type": "ObjectEvent",
        "eventTime": "2026-05-03T08:00:00Z",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [epc],
        "action": "OBSERVE",
        "bizStep": "receiving",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-05-03T09:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    dg = live.headers["dg"]
    made = live.client.post("/epcis/capture", content=json.dumps(document), headers={**dg, **LD})
    assert made.status_code == 202, made.text
    job = live.client.get(made.headers["Location"], headers=dg)
    assert job.status_code == 200, job.text
    assert (job.json()["success"], job.json()["imported"]) == (True, 1)
    found = live.client.get(
        f"/epcis/events?EQ_bizStep=receiving&MATCH_anyEPC={quote(epc, safe='')}", headers=dg
    )
    assert found.status_code == 200, found.text
    [captured] = found.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert (captured["epcList"], captured["bizStep"]) == ([epc], "receiving")
    assert captured["readPoint"] == {"id": "urn:epc:id:sgln:0614141.00777.0"}
    assert captured["eventID"].startswith("ni:///sha-256;")


def test_the_resolver_answers_a_lots_digital_link_with_its_linkset(live: Actors) -> None:
    live.post("/api/v1/lots", "htx", harvest_body(code="L-GS1", quantity="50"))
    response = live.client.get(f"/01/{GTIN}/10/L-GS1", params={"linkType": "linkset"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/linkset+json")
    lot_level, gtin_level = response.json()["linkset"]
    assert lot_level["anchor"].endswith(f"/01/{GTIN}/10/L-GS1")
    assert gtin_level["anchor"].endswith(f"/01/{GTIN}")
    voc = "https://ref.gs1.org/voc/"
    [trace] = lot_level[voc + "traceability"]
    assert trace["href"].endswith("/api/v1/lots/L-GS1/epcis")
    assert trace["type"] == "application/ld+json"
    [recall] = lot_level[voc + "recallStatus"]
    assert recall["href"].endswith("/api/v1/lots/L-GS1/recall-status")
    followed = live.client.get(httpx.URL(trace["href"]).path)
    assert followed.status_code == 200
    assert followed.json()["epcisBody"]["eventList"][0]["bizStep"] == "commissioning"


def test_a_refused_shipment_leaves_the_lot_with_its_sender(live: Actors) -> None:
    live.post("/api/v1/lots", "htx", harvest_body(code="L-SHIP", quantity="80"))
    sent = live.post("/api/v1/lots/L-SHIP/transfer", "htx", {"to": "dg"})
    assert (sent["custodian"]["slug"], sent["in_transit"]) == ("htx", True)
    reason = "Xoài dập, nhiệt độ xe quá cao"
    refused = live.post("/api/v1/lots/L-SHIP/refuse", "dg", {"reason": reason})
    assert (refused["shipment"]["status"], refused["shipment"]["reason"]) == ("refused", reason)
    assert (refused["custodian"]["slug"], refused["in_transit"]) == ("htx", False)
    record: dict[str, Any] = live.client.get(
        "/api/v1/lots/L-SHIP", headers=live.headers["htx"]
    ).json()
    assert record["custodian"]["slug"] == "htx"
    last = record["events"][-1]
    assert (last["type"], last["org"], last["data"]["reason"]) == ("transfer_refused", "dg", reason)
    again = live.client.post(
        "/api/v1/lots/L-SHIP/events",
        json={"type": "note", "occurred_at": "2026-05-04T08:00:00Z", "data": {"text": "lưu kho"}},
        headers=live.headers["htx"],
    )
    assert again.status_code == 201, again.text  # no longer in transit: the sender acts on it

    def held_by(who: str) -> list[str]:
        page = live.client.get("/api/v1/lots", headers=live.headers[who]).json()
        return [lot["code"] for lot in page["items"]]

    assert "L-SHIP" in held_by("htx") and "L-SHIP" not in held_by("dg")
