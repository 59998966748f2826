"""A small ledger built through the services, for service-level tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session

from backend.config import Settings
from backend.models import Farm, Lot, Organisation, Product
from backend.runtime import Runtime
from backend.services.accounts.orgs import create_organisation
from backend.services.catalog.farms import create_farm
from backend.services.catalog.products import create_product
from backend.services.ledger.lots import create_harvest_lot

HARVESTED = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)


@dataclass
class World:
    session: Session
    settings: Settings
    coop: Organisation
    packer: Organisation
    regulator: Organisation
    farm: Farm
    product: Product

    def harvest(self, code: str | None = None, quantity: Any = "1000", **kw: Any) -> Lot:
        lot, _ = create_harvest_lot(
            self.session,
            org=self.coop,
            product_code=kw.pop("product_code", self.product.code),
            farm_code=self.farm.code,
            quantity=quantity,
            unit="kg",
            harvested_at=kw.pop("harvested_at", HARVESTED),
            code=code,
            settings=self.settings,
            **kw,
        )
        self.session.commit()
        return lot


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    with Session(runtime.engine, expire_on_commit=False) as session:
        coop, _ = create_organisation(session, slug="htx", name="HTX Mỹ Xương", role="cooperative")
        packer, _ = create_organisation(session, slug="dg", name="Đóng gói", role="packer")
        regulator, _ = create_organisation(session, slug="ql", name="Chi cục", role="regulator")
        farm = create_farm(session, org=coop, code="F-01", name="Vườn", commune="Mỹ Xương")
        product = create_product(session, org=coop, code="xoai-cat-chu", name_vi="Xoài cát Chu")
        session.commit()
        yield World(session, runtime.settings, coop, packer, regulator, farm, product)
