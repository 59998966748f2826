"""The consumer page's single "kg in → kg out" line: harvest kilograms that went into the lot
and what it holds after its declared processing losses, followed through processing, splits
and a merge from the verified documents alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.models import Event, Lot
from backend.runtime import Runtime
from tests.compliance.test_conservation_api import processing
from tests.support.app import Actors, harvest_body

LINE = re.compile(r'<p class="kg-summary" id="kg-summary">([^<]*)</p>')


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what is tested here (arithmetic over verified documents) does not
    depend on the database; the compliance suite's PostgreSQL runs cover the rows it writes."""
    return f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"


def summary(actors: Actors, code: str, lang: str = "vi") -> str | None:
    page = actors.client.get(f"/l/{code}", params={"lang": lang})
    assert page.status_code == 200
    found = LINE.search(page.text)
    return found.group(1) if found else None


def test_harvest_kilograms_follow_the_mass_through_processing_splits_and_a_merge(
    supply_chain: Actors,
) -> None:
    post = supply_chain.post
    post("/api/v1/lots", "htx", harvest_body(code="L-PLAIN", quantity="500"))
    loss = processing(quantity_in="1", quantity_out="0.85", loss="0.15")
    post("/api/v1/lots", "htx", harvest_body(code="L-T", quantity="1", unit="t"))
    post("/api/v1/lots/L-T/events", "htx", loss)
    post(
        "/api/v1/lots/L-T/split",
        "htx",
        {"children": [{"code": "L-K1", "quantity": "0.4"}, {"code": "L-K2", "quantity": "0.45"}]},
    )
    post(
        "/api/v1/lots/L-K1/events",
        "htx",
        processing(quantity_in="0.4", quantity_out="0.36", loss="0.04"),
    )
    post("/api/v1/lots/merge", "htx", {"lots": ["L-K1", "L-K2"], "code": "L-KM"})

    assert summary(supply_chain, "L-PLAIN") is None  # nothing to say of a plain harvest
    assert summary(supply_chain, "L-T") == (
        "Khối lượng theo nguồn gốc: 1000 kg thu hoạch → 850 kg trong lô này"
    )
    # 400 of the 850 kg left after processing: 400/850 of the 1000 kg harvested.
    assert summary(supply_chain, "L-K1") == (
        "Khối lượng theo nguồn gốc: 470.588 kg thu hoạch → 360 kg trong lô này"
    )
    assert summary(supply_chain, "L-KM") == (
        "Khối lượng theo nguồn gốc: 1000 kg thu hoạch → 810 kg trong lô này"
    )
    assert summary(supply_chain, "L-KM", "en") == (
        "Weight along its origin: 1000 kg harvested → 810 kg in this lot"
    )


def test_a_line_with_an_edited_document_shows_no_summary(
    supply_chain: Actors, runtime: Runtime
) -> None:
    post = supply_chain.post
    post("/api/v1/lots", "htx", harvest_body(code="L-E", quantity="1000"))
    post("/api/v1/lots/L-E/split", "htx", {"children": [{"code": "L-E1", "quantity": "400"}]})
    assert summary(supply_chain, "L-E1") is not None
    with Session(runtime.engine) as session:  # the harvest's stated 1000 kg made 9000
        harvest = session.exec(
            select(Event)
            .join(Lot, col(Lot.id) == col(Event.lot_id))
            .where(Lot.code == "L-E", col(Event.lot_seq) == 1)
        ).one()
        assert harvest.canonical is not None and b'"1000"' in harvest.canonical
        forged = harvest.canonical.replace(b'"1000"', b'"9000"')
        session.execute(update(Event).where(col(Event.id) == harvest.id).values(canonical=forged))
        session.commit()
    assert summary(supply_chain, "L-E1") is None
