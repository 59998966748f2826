"""Organisations, farms, products, lots and event bodies for the bench, made the real way.

Through the HTTP API (``http_*``, as an integrator would) or through the services in one
transaction (``service_*``, for in-process sections). Events look like a mango season in
Đồng Tháp: processing, quality checks, spraying records, packing, shipping and notes, with
Vietnamese text, so canonicalisation does the work it does in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.config import Settings
from backend.db import session_scope
from backend.http.signed_writes import chain_facts
from backend.models import Organisation
from backend.runtime import Runtime
from backend.services.accounts import orgs
from backend.services.catalog import farms, products
from backend.services.ledger import lots
from backend.services.signing import set_default_chain
from backend.timeutil import utcnow
from bench.server import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
FARM = {
    "code": "F-BENCH",
    "name": "Vườn xoài ông Tư",
    "commune": "Mỹ Xương",
    "lat": "10.4170",
    "lon": "105.6500",
}
PRODUCT = {"code": "xoai-cat", "name_vi": "Xoài cát Hòa Lộc", "name_en": "Hoa Loc mango"}
LOCATION = {"lat": "10.4170", "lon": "105.6500", "name": "Nhà sơ chế Mỹ Xương"}


class SeedFailed(RuntimeError):
    """The API refused a set-up request; the message holds its answer."""


def harvest_time() -> datetime:
    return (utcnow() - timedelta(days=2)).replace(microsecond=0)


def event_body(n: int) -> dict[str, Any]:
    """The ``n``-th observation event of a lot (types and data vary, all valid)."""
    occurred = (utcnow() - timedelta(days=1) + timedelta(seconds=n)).replace(microsecond=0)
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("processing", {"step": "Rửa, phân loại", "line": 3, "operator": "Tổ sơ chế số 3"}),
        ("quality_check", {"result": "pass", "brix": "14.5", "inspector": "Nguyễn Thị Hoa"}),
        (
            "input_application",
            {
                "product": "Chế phẩm sinh học Trichoderma",
                "active_ingredient": "Trichoderma spp.",
                "dose": "2.5",
                "unit": "kg/ha",
                "pre_harvest_interval_days": 7,
            },
        ),
        ("packing", {"boxes": 40, "box_kg": "5", "packer": "Đóng gói Sa Đéc"}),
        ("shipping", {"vehicle": "66C-123.45", "to": "Chợ đầu mối Bình Điền"}),
        ("note", {"text": f"Ghi chú số {n}: trái đẹp, đạt chuẩn VietGAP."}),
    ]
    kind, data = kinds[n % len(kinds)]
    return {
        "type": kind,
        "occurred_at": occurred.isoformat(),
        "location": LOCATION,
        "data": data,
    }


# --------------------------------------------------------------------------- through HTTP


@dataclass(frozen=True)
class HttpCooperative:
    """A cooperative made through the API, with its key."""

    slug: str
    headers: dict[str, str]


def expect_answer(response: httpx.Response, *codes: int) -> Any:
    """The JSON body of ``response``; SeedFailed naming the request unless its status is one
    of ``codes``."""
    if response.status_code not in codes:
        raise SeedFailed(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return response.json()


def http_cooperative(client: httpx.Client, slug: str = "htx-bench") -> HttpCooperative:
    """Organisation (as the admin), its farm and the product, through the API."""
    # Custodial: the server signs each event, so every write is one request (a client-held
    # organisation's signed round trip is measured by bench.signatures).
    body = {
        "slug": slug,
        "name": "HTX Xoài Mỹ Xương",
        "role": "cooperative",
        "key_custody": "custodial",
    }
    created = expect_answer(client.post("/api/v1/orgs", json=body, headers=ADMIN), 201)
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    expect_answer(client.post("/api/v1/farms", json=FARM, headers=headers), 201)
    expect_answer(client.post("/api/v1/products", json=PRODUCT, headers=headers), 201)
    return HttpCooperative(slug, headers)


def http_lot(client: httpx.Client, coop: HttpCooperative, code: str) -> str:
    """A harvest lot with the given code."""
    body = {
        "code": code,
        "product": PRODUCT["code"],
        "farm": FARM["code"],
        "quantity": "1000",
        "unit": "kg",
        "harvested_at": harvest_time().isoformat(),
    }
    created = expect_answer(client.post("/api/v1/lots", json=body, headers=coop.headers), 201)
    return str(created.get("code", code))


def http_event(client: httpx.Client, coop: HttpCooperative, code: str, n: int) -> dict[str, Any]:
    answer: dict[str, Any] = expect_answer(
        client.post(f"/api/v1/lots/{code}/events", json=event_body(n), headers=coop.headers),
        201,
    )
    return answer


def http_split(
    client: httpx.Client, coop: HttpCooperative, parent: str, child: str, quantity: str
) -> str:
    """Split ``quantity`` of ``parent`` off into the lot ``child`` (its first event names the
    parent), so the child's verification walks one ancestor too."""
    body = {"children": [{"code": child, "quantity": quantity}]}
    made = expect_answer(
        client.post(f"/api/v1/lots/{parent}/split", json=body, headers=coop.headers), 201
    )
    return str(made["children"][0]["code"])


def http_anchor_now(client: httpx.Client) -> dict[str, Any]:
    """Admin "anchor now": build and send whatever is pending, ignoring the batch delay."""
    response = client.post("/api/v1/anchor", headers=ADMIN, timeout=120)
    answer: dict[str, Any] = expect_answer(response, 200)
    return answer


# ------------------------------------------------------------------------ through services


def server_signs_for(runtime: Runtime) -> None:
    """Services called directly in this process (seeding, the service-layer ingest) sign a
    custodial organisation's statements for ``runtime``'s registry, as its HTTP layer does."""
    set_default_chain(chain_facts(runtime))


def service_cooperative(
    engine: Engine, settings: Settings, lot_codes: list[str], slug: str = "htx-bench"
) -> Organisation:
    """Organisation, farm, product and harvest lots in one transaction; returns the org."""
    with session_scope(engine) as session:
        org, _key = orgs.create_organisation(
            session,
            slug=slug,
            name="HTX Xoài Mỹ Xương",
            role="cooperative",
            key_custody="custodial",
            settings=settings,
        )
        farms.create_farm(
            session,
            org=org,
            code=FARM["code"],
            name=FARM["name"],
            commune=FARM["commune"],
            lat=FARM["lat"],
            lon=FARM["lon"],
        )
        products.create_product(
            session,
            org=org,
            code=PRODUCT["code"],
            name_vi=PRODUCT["name_vi"],
            name_en=PRODUCT["name_en"],
        )
        for code in lot_codes:
            _harvest_lot(session, org, code, settings)
        session.flush()
        session.expunge(org)
    return org


def service_lot(engine: Engine, settings: Settings, org: Organisation, code: str) -> None:
    """One more harvest lot of ``org``'s farm, recorded under ``settings`` (say, other rules)."""
    with session_scope(engine) as session:
        _harvest_lot(session, org, code, settings)


def _harvest_lot(session: Session, org: Organisation, code: str, settings: Settings) -> None:
    lots.create_harvest_lot(
        session,
        org=org,
        product_code=PRODUCT["code"],
        farm_code=FARM["code"],
        quantity="1000",
        unit="kg",
        harvested_at=harvest_time(),
        code=code,
        settings=settings,
    )
