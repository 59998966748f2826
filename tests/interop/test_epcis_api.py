"""The EPCIS 2.0 interface through the app: export of proven lots, capture, queries."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from backend.hashing import keccak, to_hex
from backend.services.interop.epcis.event_hash import PROOF_MEMBER, event_id
from backend.services.interop.epcis.export import captured_digest
from backend.services.interop.epcis.identifiers import check_digit, gtin14
from backend.services.interop.epcis.validation import errors_of
from backend.services.interop.epcis.vocabulary import EPCIS_CONTEXT
from tests.interop.epcis_support import EXAMPLES, example, gs1_validator
from tests.support.app import Actors
from tests.support.custody import hand_over
from tests.support.signing import Signers

GTIN = gtin14("8935000", "000001")
LD = {"Content-Type": "application/ld+json"}


def _capture(client: TestClient, headers: dict[str, str], document: Any) -> Any:
    return client.post("/epcis/capture", content=json.dumps(document), headers={**headers, **LD})


def _events(response: Any) -> list[dict[str, Any]]:
    body = response.json()["epcisBody"]
    if "eventList" in body:
        return body["eventList"]
    return body["queryResults"]["resultsBody"]["eventList"]


@pytest.fixture
def grown(supply_chain: Actors) -> str:
    """A lot of a product with a GTIN, checked, then split into C-1 and C-2."""
    supply_chain.gs1_prefix("htx", "8935000")
    supply_chain.post(
        "/api/v1/products", "htx", {"code": "xoai-gtin", "name_vi": "Xoài GTIN", "gtin": GTIN}
    )
    lot = supply_chain.post(
        "/api/v1/lots",
        "htx",
        {
            "product": "xoai-gtin",
            "farm": "F-01",
            "quantity": "1000",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00+07:00",
        },
    )
    code = lot["code"]
    check = {"type": "quality_check", "occurred_at": "2026-05-02T08:00:00Z"}
    check["data"] = {"result": "pass", "brix": "14.5"}
    supply_chain.post(f"/api/v1/lots/{code}/events", "htx", check)
    children = [{"code": "C-1", "quantity": "400"}, {"code": "C-2", "quantity": "300"}]
    supply_chain.post(f"/api/v1/lots/{code}/split", "htx", {"children": children})
    return code


def test_export_validates_and_names_each_event_by_its_cbv_hash(
    client: TestClient, grown: str
) -> None:
    response = client.get("/api/v1/lots/C-1/epcis?ancestry=true")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-CBV-Version"] == "2.0.0"
    document = response.json()
    assert document["@context"][0] == EPCIS_CONTEXT
    assert errors_of(document) == []
    assert errors_of(document, gs1_validator()) == []
    events = _events(response)
    assert [e["type"] for e in events] == [
        "ObjectEvent",
        "ObjectEvent",
        "TransformationEvent",
        "TransformationEvent",
    ]
    for event in events:
        unproven = {k: v for k, v in event.items() if k not in (PROOF_MEMBER, "eventID")}
        assert event["eventID"] == event_id(unproven, document["@context"])
        proof = event[PROOF_MEMBER]
        assert proof["eventHash"] == to_hex(keccak(proof["document"].encode("utf-8")))
    harvest = events[0]
    assert (harvest["action"], harvest["bizStep"]) == ("ADD", "commissioning")
    assert harvest["quantityList"] == [
        {"epcClass": f"https://id.gs1.org/01/{GTIN}/10/{grown}", "quantity": 1000, "uom": "KGM"}
    ]
    assert harvest["ilmd"]["sentrace:harvestDate"] == "2026-05-01"
    assert events[1]["disposition"] == "conformant"
    assert events[1]["bizStep"].endswith("/ns/epcis/BizStep-quality_check")
    own = client.get("/api/v1/lots/C-1/epcis").json()
    split_of_c1 = [e["eventID"] for e in events if e[PROOF_MEMBER]["lot"] == "C-1"]
    assert [e["eventID"] for e in _events_of(own)] == split_of_c1
    assert client.get("/api/v1/lots/NO-SUCH/epcis").status_code == 404


def _events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["epcisBody"]["eventList"]


def test_gs1_examples_import_and_export_with_the_same_event_ids(
    client: TestClient, supply_chain: Actors
) -> None:
    given: dict[str, dict[str, Any]] = {}
    for name in EXAMPLES:
        document = example(name)
        response = _capture(client, supply_chain.headers["dg"], document)
        assert response.status_code == 202, response.text
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        job = client.get(response.headers["Location"], headers=supply_chain.headers["dg"]).json()
        assert job["success"] is True
        assert job["imported"] == len(document["epcisBody"]["eventList"])
        given.update({e["eventID"]: e for e in document["epcisBody"]["eventList"]})
    listed = client.get("/epcis/events?perPage=100", headers=supply_chain.headers["dg"])
    assert listed.status_code == 200
    assert {e["eventID"]: e for e in _events(listed)} == given
    for identity, original in given.items():
        one = client.get(
            f"/epcis/events/{quote(identity, safe='')}", headers=supply_chain.headers["dg"]
        )
        assert _events(one) == [original]
    # The lot tracking one serialised item exports the events naming it, as they came, to
    # the organisation that holds it.
    lot = _lot_of_epc(client, supply_chain, "urn:epc:id:sgtin:0614141.107346.2018")
    exported = client.get(f"/api/v1/lots/{lot}/epcis", headers=supply_chain.headers["dg"])
    exported = exported.json()
    assert errors_of(exported, gs1_validator()) == []
    assert errors_of(exported) == []
    for event in _events_of(exported):
        body = {k: v for k, v in event.items() if k != PROOF_MEMBER}
        assert body == given[event["eventID"]]
    assert len(_events_of(exported)) == 3  # both 9.6.1 events and the 9.6.3 aggregation

    # Anyone else: each mapped from its proven document, naming the captured event and the
    # digest its document commits to; no captured member reaches the public.
    public = client.get(f"/api/v1/lots/{lot}/epcis").json()
    assert errors_of(public, gs1_validator()) == []
    assert errors_of(public) == []
    events = _events_of(public)
    assert [e["sentrace:captured"]["eventID"] for e in events] == [
        e["eventID"] for e in _events_of(exported)
    ]
    for event in events:
        original = given[event["sentrace:captured"]["eventID"]]
        assert event["eventID"] != original["eventID"]
        assert event["sentrace:captured"]["sha256"] == captured_digest(original)
        extensions = {k for k in original if ":" in k}
        assert not extensions & set(event)
    stranger = client.get(f"/api/v1/lots/{lot}/epcis", headers=supply_chain.headers["htx"])
    assert _events_of(stranger.json()) == events


def _lot_of_epc(client: TestClient, actors: Actors, epc: str) -> str:
    from backend.services.interop.epcis.capture_plan import foreign_code
    from backend.services.interop.epcis.identifiers import canonical_identifier

    return foreign_code(canonical_identifier(epc))


def test_the_same_document_captured_twice_records_its_events_once(
    client: TestClient, supply_chain: Actors
) -> None:
    document = example(EXAMPLES[0])
    first = _capture(client, supply_chain.headers["dg"], document)
    again = _capture(client, supply_chain.headers["dg"], document)
    assert (first.status_code, again.status_code) == (202, 202)
    assert (again.json()["imported"], again.json()["duplicates"]) == (0, 2)
    listed = client.get("/epcis/events", headers=supply_chain.headers["dg"])
    assert len(_events(listed)) == 2


def test_a_malformed_document_is_refused_whole_with_every_path(
    client: TestClient, supply_chain: Actors
) -> None:
    document = copy.deepcopy(example(EXAMPLES[0]))
    document["epcisBody"]["eventList"][1]["action"] = "ADDED"
    document["epcisBody"]["eventList"][0]["bizStep"] = "harvesting"
    response = _capture(client, supply_chain.headers["dg"], document)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "document_refused"
    assert [e["path"] for e in body["errors"]] == [
        "$.epcisBody.eventList[0].bizStep",
        "$.epcisBody.eventList[1].action",
    ]
    assert _events(client.get("/epcis/events", headers=supply_chain.headers["dg"])) == []
    broken = client.post("/epcis/capture", content=b"{not json", headers=supply_chain.headers["dg"])
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["path"] == "$"
    as_text = {**supply_chain.headers["dg"], "Content-Type": "text/plain"}
    typed = client.post("/epcis/capture", content=json.dumps(example(EXAMPLES[0])), headers=as_text)
    assert typed.status_code == 400  # only JSON media types, whose depth the middleware bounds
    assert typed.json()["errors"][0]["path"] == "$"


def test_an_event_on_a_lot_someone_else_holds_refuses_the_whole_document(
    client: TestClient, supply_chain: Actors
) -> None:
    lot = supply_chain.post("/api/v1/lots", "htx", _harvest())["code"]
    document = copy.deepcopy(example(EXAMPLES[0]))
    document["epcisBody"]["eventList"][1]["epcList"] = [f"http://testserver/l/{lot}"]
    base = client.app.state.runtime.settings.public_base_url  # type: ignore[attr-defined]
    document["epcisBody"]["eventList"][1]["epcList"] = [f"{base}/l/{lot}"]
    response = _capture(client, supply_chain.headers["dg"], document)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["path"] == "$.epcisBody.eventList[1]"
    assert _events(client.get("/epcis/events", headers=supply_chain.headers["dg"])) == []


def _harvest() -> dict[str, Any]:
    return {
        "product": "xoai",
        "farm": "F-01",
        "quantity": "100",
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00+07:00",
    }


def test_queries_filter_by_step_time_objects_class_and_place_and_page(
    client: TestClient, supply_chain: Actors
) -> None:
    dg = supply_chain.headers["dg"]
    for name in EXAMPLES:
        assert _capture(client, dg, example(name)).status_code == 202

    def ids(query: str) -> list[str]:
        response = client.get(f"/epcis/events?{query}", headers=dg)
        assert response.status_code == 200, response.text
        return [e["eventID"][14:22] for e in _events(response)]

    assert ids("EQ_bizStep=receiving") == ["00e1e6eb", "87b5f18a"]
    assert ids("EQ_bizStep=shipping|commissioning") == ["df7bb3c3", "e65c3a99"]
    assert ids("GE_eventTime=2005-04-04T03:00:00Z&LT_eventTime=2013-07-01T00:00:00Z") == [
        "00e1e6eb",
        "87b5f18a",
    ]
    epc = quote("urn:epc:id:sgtin:0614141.107346.2018")
    assert ids(f"MATCH_anyEPC={epc}") == ["df7bb3c3", "00e1e6eb", "87b5f18a"]
    by_link = quote("https://id.gs1.org/01/10614141073464/21/2017")
    assert ids(f"MATCH_anyEPC={by_link}") == ["df7bb3c3", "87b5f18a"]
    pattern = quote("urn:epc:idpat:sgtin:4012345.066666.*")
    assert ids(f"MATCH_epcClass={pattern}") == ["e65c3a99"]
    gtin_only = quote("https://id.gs1.org/01/04012345123456")
    assert ids(f"MATCH_epcClass={gtin_only}") == ["87b5f18a"]
    place = quote("urn:epc:id:sgln:0012345.11111.0")
    assert ids(f"EQ_bizLocation={place}") == ["00e1e6eb"]
    first = client.get("/epcis/events?perPage=3", headers=dg)
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    rest = client.get(link[1 : link.index(">")], headers=dg)
    assert len(_events(first)) == 3 and len(_events(rest)) == 1
    assert "Link" not in rest.headers
    assert ids("perPage=100") == ids("perPage=2") + ids("perPage=100")[2:]
    # Another organisation reads none of dg's captured lots.
    assert _events(client.get("/epcis/events", headers=supply_chain.headers["htx"])) == []
    bad = client.get("/epcis/events?GE_eventTime=yesterday", headers=dg)
    assert bad.status_code == 422
    assert client.get("/epcis/events?nextPageToken=%%%", headers=dg).status_code == 422


def test_native_events_are_found_by_their_event_id(client: TestClient, grown: str) -> None:
    exported = client.get(f"/api/v1/lots/{grown}/epcis").json()
    harvest = _events_of(exported)[0]
    headers = {"Authorization": client.headers.get("Authorization", "")}
    del headers["Authorization"]
    actors = Actors(client)
    actors.org("reader", "regulator")
    found = client.get(
        f"/epcis/events/{quote(harvest['eventID'], safe='')}", headers=actors.headers["reader"]
    )
    assert found.status_code == 200, found.text
    body = {k: v for k, v in harvest.items() if k != PROOF_MEMBER}
    assert _events(found) == [body]
    steps = client.get("/epcis/events?EQ_bizStep=commissioning", headers=actors.headers["reader"])
    assert [e["eventID"] for e in _events(steps)] == [harvest["eventID"]]


def test_capture_needs_a_key_of_an_organisation_that_holds_lots(
    client: TestClient, supply_chain: Actors
) -> None:
    document = example(EXAMPLES[0])
    assert client.post("/epcis/capture", json=document).status_code == 401
    assert _capture(client, supply_chain.headers["ql"], document).status_code == 403
    made = _capture(client, supply_chain.headers["dg"], document)
    other = client.get(made.headers["Location"], headers=supply_chain.headers["htx"])
    assert other.status_code == 404
    assert client.get("/epcis/events").status_code == 401


def test_refusals_on_epcis_paths_carry_the_versions_too(
    client: TestClient, supply_chain: Actors
) -> None:
    """The REST binding asks for the versions on every answer, not only on successes."""
    refusals = [
        client.post("/epcis/capture", json=example(EXAMPLES[0])),  # 401, no key
        _capture(client, supply_chain.headers["ql"], example(EXAMPLES[0])),  # 403
        client.get("/epcis/events/urn:uuid:no-such", headers=supply_chain.headers["dg"]),
        client.get("/epcis/events?perPage=0", headers=supply_chain.headers["dg"]),
        client.get("/api/v1/lots/NO-SUCH/epcis"),  # 404
    ]
    assert [r.status_code for r in refusals][:2] == [401, 403]
    for response in refusals:
        assert response.status_code >= 400, response.text
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0", response.request.url
        assert response.headers["GS1-CBV-Version"] == "2.0.0", response.request.url
    elsewhere = client.get("/api/v1/lots/NO-SUCH")
    assert "GS1-EPCIS-Version" not in elsewhere.headers


def test_a_client_held_organisation_signs_its_capture(client: TestClient) -> None:
    signers = Signers(client)
    signers.org("pk", "packer")
    document = example(EXAMPLES[2])
    first = _capture(client, signers.headers["pk"], document)
    assert first.status_code == 428, first.text
    draft = first.json()["draft"]
    # One statement per lot the transformation names: two inputs classes, one input EPC
    # pair, four outputs, each tracked as a lot of its own.
    assert len(draft["sign"]) == 9
    assert _events(client.get("/epcis/events", headers=signers.headers["pk"])) == []
    from tests.support.signing import signed_headers

    again = client.post(
        "/epcis/capture",
        content=json.dumps(document),
        headers={**signers.headers["pk"], **LD, **signed_headers(draft, signers.keys["pk"])},
    )
    assert again.status_code == 202, again.text
    listed = _events(client.get("/epcis/events", headers=signers.headers["pk"]))
    assert [e["eventID"] for e in listed] == [document["epcisBody"]["eventList"][0]["eventID"]]


def test_check_digit_helper_used_above_is_gs1s() -> None:
    assert "0893500000001" + check_digit("0893500000001") == GTIN


@pytest.mark.event_schema(1)
def test_a_lot_recorded_under_rules_v1_exports_valid_epcis_too(
    client: TestClient, supply_chain: Actors
) -> None:
    code = supply_chain.post("/api/v1/lots", "htx", _harvest())["code"]
    supply_chain.post(f"/api/v1/lots/{code}/events", "htx", {**_note(), "type": "packing"})
    document = client.get(f"/api/v1/lots/{code}/epcis").json()
    assert errors_of(document) == []
    assert errors_of(document, gs1_validator()) == []
    events = _events_of(document)
    assert [e["bizStep"] for e in events] == ["commissioning", "packing"]
    assert events[0]["ilmd"]["sentrace:farm"] == "F-01"
    assert all(e[PROOF_MEMBER]["seq"] is None for e in events)  # v1 documents have no seq


def _note() -> dict[str, Any]:
    return {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": "ghi chú"}}


def test_a_quantity_a_lot_cannot_hold_refuses_the_document_naming_its_event(
    client: TestClient, supply_chain: Actors
) -> None:
    document = copy.deepcopy(example(EXAMPLES[1]))
    document["epcisBody"]["eventList"][0]["childQuantityList"][1]["quantity"] = 1e20
    response = _capture(client, supply_chain.headers["dg"], document)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["path"] == "$.epcisBody.eventList[0]"
    assert _events(client.get("/epcis/events", headers=supply_chain.headers["dg"])) == []


def test_two_step_custody_exports_as_shipping_then_receiving(
    client: TestClient, supply_chain: Actors
) -> None:
    code = supply_chain.post("/api/v1/lots", "htx", _harvest())["code"]
    hand_over(supply_chain.post, code, "htx", "dg", occurred_at="2026-05-02T08:00:00Z")
    document = client.get(f"/api/v1/lots/{code}/epcis").json()
    assert errors_of(document, gs1_validator()) == []
    steps = [(e["bizStep"], e.get("disposition")) for e in _events_of(document)]
    assert steps == [
        ("commissioning", "active"),
        ("shipping", "in_transit"),
        ("receiving", "in_progress"),
    ]
    shipping = _events_of(document)[1]
    assert shipping["destinationList"][0]["destination"].endswith("/id/org/dg")
