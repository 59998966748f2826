"""Recall impact over a generated tree of lots: the walk, the CSV and the PDF, timed.

A tree of ``recall_lots`` lots (one harvest lot split ten ways, each part split ten ways again,
…) held by 40 organisations, with label serials and scans on some of them, is written straight
into a migrated SQLite database (the services would sign and hash every event, which is not
what is measured here). Then the regulator's impact of the root is computed (breadth-first over
the lot links, grouped label and scan counts) and exported to CSV and to the A4 PDF, each
timed cold in a fresh session.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlmodel import Session

from backend.config import Environment, Settings
from backend.i18n import translator
from backend.models import LabelSerial, LinkKind, Lot, LotLink, Organisation, OrgRole, Product, Scan
from backend.runtime import Runtime
from backend.services.compliance import recall_export
from backend.services.compliance.recall_impact import impact_of_lot
from bench.config import BenchConfig
from bench.results import Row, SectionResult

FAN_OUT = 10
CUSTODIANS = 40


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("recall", "Recall impact")
    data_dir = config.work_dir / "recall"
    settings = Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        database_url=f"sqlite:///{(data_dir / 'recall.db').as_posix()}",
        chain_rpc_url="memory",
        worker_enabled=False,
        webhook_poll_s=0,
    )
    runtime = Runtime.create(settings)
    try:
        started = time.perf_counter()
        root = _generate(runtime, config.recall_lots)
        generated = time.perf_counter() - started
        with Session(runtime.engine) as session:
            started = time.perf_counter()
            impact = impact_of_lot(session, lot_code=root)
            walk = time.perf_counter() - started
        started = time.perf_counter()
        csv_bytes = recall_export.impact_csv(impact)
        csv_s = time.perf_counter() - started
        started = time.perf_counter()
        pdf_bytes = recall_export.impact_pdf(impact, translator("vi"))
        pdf_s = time.perf_counter() - started
    finally:
        runtime.close()
    count = len(impact.lots)
    assert count == config.recall_lots, (count, config.recall_lots)
    result.add(Row(f"impact of a {count:,}-lot tree (walk + counts)", walk, "s"))
    result.add(Row(f"CSV of {count:,} lots ({len(csv_bytes) / 1e6:.2f} MB)", csv_s, "s"))
    result.add(Row(f"PDF of {count:,} lots ({len(pdf_bytes) / 1e6:.2f} MB)", pdf_s, "s"))
    result.add(Row("total: impact, CSV and PDF", walk + csv_s + pdf_s, "s"))
    result.notes.append(
        f"SQLite; tree of fan-out {FAN_OUT}, {len(impact.custodians)} custodians; "
        f"generating it took {generated:.1f} s (not counted)."
    )
    return result


def _generate(runtime: Runtime, total: int) -> str:
    """``total`` lots in one tree under ``R-000000``; returns the root's code."""
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with Session(runtime.engine) as session:
        orgs = [
            Organisation(slug=f"org-{i:02d}", name=f"Tổ chức {i:02d}", role=OrgRole.PACKER)
            for i in range(CUSTODIANS)
        ]
        product = Product(code="xoai", name_vi="Xoài cát Hòa Lộc")
        session.add_all([*orgs, product])
        session.flush()
        lots = [
            {
                "id": n + 1,
                "code": f"R-{n:06d}",
                "product_id": product.id,
                "quantity": "1000",
                "unit": "kg",
                "harvested_at": now,
                "custodian_org_id": orgs[n % CUSTODIANS].id,
                "created_at": now,
                "last_seq": 0,
            }
            for n in range(total)
        ]
        session.execute(insert(Lot), lots)
        links = [
            {"parent_id": (n - 1) // FAN_OUT + 1, "child_id": n + 1, "kind": LinkKind.SPLIT}
            for n in range(1, total)
        ]
        if links:
            session.execute(insert(LotLink), links)
        serials = [
            {"lot_id": n + 1, "serial": f"{s:06d}", "created_at": now}
            for n in range(0, total, 7)
            for s in range(1, 4)
        ]
        session.execute(insert(LabelSerial), serials)
        scans = [
            {
                "lot_id": n + 1,
                "serial": "000001",
                "scanned_at": now,
                "client_digest": "",
                "client_kind": "mobile",
            }
            for n in range(0, total, 11)
        ]
        session.execute(insert(Scan), scans)
        session.commit()
    return "R-000000"
