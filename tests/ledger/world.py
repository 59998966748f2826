"""A small ledger built through the services, for service-level tests (fixture ``world``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from backend.config import Settings
from backend.models import Farm, Lot, Organisation, Product
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
