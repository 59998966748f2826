"""Scan recording and the two counterfeit signals, against a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.db import create_schema, make_engine
from backend.models import Farm, LabelSerial, Lot, Organisation, OrgRole, Product, Scan
from backend.services.labels.scans import (
    ClientKind,
    classify_user_agent,
    client_digest,
    digest_key,
    record_scan,
    save_scan,
    summarize_scans,
)

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The scan queries on both databases SenTrace runs on."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'scans.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    made = make_engine(url)
    create_schema(made)
    yield made
    made.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as db:
        yield db


@pytest.fixture
def lot(session: Session) -> Lot:
    return make_lot(session)


def make_lot(session: Session) -> Lot:
    """A lot with one printed serial, "0001"."""
    org = Organisation(slug="htx-sa-dec", name="HTX Sa Đéc", role=OrgRole.COOPERATIVE)
    session.add(org)
    session.flush()
    farm = Farm(code="F1", org_id=org.id, name="Vườn Ba Tư", commune="Tân Khánh Đông")
    product = Product(code="XOAI", name_vi="Xoài cát Hòa Lộc")
    session.add_all([farm, product])
    session.flush()
    lot = Lot(
        code="LOT-1",
        product_id=product.id,
        farm_id=farm.id,
        quantity="10",
        unit="kg",
        custodian_org_id=org.id,
    )
    session.add(lot)
    session.flush()
    session.add(LabelSerial(lot_id=lot.id, serial="0001"))
    session.commit()
    return lot


@pytest.mark.parametrize(
    ("user_agent", "kind"),
    [
        (IPHONE, ClientKind.MOBILE),
        (ANDROID, ClientKind.MOBILE),
        (WINDOWS, ClientKind.DESKTOP),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", ClientKind.OTHER),
        ("curl/8.5.0", ClientKind.OTHER),
        ("", ClientKind.OTHER),
        (None, ClientKind.OTHER),
    ],
)
def test_user_agents_are_reduced_to_a_coarse_kind(user_agent: str | None, kind: ClientKind) -> None:
    assert classify_user_agent(user_agent) is kind


def test_client_digest_is_keyed_and_never_the_address() -> None:
    key = digest_key("server secret one")
    digest = client_digest("203.0.113.7", key=key)
    assert "203.0.113.7" not in digest
    assert len(digest) == 64
    assert digest == client_digest("203.0.113.7", key=key)
    assert digest != client_digest("203.0.113.8", key=key)
    assert digest != client_digest("203.0.113.7", key=digest_key("server secret two"))
    assert client_digest(None, key=key) == ""


def test_scans_are_counted_from_the_first_one(session: Session, lot: Lot) -> None:
    first = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    for offset in range(3):
        record_scan(
            session,
            lot_id=lot.id,
            serial="0001",
            client_kind=ClientKind.MOBILE,
            client_digest="d",
            at=first + timedelta(days=offset),
        )
    record_scan(
        session, lot_id=lot.id, serial="0002", client_kind=ClientKind.MOBILE, client_digest="d"
    )
    session.commit()
    summary = summarize_scans(session, lot_id=lot.id, serial="0001", threshold=5)
    assert (summary.count, summary.first_scanned_at, summary.printed) == (3, first, True)
    assert not summary.may_be_copied


def test_a_serial_scanned_beyond_the_threshold_may_be_copied(session: Session, lot: Lot) -> None:
    for _ in range(4):
        record_scan(
            session, lot_id=lot.id, serial="0001", client_kind=ClientKind.OTHER, client_digest=""
        )
    at_threshold = summarize_scans(session, lot_id=lot.id, serial="0001", threshold=4)
    above = summarize_scans(session, lot_id=lot.id, serial="0001", threshold=3)
    assert not at_threshold.scanned_too_often
    assert above.scanned_too_often and above.may_be_copied and not above.never_printed


def test_a_serial_never_printed_may_be_copied(session: Session, lot: Lot) -> None:
    summary = summarize_scans(session, lot_id=lot.id, serial="9999", threshold=20)
    assert summary.count == 0 and summary.first_scanned_at is None
    assert summary.never_printed and summary.may_be_copied


def test_a_scan_stores_no_address(session: Session, lot: Lot) -> None:
    key = digest_key("s")
    record_scan(
        session,
        lot_id=lot.id,
        serial="0001",
        client_kind=classify_user_agent(IPHONE),
        client_digest=client_digest("198.51.100.23", key=key),
    )
    session.commit()
    row = session.exec(select(Scan)).one()
    assert row.client_kind == "mobile"
    assert "198.51.100.23" not in repr(row.model_dump())


def test_a_summary_counts_the_scan_being_made(session: Session, lot: Lot) -> None:
    earlier = datetime(2026, 3, 1, tzinfo=UTC)
    record_scan(
        session,
        lot_id=lot.id,
        serial="0001",
        client_kind=ClientKind.MOBILE,
        client_digest="",
        at=earlier,
    )
    before = summarize_scans(session, lot_id=lot.id, serial="0001", threshold=1)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    after = before.including(now)
    assert (after.count, after.first_scanned_at) == (2, earlier)
    assert after.scanned_too_often and not before.scanned_too_often
    fresh = summarize_scans(session, lot_id=lot.id, serial="0002", threshold=1).including(now)
    assert (fresh.count, fresh.first_scanned_at) == (1, now)


def test_save_scan_commits_on_its_own(engine: Engine, session: Session, lot: Lot) -> None:
    at = datetime(2026, 3, 3, tzinfo=UTC)
    assert save_scan(
        session,
        lot_id=lot.id,
        serial="0001",
        client_kind=ClientKind.DESKTOP,
        client_digest="d",
        at=at,
    )
    with Session(engine) as other:
        assert summarize_scans(other, lot_id=lot.id, serial="0001", threshold=5).count == 1


def test_save_scan_reports_a_refused_write_instead_of_raising(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    refused = save_scan(
        session,
        lot_id=424242,
        serial="0001",
        client_kind=ClientKind.MOBILE,  # no such lot
        client_digest="",
        at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    assert refused is False
    assert "could not record a scan of lot 424242 serial 0001" in caplog.text
    assert session.exec(select(Scan)).all() == []  # the session is usable again


def test_a_serials_summary_reads_its_own_index_entries_not_every_scan_of_the_lot(
    tmp_path: Path,
) -> None:
    """SQLite once answered from the lot's index, reading every scan of the lot for each label
    opened; the summary's own statement must now be a search of the serial's index range
    that needs no table row (SQLite's plan; PostgreSQL plans by its statistics)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    create_schema(engine)
    session = Session(engine, expire_on_commit=False)
    lot = make_lot(session)
    others = [
        {"lot_id": lot.id, "serial": f"{n:04d}", "client_digest": "d", "client_kind": "mobile"}
        for n in range(2, 400)
    ]
    session.execute(Scan.__table__.insert(), others)  # type: ignore[attr-defined]
    session.commit()
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        summary = summarize_scans(session, lot_id=lot.id, serial="0001", threshold=5)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert summary.count == 0
    [(statement, params)] = [(s, p) for s, p in statements if "FROM scan" in s]
    with engine.connect() as connection:
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        )
    session.close()
    engine.dispose()
    assert "COVERING INDEX ix_scan_lot_serial_time (lot_id=? AND serial=?)" in plan, plan
