"""The dashboard's numbers, counted over the lots the signed-in organisation may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.models import Batch, BatchStatus, Event, Lot, Organisation, Product, Scan
from backend.web.operator.access import visible_lots


@dataclass(frozen=True)
class DashboardStats:
    """Counts for one organisation's dashboard."""

    lots: int
    lots_held: int
    recalled: int
    events: int
    anchored: int
    scans: int
    scans_by_product: list[tuple[str, int]]

    @property
    def anchored_percent(self) -> int:
        """Share of events whose batch is confirmed on chain, rounded down to a whole percent."""
        return 100 * self.anchored // self.events if self.events else 0


def dashboard_stats(session: Session, *, org: Organisation, lang: str) -> DashboardStats:
    visible = visible_lots(org)

    def count_lots(*conditions: object) -> int:
        query = select(func.count()).select_from(Lot).where(visible, *conditions)
        return int(session.exec(query).one())

    events_query = select(func.count()).select_from(Event).join(Lot).where(visible)
    anchored_query = (
        select(func.count())
        .select_from(Event)
        .join(Lot)
        .join(Batch, col(Batch.id) == col(Event.batch_id))
        .where(visible, col(Batch.status) == BatchStatus.CONFIRMED)
    )
    scans_query = (
        select(Product.name_vi, Product.name_en, func.count(col(Scan.id)))
        .select_from(Scan)
        .join(Lot, col(Lot.id) == col(Scan.lot_id))
        .join(Product, col(Product.id) == col(Lot.product_id))
        .where(visible)
        .group_by(col(Product.id), col(Product.name_vi), col(Product.name_en))
        .order_by(func.count(col(Scan.id)).desc())
    )
    by_product = [
        ((name_en if lang == "en" and name_en else name_vi), int(count))
        for name_vi, name_en, count in session.exec(scans_query)
    ]
    return DashboardStats(
        lots=count_lots(),
        lots_held=count_lots(col(Lot.custodian_org_id) == org.id),
        recalled=count_lots(col(Lot.recalled_at).is_not(None)),
        events=int(session.exec(events_query).one()),
        anchored=int(session.exec(anchored_query).one()),
        scans=sum(count for _, count in by_product),
        scans_by_product=by_product,
    )
