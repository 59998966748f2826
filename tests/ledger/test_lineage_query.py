"""The verification loader reads a lot's whole ancestry in one recursive query; it must name
the same lots in the same order (nearest generation first, each once) as the ledger's own walk,
one generation at a time, and a cycle written into the links behind the application's back must
not make it loop.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, event, insert, inspect
from sqlmodel import Session

from backend.models import EventType, LinkKind, LotLink
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


def test_the_outbox_is_searched_by_index_not_scanned(world: World) -> None:
    """The milestones and recalls of a lineage come from the outbox's indexes: without one on
    ``lot_key`` the statement's recall half made SQLite scan every action ever queued."""
    for code in ("A", "B"):
        world.harvest(code)
    s = world.session
    merge_lots(s, org=world.coop, lot_codes_in=["A", "B"], code="M", settings=world.settings)
    s.commit()
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    engine = s.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        lineage = load_lineage(s, "M")
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert lineage is not None
    harvests = {e.id for r in lineage.records for e in r.events if e.type is EventType.HARVEST}
    assert set(lineage.milestones) == harvests and len(harvests) == 2  # found through lots
    [(statement, params)] = [(q, p) for q, p in statements if "FROM chainaction" in q]
    if engine.dialect.name != "sqlite":  # PostgreSQL's planner scans tables this small anyway
        names = {index["name"] for index in inspect(engine).get_indexes("chainaction")}
        assert {"ix_chainaction_lot_key", "ix_chainaction_event_id"} <= names
        return
    with engine.connect() as connection:
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        )
    assert "SCAN chainaction" not in plan, plan
    assert "ix_chainaction_lot_key" in plan and "ix_chainaction_event_id" in plan, plan
