"""Signed reviews of a farm's certificates, on the in-process chain with its registry: a
regulator's confirmation makes the page and the public API name the regulator, a withdrawal
puts the certificate back to self-declared, and a review whose bytes were edited, or signed by
a key the chain does not make a regulator, confirms nothing (docs/proof-rules.md 13.4).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.models import FarmDiaryEntry, Organisation, OrgRole
from backend.runtime import Runtime
from tests.compliance.test_claims_api import (
    CONFIRM,
    REVOKE,
    VIETGAP,
    page,
    public_farm,
    stated_farm,
)
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: what is tested here (signatures and roles read from the chain) does not
    depend on the database; the compliance suite's PostgreSQL runs cover the rows it writes."""
    return f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    """The in-process chain, so that signatures and roles are read from a registry."""
    return chain_runtime


@pytest.fixture
def farm(supply_chain: Actors, runtime: Runtime) -> Actors:
    """As test_claims_api's farm, with every organisation's key (and the regulator's role)
    registered on the chain."""
    stated_farm(supply_chain)
    anchor_everything(runtime)
    return supply_chain


def test_a_regulators_signed_confirmation_names_it_until_withdrawn(farm: Actors) -> None:
    review = farm.post(CONFIRM, "ql", {"scheme": "VietGAP", "number": "VG-0712"})
    assert review["type"] == "claim_confirmation" and review["signature"]
    assert review["document"]["org"] == "ql"
    assert review["document"]["data"] == {"certificate": VIETGAP}
    vietgap, organic = public_farm(farm)["certifications"]
    assert (vietgap["status"], vietgap["confirmed_by"]) == ("confirmed", "Chi cục QLCL")
    assert (organic["status"], organic["confirmed_by"]) == ("self_declared", None)
    assert "đã được Chi cục QLCL xác nhận" in page(farm, "vi")
    assert "confirmed by Chi cục QLCL" in page(farm, "en")

    withdrawn = farm.post(
        REVOKE, "ql", {"scheme": "VietGAP", "number": "VG-0712", "reason": "Hết hiệu lực"}
    )
    assert withdrawn["type"] == "claim_revocation"
    assert withdrawn["document"]["data"]["reason"] == "Hết hiệu lực"
    assert public_farm(farm)["certifications"][0]["status"] == "self_declared"
    assert "Chi cục QLCL xác nhận" not in page(farm, "vi")


def test_an_edited_review_or_one_by_a_key_without_the_regulator_role_confirms_nothing(
    farm: Actors, runtime: Runtime
) -> None:
    farm.post(CONFIRM, "ql", {"scheme": "VietGAP", "number": "VG-0712"})
    with Session(runtime.engine) as session:
        row = session.exec(
            select(FarmDiaryEntry).where(FarmDiaryEntry.type == "claim_confirmation")
        ).one()
        forged = row.canonical.replace("Chi cục QLCL".encode(), "Bộ Nông nghiệp".encode())
        assert forged != row.canonical
        session.execute(
            update(FarmDiaryEntry).where(col(FarmDiaryEntry.id) == row.id).values(canonical=forged)
        )
        session.commit()
    assert public_farm(farm)["certifications"][0]["status"] == "self_declared"

    # The database now says htx is a regulator; the chain grants its key no REGULATOR_ROLE.
    with Session(runtime.engine) as session:
        session.execute(
            update(Organisation)
            .where(col(Organisation.slug) == "htx")
            .values(role=OrgRole.REGULATOR)
        )
        session.commit()
    review = farm.post(CONFIRM, "htx", {"scheme": "organic", "number": "OR-9"})
    assert review["signature"]
    assert public_farm(farm)["certifications"][1]["status"] == "self_declared"
