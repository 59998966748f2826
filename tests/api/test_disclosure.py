"""``GET /lots/{code}/disclosure``: private values for those with a claim on them, each checked
now against the commitment in the event's stored document, so an edited row reads false."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from backend.hashing import read_document
from backend.models import Disclosure, Event
from backend.runtime import Runtime
from tests.support.app import ADMIN, Actors, harvest_body
from tests.support.bodies import A_HASH, MISSING_KEY, UNKNOWN_LOT, error
from tests.support.custody import hand_over
from tests.support.ledger_flow import execute

LOT = "LO-KIN"
POINT = {"lat": "10.46", "lon": "105.64"}
FARM_POINT = {"lat": "10.4521", "lon": "105.6331"}
NOT_ALLOWED = (
    "Chỉ tổ chức ghi sự kiện, hợp tác xã sản xuất lô và cơ quan quản lý được xem giá trị riêng "
    "tư / only the organisation that recorded an event, the lot's producer cooperative and "
    "regulators may read its private values"
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


def note(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": text}, **extra}


@pytest.fixture
def ids(supply_chain: Actors) -> dict[str, str]:
    """Lot LO-KIN on a farm with a GPS point: its harvest (two committed points), a private
    note by the cooperative, a public one, then a private note by the packer it went to."""
    farm = {"code": "F-GPS", "name": "Vườn chị Ba", "commune": "Mỹ Xương", **FARM_POINT}
    supply_chain.post("/api/v1/farms", "htx", farm)
    harvest = supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT, farm="F-GPS"))
    path = f"/api/v1/lots/{LOT}/events"
    body = note("Gọi anh Tư 0912 345 678", private=["text"], location={**POINT, "commune": "X"})
    own = supply_chain.post(path, "htx", body)
    supply_chain.post(path, "htx", note("Tỉa cành"))
    hand_over(supply_chain.post, LOT, "htx", "dg")
    packer = supply_chain.post(path, "dg", note("Kho của bà Năm", private=["text"]))
    return {"harvest": harvest["event"]["id"], "own": own["id"], "packer": packer["id"]}


def read(actors: Actors, who: str, code: str = LOT) -> Any:
    headers = ADMIN if who == "admin" else actors.headers[who]
    return actors.client.get(f"/api/v1/lots/{code}/disclosure", headers=headers)


def stored_document(runtime: Runtime, event_id: str) -> dict[str, Any]:
    with Session(runtime.engine) as session:
        event = session.exec(select(Event).where(Event.id == event_id)).one()
    return read_document(bytes(event.canonical or b""))


def opened(path: str, value: Any, checked: bool = True) -> dict[str, Any]:
    return {"path": path, "value": value, "salt": A_HASH, "commitment": A_HASH, "checked": checked}


def everything(ids: dict[str, str], *, own_checked: bool = True) -> dict[str, Any]:
    return {
        "lot": LOT,
        "events": [
            {
                "event_id": ids["harvest"],
                "seq": 1,
                "values": [
                    opened("location.point", FARM_POINT),
                    opened("lot_facts.farm.point", FARM_POINT),
                ],
            },
            {
                "event_id": ids["own"],
                "seq": 2,
                "values": [
                    opened("location.point", POINT),
                    opened("data.text", "Gọi anh Tư 0912 345 678", own_checked),
                ],
            },
            {
                "event_id": ids["packer"],
                "seq": 6,  # after the transfer (4) and its receipt (5)
                "values": [opened("data.text", "Kho của bà Năm")],
            },
        ],
    }


@pytest.mark.parametrize("who", ["htx", "ql", "admin"])
def test_the_producer_and_regulators_read_every_value_each_opening_its_commitment(
    supply_chain: Actors, ids: dict[str, str], who: str
) -> None:
    response = read(supply_chain, who)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == everything(ids)


def test_a_commitment_is_the_one_in_the_stored_document_at_the_path(
    runtime: Runtime, supply_chain: Actors, ids: dict[str, str]
) -> None:
    harvest, own = read(supply_chain, "htx").json()["events"][:2]
    first = stored_document(runtime, ids["harvest"])
    second = stored_document(runtime, ids["own"])
    assert [v["commitment"] for v in harvest["values"]] == [
        first["location"]["point"]["commitment"],
        first["lot_facts"]["farm"]["point"]["commitment"],
    ]
    assert [v["commitment"] for v in own["values"]] == [
        second["location"]["point"]["commitment"],
        second["data"]["text"]["commitment"],
    ]


def test_an_organisation_that_recorded_events_reads_only_its_own(
    supply_chain: Actors, ids: dict[str, str]
) -> None:
    response = read(supply_chain, "dg")
    assert response.status_code == 200
    assert response.json() == {
        "lot": LOT,
        "events": [
            {"event_id": ids["packer"], "seq": 6, "values": [opened("data.text", "Kho của bà Năm")]}
        ],
    }


def test_an_organisation_with_no_claim_on_the_lot_is_refused(
    supply_chain: Actors, ids: dict[str, str]
) -> None:
    response = read(supply_chain, "htx2")
    assert response.status_code == 403
    assert response.json() == error(NOT_ALLOWED, "permission_denied")


def test_a_reader_needs_a_key_and_an_existing_lot(
    supply_chain: Actors, ids: dict[str, str]
) -> None:
    anonymous = supply_chain.client.get(f"/api/v1/lots/{LOT}/disclosure")
    assert anonymous.status_code == 401
    assert anonymous.json() == error(MISSING_KEY, "not_authenticated")
    unknown = read(supply_chain, "ql", code="LO-NONE")
    assert unknown.status_code == 404
    assert unknown.json() == error(UNKNOWN_LOT, "not_found")


def test_a_lot_with_nothing_private_discloses_nothing(supply_chain: Actors) -> None:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="LO-OPEN"))
    response = read(supply_chain, "htx", code="LO-OPEN")
    assert response.status_code == 200
    assert response.json() == {"lot": "LO-OPEN", "events": []}


def _disclosure_of(runtime: Runtime, event_id: str, path: str) -> int:
    with Session(runtime.engine) as session:
        row = session.exec(
            select(Disclosure).where(Disclosure.event_id == event_id, Disclosure.path == path)
        ).one()
    assert row.id is not None
    return row.id


@pytest.mark.parametrize(
    ("column", "tampered"),
    [
        ("value", '"Gọi anh Tư 0913 345 678"'),
        ("salt", "0x" + "00" * 32),
        ("salt", "not hex"),
    ],
)
def test_a_disclosure_edited_in_the_database_reads_unchecked(
    runtime: Runtime, supply_chain: Actors, ids: dict[str, str], column: str, tampered: str
) -> None:
    row = _disclosure_of(runtime, ids["own"], "data.text")
    execute(
        runtime.engine, f"UPDATE disclosure SET {column} = :v WHERE id = :id", v=tampered, id=row
    )
    body = read(supply_chain, "ql").json()
    expected = everything(ids, own_checked=False)
    changed = expected["events"][1]["values"][1]
    if column == "value":
        changed["value"] = "Gọi anh Tư 0913 345 678"
    else:
        changed["salt"] = tampered
    assert body == expected


def test_a_document_edited_in_the_database_opens_nothing(
    runtime: Runtime, supply_chain: Actors, ids: dict[str, str]
) -> None:
    execute(
        runtime.engine, "UPDATE event SET canonical = :c WHERE id = :id", c=b"{}", id=ids["own"]
    )
    [own] = [e for e in read(supply_chain, "htx").json()["events"] if e["event_id"] == ids["own"]]
    assert [(v["commitment"], v["checked"]) for v in own["values"]] == [
        (None, False),
        (None, False),
    ]
    assert own["seq"] == 2  # the column, since the document no longer reads
