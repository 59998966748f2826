"""Every test here runs on SQLite and on PostgreSQL (``database_url``, suite-wide); ``world`` is a
small ledger made through the services for the service-level tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from backend.runtime import Runtime
from backend.services.accounts.orgs import create_organisation
from backend.services.catalog.farms import create_farm
from backend.services.catalog.products import create_product
from tests.ledger.world import World


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    with Session(runtime.engine, expire_on_commit=False) as session:
        coop, _ = create_organisation(
            session,
            slug="htx",
            name="HTX Mỹ Xương",
            role="cooperative",
            key_custody="custodial",
            settings=runtime.settings,
        )
        packer, _ = create_organisation(
            session,
            slug="dg",
            name="Đóng gói",
            role="packer",
            key_custody="custodial",
            settings=runtime.settings,
        )
        regulator, _ = create_organisation(
            session,
            slug="ql",
            name="Chi cục",
            role="regulator",
            key_custody="custodial",
            settings=runtime.settings,
        )
        farm = create_farm(session, org=coop, code="F-01", name="Vườn", commune="Mỹ Xương")
        product = create_product(session, org=coop, code="xoai-cat-chu", name_vi="Xoài cát Chu")
        session.commit()
        yield World(session, runtime.settings, coop, packer, regulator, farm, product)
