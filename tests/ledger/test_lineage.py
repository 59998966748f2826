"""Lot lineage through splits and merges, remaining quantities, and generated codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.errors import Conflict, InvalidInput, PermissionDenied
from backend.models import EventType, Lot, Product
from backend.services.ledger import queries
from backend.services.ledger.custody import transfer_lot
from backend.services.ledger.events import record_event
from backend.services.ledger.lot_codes import code_stem
from backend.services.ledger.lots import create_harvest_lot
from backend.services.ledger.recall import recall_lot
from backend.services.ledger.shipments import receive_lot
from backend.services.ledger.split_merge import merge_lots, split_lot
from tests.ledger.world import World
from tests.support.bodies import a_generated_code


def codes(lots: list[Lot]) -> list[str]:
    return [lot.code for lot in lots]


def test_ancestors_reach_through_splits_and_merges(world: World) -> None:
    world.harvest("A")
    world.harvest("B")
    s = world.session
    split_lot(
        s,
        lot_code="A",
        org=world.coop,
        children=[{"code": "A1", "quantity": "100"}, {"code": "A2", "quantity": "200"}],
        settings=world.settings,
    )
    merge_lots(s, org=world.coop, lot_codes_in=["A1", "B"], code="M", settings=world.settings)
    split_lot(
        s,
        lot_code="M",
        org=world.coop,
        children=[{"code": "M1", "quantity": "50"}],
        settings=world.settings,
    )
    s.commit()
    m1 = queries.get_lot_by_code(s, "M1")
    assert m1 is not None
    assert codes(queries.lot_ancestors(s, m1)) == ["M", "B", "A1", "A"]
    a = queries.get_lot_by_code(s, "A")
    assert a is not None
    assert [c.lot.code for c in queries.lot_children(s, a)] == ["A1", "A2"]
    assert queries.lot_ancestors(s, a) == []
    assert queries.remaining_quantity(s, a) == "700"
    merged = queries.get_lot_by_code(s, "M")
    assert merged is not None
    assert (merged.quantity, queries.remaining_quantity(s, merged)) == ("1100", "1050")


def test_a_split_over_the_remaining_quantity_changes_nothing(world: World) -> None:
    world.harvest("A", quantity="10.5")
    with pytest.raises(InvalidInput) as refused:
        split_lot(
            world.session,
            lot_code="A",
            org=world.coop,
            children=[{"quantity": "10"}, {"quantity": "0.6"}],
            settings=world.settings,
        )
    assert refused.value.field == "children"
    world.session.rollback()
    a = queries.get_lot_by_code(world.session, "A")
    assert a is not None
    assert queries.lot_children(world.session, a) == []


def test_a_former_custodian_may_not_split_or_merge(world: World) -> None:
    world.harvest("A")
    world.harvest("B")
    transfer_lot(world.session, lot_code="A", org=world.coop, to_slug="dg", settings=world.settings)
    receive_lot(world.session, lot_code="A", org=world.packer, settings=world.settings)
    world.session.commit()
    with pytest.raises(PermissionDenied):
        split_lot(
            world.session,
            lot_code="A",
            org=world.coop,
            children=[{"quantity": 1}],
            settings=world.settings,
        )
    world.session.rollback()
    with pytest.raises(PermissionDenied) as refused:
        merge_lots(world.session, org=world.coop, lot_codes_in=["B", "A"], settings=world.settings)
    assert refused.value.field == "lots[1]"


def test_events_for_a_lot_come_in_time_order(world: World) -> None:
    lot = world.harvest("A")
    for day in (20, 5, 12):
        record_event(
            world.session,
            lot=lot,
            org=world.coop,
            event_type=EventType.NOTE,
            occurred_at=datetime(2026, 4, day, tzinfo=UTC),
            location=None,
            data={"text": str(day)},
            settings=world.settings,
        )
    world.session.commit()
    assert lot.id is not None
    events = queries.events_for_lot(world.session, lot.id)
    assert [e.data.get("text", "harvest") for e in events] == ["5", "12", "20", "harvest"]


def test_generated_codes_are_readable_and_random_per_product_and_month(world: World) -> None:
    first = world.harvest()
    second = world.harvest()
    stem = a_generated_code("DT-XOAI-2605")
    assert first.code == stem and second.code == stem and first.code != second.code
    world.harvest("DT-XOAI-2605-000001")  # a code the old counter made is still a valid code
    assert world.harvest().code == stem
    assert all(len(c) <= 20 for c in (first.code, second.code))  # GS1 AI (10) holds 20


@pytest.mark.parametrize(
    ("product_code", "stem"),
    [
        ("xoai-cat-chu", "DT-XOAI-2612"),
        ("sen.hat", "DT-SEN-2612"),
        ("buoi_nam_roi", "DT-BUOI-2612"),
        ("dragonfruit", "DT-DRAGO-2612"),
        ("---", "DT-LOT-2612"),
    ],
)
def test_code_stems_take_a_tag_from_the_product_code(product_code: str, stem: str) -> None:
    when = datetime(2026, 11, 30, 18, tzinfo=UTC)  # already December in Vietnam (UTC+7)
    assert code_stem(Product(code=product_code, name_vi="x"), when) == stem


def test_a_merge_refuses_lots_of_different_units(world: World) -> None:
    world.harvest("A")
    create_harvest_lot(
        world.session,
        org=world.coop,
        product_code=world.product.code,
        farm_code="F-01",
        quantity="3",
        unit="thùng",
        harvested_at=datetime(2026, 5, 1, tzinfo=UTC),
        code="B",
        settings=world.settings,
    )
    world.session.commit()
    with pytest.raises(InvalidInput) as refused:
        merge_lots(world.session, org=world.coop, lot_codes_in=["A", "B"], settings=world.settings)
    assert refused.value.message == "Các lô phải cùng đơn vị / lots must use the same unit"


def test_recalled_lots_cannot_be_merged(world: World) -> None:
    world.harvest("A")
    world.harvest("B")
    recall_lot(
        world.session, lot_code="B", org=world.regulator, reason="x", settings=world.settings
    )
    world.session.commit()
    with pytest.raises(Conflict):
        merge_lots(world.session, org=world.coop, lot_codes_in=["A", "B"], settings=world.settings)
