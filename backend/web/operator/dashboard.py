"""The dashboard: what an organisation holds, how much of it is anchored, what consumers scan."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import col, select

from backend.models import Lot
from backend.services.compliance import notices
from backend.web.charts import Bar, horizontal_bar_chart
from backend.web.operator.access import visible_lots
from backend.web.operator.context import page, redirect
from backend.web.operator.deps import LangDep, OperatorDep, SessionDep, TranslatorDep
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.stats import dashboard_stats
from backend.web.operator.views import lot_rows

router = APIRouter(prefix="/app", tags=["operator"], route_class=OperatorRoute)

RECENT_LOTS = 8


@router.get("/", include_in_schema=False)
def dashboard(
    request: Request, operator: OperatorDep, session: SessionDep, lang: LangDep, t: TranslatorDep
) -> Response:
    stats = dashboard_stats(session, org=operator.org, lang=lang)
    chart = horizontal_bar_chart(
        [Bar(label, value) for label, value in stats.scans_by_product],
        title=t("app.dashboard.chart_title"),
        empty_text=t("app.dashboard.chart_empty"),
    )
    recent = session.exec(
        select(Lot)
        .where(visible_lots(operator.org))
        .order_by(col(Lot.created_at).desc(), col(Lot.id).desc())
        .limit(RECENT_LOTS)
    ).all()
    return page(
        request,
        "app/dashboard.html",
        stats=stats,
        chart=chart,
        meter=min(100, (stats.anchored_percent // 10) * 10),
        recent=lot_rows(session, recent, lang=lang, my_org_id=operator.org_id),
        recall_notices=notices.recent_for(session, org=operator.org),
    )


@router.get("", include_in_schema=False)
def dashboard_without_slash() -> Response:
    return redirect("/app/")
