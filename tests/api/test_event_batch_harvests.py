"""Harvest items in ``POST /events/batch``: each creates its lot exactly as ``POST /lots``
does, in request order with the observations around it, and its refusals name the item."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from backend.api.event_batches import PATH
from backend.models import Event, Lot
from backend.runtime import Runtime
from tests.api.test_writes import count
from tests.support.app import Actors


def harvest(code: str, **data: Any) -> dict[str, Any]:
    facts = {"product": "xoai", "farm": "F-01", "quantity": "1000", "unit": "kg", **data}
    return {"type": "harvest", "lot": code, "occurred_at": "2026-05-01T06:30:00+07:00",
            "data": facts}  # fmt: skip


def note(code: str) -> dict[str, Any]:
    return {"type": "note", "lot": code, "occurred_at": "2026-05-01T07:00:00+07:00",
            "data": {"text": "Rửa trái"}}  # fmt: skip


def post(actors: Actors, items: list[dict[str, Any]], who: str = "htx") -> Any:
    return actors.client.post(PATH, json={"events": items}, headers=actors.headers[who])


def test_harvests_and_notes_are_stored_in_request_order(
    supply_chain: Actors, runtime: Runtime
) -> None:
    response = post(supply_chain, [harvest("F-A1"), note("F-A1"), harvest("F-A2"), note("F-A2")])
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 4
    for code in ("F-A1", "F-A2"):
        lot = supply_chain.client.get(f"/api/v1/lots/{code}").json()
        assert [e["type"] for e in lot["events"]] == ["harvest", "note"]


def test_a_harvest_is_the_same_lot_and_event_as_post_lots_makes(
    supply_chain: Actors, runtime: Runtime
) -> None:
    by_batch = post(supply_chain, [harvest("F-B1", quantity="12.50", variety="Cát Chu")])
    assert by_batch.status_code == 201, by_batch.text
    supply_chain.post(
        "/api/v1/lots",
        "htx",
        {"code": "F-B2", "product": "xoai", "farm": "F-01", "quantity": "12.50", "unit": "kg",
         "harvested_at": "2026-05-01T06:30:00+07:00", "data": {"variety": "Cát Chu"}},
    )  # fmt: skip
    with Session(runtime.engine) as session:
        lots = {lot.code: lot for lot in session.exec(select(Lot))}
        first, second = lots["F-B1"], lots["F-B2"]
        for key in ("product_id", "farm_id", "quantity", "unit", "harvested_at"):
            assert getattr(first, key) == getattr(second, key)
        made = [
            session.exec(select(Event).where(Event.lot_id == lot.id)).one()
            for lot in (first, second)
        ]
    assert [e.type.value for e in made] == ["harvest", "harvest"]
    facts = {"product": "xoai", "farm": "F-01", "quantity": "12.5", "unit": "kg"}
    assert made[0].data == made[1].data == {**facts, "variety": "Cát Chu"}
    assert made[0].occurred_at == made[1].occurred_at


@pytest.mark.parametrize(
    ("item", "status", "field"),
    [
        (harvest("F-C1", farm=None), 422, "events[1].data.farm"),
        (harvest("F-C1", farm="F-99"), 422, "events[1].data.farm"),
        (harvest("F-C1", product="mit"), 422, "events[1].data.product"),
        (harvest("F-C1", quantity="-3"), 422, "events[1].data.quantity"),
        (harvest("F-C1", product="xoai", variety={"x": 1}, quantity="1"), 201, None),
        (harvest("lô có dấu"), 422, "events[1].lot"),
        ({**harvest("F-C1"), "occurred_at": "2099-01-01T00:00:00Z"}, 422, "events[1].occurred_at"),
    ],
)  # fmt: skip
def test_a_refused_harvest_names_the_item_and_stores_nothing(
    supply_chain: Actors, runtime: Runtime, item: dict[str, Any], status: int, field: str | None
) -> None:
    post(supply_chain, [harvest("F-C0")])
    before = count(runtime, Event), count(runtime, Lot)
    response = post(supply_chain, [note("F-C0"), item])
    assert response.status_code == status, response.text
    if field is None:
        return
    assert response.json()["field"] == field
    assert (count(runtime, Event), count(runtime, Lot)) == before


def test_a_lot_code_taken_is_409_naming_the_item(supply_chain: Actors) -> None:
    assert post(supply_chain, [harvest("F-D1")]).status_code == 201
    response = post(supply_chain, [note("F-D1"), harvest("F-D1")])
    assert response.status_code == 409
    assert response.json()["field"] == "events[1].lot"


def test_only_the_farms_owner_and_a_cooperative_harvest(supply_chain: Actors) -> None:
    other = post(supply_chain, [harvest("F-E1")], who="htx2")
    assert other.status_code == 403
    assert other.json()["field"] == "events[0].data.farm"
    packer = post(supply_chain, [harvest("F-E1")], who="dg")
    assert packer.status_code == 403
    assert packer.json()["field"] == "events[0]"
