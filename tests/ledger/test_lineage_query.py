"""The verification loader reads a lot's whole ancestry in one recursive query; it must name
the same lots in the same order (nearest generation first, each once) as the ledger's own walk,
one generation at a time, and a cycle written into the links behind the application's back must
not make it loop.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlmodel import Session

from backend.models import LinkKind, LotLink
from backend.services.ledger import queries
from backend.services.ledger.split_merge import merge_lots, split_lot
from backend.services.verification.lineage import load_lineage
from tests.ledger.world import World


def ancestry(session: Session, code: str) -> list[str]:
    lineage = load_lineage(session, code)
    assert lineage is not None and lineage.record.lot.code == code
    return [record.lot.code for record in lineage.ancestors]


def test_one_query_names_the_ancestors_the_ledger_walk_names(world: World) -> None:
    for code in ("A", "B", "C"):
        world.harvest(code)
    s = world.session
    kids = [{"code": "A1", "quantity": "100"}, {"code": "A2", "quantity": "200"}]
    split_lot(s, lot_code="A", org=world.coop, children=kids, settings=world.settings)
    merge_lots(s, org=world.coop, lot_codes_in=["A1", "B"], code="M", settings=world.settings)
    merge_lots(s, org=world.coop, lot_codes_in=["M", "A2", "C"], code="N", settings=world.settings)
    split_lot(
        s,
        lot_code="N",
        org=world.coop,
        children=[{"code": "N1", "quantity": "50"}],
        settings=world.settings,
    )
    s.commit()
    for code in ("N1", "N", "M", "A1", "A", "C"):
        lot = queries.get_lot_by_code(s, code)
        assert lot is not None
        assert ancestry(s, code) == [a.code for a in queries.lot_ancestors(s, lot)]
    assert ancestry(s, "N1") == ["N", "C", "A2", "M", "A", "B", "A1"]
    assert ancestry(s, "A") == []
    assert load_lineage(s, "NO-SUCH-LOT") is None


def test_a_cycle_written_into_the_links_ends(world: World) -> None:
    world.harvest("A")
    s = world.session
    kids = [{"code": "A1", "quantity": "100"}]
    split_lot(s, lot_code="A", org=world.coop, children=kids, settings=world.settings)
    s.commit()
    a, a1 = queries.get_lot_by_code(s, "A"), queries.get_lot_by_code(s, "A1")
    assert a is not None and a1 is not None
    links = cast(Table, LotLink.__table__)  # a Core insert: no ORM hooks, as an intruder would
    s.execute(insert(links).values(parent_id=a1.id, child_id=a.id, kind=LinkKind.SPLIT))
    s.commit()
    assert ancestry(s, "A1") == ["A"]
    assert ancestry(s, "A") == ["A1"]
