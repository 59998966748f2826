"""A lot recorded under rules v1 split after the switch to v2: its split event stays v1 (a lot
keeps the rules it began under), the children begin under v2, and their first documents name
the parent's split event by its hash, so that their ancestry is proven like any other."""

from __future__ import annotations

from sqlmodel import col, select

from backend.hashing import read_document
from backend.models import Event, EventType, Lot
from backend.services.ledger.split_merge import split_lot
from tests.ledger.world import World


def test_the_children_of_a_v1_lot_name_its_split_event(world: World) -> None:
    v1 = world.settings.model_copy(update={"event_schema": 1})
    v2 = world.settings.model_copy(update={"event_schema": 2})
    world.settings = v1
    world.harvest("LO-CU")
    world.settings = v2
    split_lot(
        world.session,
        lot_code="LO-CU",
        org=world.coop,
        children=[{"code": "LO-CU-1", "quantity": "300"}],
        settings=v2,
    )
    world.session.commit()

    def lot_events(code: str) -> list[Event]:
        query = select(Event).join(Lot, col(Lot.id) == col(Event.lot_id)).where(Lot.code == code)
        return list(world.session.exec(query.order_by(col(Event.seq))).all())

    split = lot_events("LO-CU")[-1]
    assert (split.type, split.schema_version) == (EventType.SPLIT, 1)
    (child,) = lot_events("LO-CU-1")
    assert child.schema_version == 2 and child.canonical is not None
    document = read_document(child.canonical)
    assert document["parents"] == [{"lot": "LO-CU", "event_hash": split.event_hash}]
