"""Who may write what, and who reads more than the public: every write endpoint of the JSON
API (``/api/v1``, ``/epcis``; the operator and field apps' form posts are not here) × every
caller, with the exact allowed set; then the lot and batch reads × every caller.

The writes: organisations, API keys and GS1 prefixes; farms and products; harvests, events,
shipments, splits, merges, labels and recalls; the compliance routes (a farm's season diary,
its interval overrides, its diary as a VietGAP PDF, certification confirmations and
revocations, growing areas with their cap raises and crop yields, recall impact and notices,
webhooks, a lot's Circular 02 checklist); EPCIS capture and anchoring. Two writes are checked
where their rules live instead: signing keys (the admin or the organisation itself,
tests/keys/test_keys_api.py) and event batches (the single event's custodian rule per item,
tests/api/test_event_batches.py).

Callers: the admin token, one organisation of each role, a second cooperative (another
organisation's valid key), no key at all, and a revoked key of the cooperative that would
otherwise be allowed. Lots are held by cooperative ``htx`` (and, in the second table, by packer
``dg`` after a transfer it received, to show that custody and not role decides); a shipment is
answered only by the organisation it is addressed to, and cancelled only by its sender. Each
cell gets resources of its own (a lot, a farm, an area, a crop), so an allowed write in one
cell never changes what another cell sees; reads share READ_LOT and farm F-01.

Allowed → the endpoint's success status and media type (JSON, except a label file and the
VietGAP PDF); a known caller outside the set → 403 with the fixed detail; no key or a revoked
key → 401 with ``WWW-Authenticate: Bearer``; a refusal is JSON and adds no rows. No caller gets
404 here: every gate is judged before anything is looked up for them, or on a resource that
exists. A product with a GTIN under htx's GS1 company prefix is htx's alone to register: other
product registrars are told whose prefix it is; a growing area is registered by a regulator or
by the cooperative holding it. A farm's diary goes to its owner and those who read everything;
a lot's checklist to its holder and the same. Reads: a lot's full record (custodian, children,
event data) goes to those who acted on it, hold it or read everything; everyone else, keyless
or not, gets its public face; a batch's events and errors go to the admin and regulators only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from backend.app import create_app
from backend.models import Event, Lot, Organisation
from backend.models_areas import CapRaise, CropYield, GrowingArea
from backend.models_compliance import FarmDiaryEntry
from backend.models_recall import RecallNotice, WebhookEndpoint
from backend.runtime import Runtime
from qr.gtin import vietnam_gtin
from tests.compliance.test_season_diary_api import spray
from tests.support.app import ADMIN, make_settings
from tests.support.bodies import INVALID_KEY, MISSING_KEY, NOT_CUSTODIAN, NOT_FARM_OWNER, WRONG_ROLE
from tests.support.custody import hand_over

CALLERS = ["admin", "htx", "htx2", "dg", "pp", "ret", "ql", "none", "revoked"]
ROLES = {
    "htx": "cooperative",
    "htx2": "cooperative",
    "dg": "packer",
    "pp": "distributor",
    "ret": "retailer",
    "ql": "regulator",
}
HARVEST = "2026-05-01T06:30:00+07:00"
#: htx's GS1 company prefix: only htx may register products with GTINs under it.
HTX_PREFIX = "8935000"
NOT_YOUR_PREFIX = (
    "GTIN mang tiền tố doanh nghiệp 8935000 của tổ chức khác / the GTIN carries company "
    "prefix 8935000, which belongs to another organisation"
)
NOT_RECEIVER = (
    "Chỉ tổ chức được gửi đến trong chuyến hàng mới được nhận hoặc từ chối lô / only the "
    "organisation the shipment is addressed to may receive or refuse it"
)
NOT_SENDER = "Chỉ bên gửi mới được huỷ chuyến hàng / only the sender may cancel the shipment"
NOT_AREA_HOLDER = (
    "Hợp tác xã chỉ đăng ký vùng trồng do chính mình giữ / a cooperative registers only the "
    "areas it holds"
)
#: A public address (an IP literal, so setting it needs no DNS); no sender runs to post to it.
WEBHOOK_URL = "https://1.1.1.1/hooks/sentrace"
#: Harvested by htx and handed to dg: the lot whose reads the read matrix checks.
READ_LOT = "READ-1"


@dataclass
class Matrix:
    client: TestClient
    runtime: Runtime
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    spare_keys: list[int] = field(default_factory=list)

    def post(self, path: str, who: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.post(path, json=body, headers=self.headers[who])
        assert response.status_code in (200, 201), response.text
        return response.json()

    def harvest(self, code: str) -> None:
        body = {"code": code, "product": "xoai", "farm": "F-01", "quantity": "100", "unit": "kg"}
        self.post("/api/v1/lots", "htx", {**body, "harvested_at": HARVEST})


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    root: Path = tmp_path_factory.mktemp("authz")
    # No webhook sender: a webhook set by one cell must not be posted to by a later recall.
    settings = make_settings(root / "data", f"sqlite:///{root / 'ledger.db'}", webhook_poll_s=0)
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as client:
            built = Matrix(client, runtime, headers={"admin": ADMIN, "none": {}})
            for slug, role in ROLES.items():
                made = built.post(
                    "/api/v1/orgs",
                    "admin",
                    {"slug": slug, "name": slug, "role": role, "key_custody": "custodial"},
                )
                built.headers[slug] = {"Authorization": f"Bearer {made['api_key']}"}
            extra = built.post("/api/v1/orgs/htx/keys", "admin", {"label": "bị thu hồi"})
            built.post(f"/api/v1/orgs/htx/keys/{extra['id']}/revoke", "admin")
            built.headers["revoked"] = {"Authorization": f"Bearer {extra['api_key']}"}
            for _ in range(2 * len(CALLERS)):
                built.spare_keys.append(built.post("/api/v1/orgs/htx/keys", "admin", {})["id"])
            farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
            built.post("/api/v1/farms", "htx", farm)
            built.post("/api/v1/farms", "htx2", {**farm, "code": "F-02"})
            built.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát"})
            prefix = {"prefix": HTX_PREFIX, "licence": "GS1 Việt Nam 001/2026"}
            built.post("/api/v1/orgs/htx/gs1-prefixes", "admin", prefix)
            built.harvest(READ_LOT)
            hand_over(built.post, READ_LOT, "htx", "dg")
            built.post("/api/v1/anchor", "admin")
            yield built
    finally:
        runtime.close()


@dataclass(frozen=True)
class Endpoint:
    """One write: how to call it for a caller, and who may."""

    name: str
    method: str
    allowed: frozenset[str]
    success: int
    path: Callable[[Matrix, str], str]
    body: Callable[[Matrix, str], dict[str, Any] | None] = lambda _m, _c: None
    denied_detail: str = WRONG_ROLE
    media_type: str = "application/json"


def lot_for(prefix: str, holder: str = "htx") -> Callable[[Matrix, str], str]:
    """A fresh lot per caller, harvested by htx and (if asked) handed to ``holder``."""

    def make(m: Matrix, caller: str) -> str:
        code = f"{prefix}-{caller}"
        m.harvest(code)
        if holder != "htx":
            hand_over(m.post, code, "htx", holder)
        return code

    return make


def on_lot(prefix: str, suffix: str, holder: str = "htx") -> Callable[[Matrix, str], str]:
    make = lot_for(prefix, holder)
    return lambda m, caller: f"/api/v1/lots/{make(m, caller)}{suffix}"


def sent_lot(prefix: str, suffix: str, *, expired: bool = False) -> Callable[[Matrix, str], str]:
    """A fresh lot per caller, harvested by htx and sent to dg, not yet answered (its shipment
    aged past ``SENTRACE_SHIPMENT_EXPIRY_H`` if asked); the path of ``suffix`` on it."""

    def make(m: Matrix, caller: str) -> str:
        code = f"{prefix}-{caller}"
        m.harvest(code)
        shipment = m.post(f"/api/v1/lots/{code}/transfer", "htx", {"to": "dg"})["shipment"]
        if expired:
            with m.runtime.engine.begin() as connection:
                connection.execute(
                    text("UPDATE shipment SET sent_at = :when WHERE id = :id"),
                    {"when": "2000-01-01 00:00:00", "id": shipment["id"]},
                )
        return f"/api/v1/lots/{code}{suffix}"

    return make


def merge_sources(m: Matrix, caller: str) -> dict[str, Any]:
    codes = [f"MG-{caller}-{i}" for i in range(2)]
    for code in codes:
        m.harvest(code)
    return {"lots": codes}


def certified_farm(prefix: str, *, confirmed: bool) -> Callable[[Matrix, str], str]:
    """A fresh farm of htx per caller stating VietGAP ``VG-<caller>`` (confirmed by the
    regulator first, if asked); the path of its review endpoint ``…/<prefix>``."""

    def make(m: Matrix, caller: str) -> str:
        code = f"FC-{prefix}-{caller}"
        cert = {"scheme": "VietGAP", "number": f"VG-{caller}"}
        farm = {"code": code, "name": "Vườn", "commune": "Mỹ Xương", "certifications": [cert]}
        m.post("/api/v1/farms", "htx", farm)
        if confirmed:
            m.post(f"/api/v1/farms/{code}/certification-confirmations", "ql", cert)
        return f"/api/v1/farms/{code}/certification-{prefix}"

    return make


def farm_inputs(prefix: str, *, sprayed: bool) -> Callable[[Matrix, str], str]:
    """A fresh farm of htx per caller (sprayed an hour ago with a 30-day interval, still
    running, if asked); the path of its diary's ``…/<prefix>``."""

    def make(m: Matrix, caller: str) -> str:
        code = f"FD-{prefix}-{caller}"
        m.post("/api/v1/farms", "htx", {"code": code, "name": "Vườn", "commune": "Mỹ Xương"})
        if sprayed:
            applied = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
            body = spray(applied_at=applied.isoformat(), pre_harvest_interval_days=30)
            m.post(f"/api/v1/farms/{code}/inputs", "htx", body)
        return f"/api/v1/farms/{code}/{prefix}"

    return make


def area_body(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "holder": "htx",
        "area_ha": "1",
        "crop": "xoai",
        "valid_from": "2026-01-01",
    }


def registered_area(m: Matrix, caller: str) -> str:
    """A fresh growing area of htx per caller, registered by the regulator; its cap raises."""
    code = f"GA-CAP-{caller}"
    m.post("/api/v1/growing-areas", "ql", area_body(code))
    return f"/api/v1/growing-areas/{code}/cap-raises"


def spare_key(m: Matrix, _caller: str) -> int:
    return m.spare_keys.pop()


def epcis_document(tag: str) -> dict[str, Any]:
    """An EPCIS 2.0 document whose one event names an item of its own (``tag``)."""
    event = {
        "type": "ObjectEvent",
        "eventTime": "2026-05-02T08:00:00Z",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [f"urn:epc:id:sgtin:8935000.000001.{tag}"],
        "action": "OBSERVE",
        "bizStep": "receiving",
    }
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-05-02T09:00:00Z",
        "epcisBody": {"eventList": [event]},
    }


NOTE = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": "ghi chú"}}
ADMIN_ONLY = frozenset({"admin"})
CUSTODIAN_HTX = frozenset({"htx"})
REGULATOR = frozenset({"ql"})
#: Those who read a farm's diary or a lot's checklist beyond its owner: they read everything.
READ_ALL = frozenset({"admin", "ql"})

ENDPOINTS = [
    Endpoint(
        "create-org",
        "POST",
        ADMIN_ONLY,
        201,
        lambda _m, _c: "/api/v1/orgs",
        lambda _m, c: {"slug": f"new-{c}", "name": "Mới", "role": "retailer"},
    ),
    Endpoint(
        "create-key",
        "POST",
        ADMIN_ONLY,
        201,
        lambda _m, _c: "/api/v1/orgs/htx/keys",
        lambda _m, _c: {"label": "thêm"},
    ),
    Endpoint("list-keys", "GET", ADMIN_ONLY, 200, lambda _m, _c: "/api/v1/orgs/htx/keys"),
    Endpoint(
        "delete-key",
        "DELETE",
        ADMIN_ONLY,
        200,
        lambda m, c: f"/api/v1/orgs/htx/keys/{spare_key(m, c)}",
    ),
    Endpoint(
        "revoke-key",
        "POST",
        ADMIN_ONLY,
        200,
        lambda m, c: f"/api/v1/orgs/htx/keys/{spare_key(m, c)}/revoke",
    ),
    Endpoint(
        "create-farm",
        "POST",
        frozenset({"htx", "htx2"}),
        201,
        lambda _m, _c: "/api/v1/farms",
        lambda _m, c: {"code": f"F-{c}", "name": "Vườn", "commune": "Tân Thuận"},
    ),
    Endpoint(
        "create-product",
        "POST",
        frozenset({"htx", "htx2", "dg", "admin"}),
        201,
        lambda _m, _c: "/api/v1/products",
        lambda _m, c: {"code": f"P-{c}", "name_vi": "Quýt hồng Lai Vung"},
    ),
    Endpoint(
        "register-gs1-prefix",
        "POST",
        ADMIN_ONLY,
        201,
        lambda _m, _c: "/api/v1/orgs/htx2/gs1-prefixes",
        lambda _m, c: {"prefix": f"8936{CALLERS.index(c):03d}", "licence": "GS1 Việt Nam"},
    ),
    Endpoint(
        "list-gs1-prefixes", "GET", ADMIN_ONLY, 200, lambda _m, _c: "/api/v1/orgs/htx/gs1-prefixes"
    ),
    Endpoint(
        "create-product-with-htx-gtin",
        "POST",
        CUSTODIAN_HTX,
        201,
        lambda _m, _c: "/api/v1/products",
        lambda _m, c: {
            "code": f"G-{c}",
            "name_vi": "Xoài cát Chu",
            "gtin": vietnam_gtin(HTX_PREFIX, CALLERS.index(c) + 1),
        },
    ),
    Endpoint(
        "harvest-on-htx-farm",
        "POST",
        CUSTODIAN_HTX,
        201,
        lambda _m, _c: "/api/v1/lots",
        lambda _m, c: {
            "code": f"H-{c}",
            "product": "xoai",
            "farm": "F-01",
            "quantity": "5",
            "unit": "kg",
            "harvested_at": HARVEST,
        },
    ),
    Endpoint(
        "add-event",
        "POST",
        CUSTODIAN_HTX,
        201,
        on_lot("EV", "/events"),
        lambda _m, _c: NOTE,
        NOT_CUSTODIAN,
    ),
    Endpoint(
        "transfer",
        "POST",
        CUSTODIAN_HTX,
        200,
        on_lot("TR", "/transfer"),
        lambda _m, _c: {"to": "ret"},
        NOT_CUSTODIAN,
    ),
    Endpoint(
        "split",
        "POST",
        CUSTODIAN_HTX,
        201,
        on_lot("SP", "/split"),
        lambda _m, _c: {"children": [{"quantity": "10"}]},
        NOT_CUSTODIAN,
    ),
    Endpoint(
        "merge",
        "POST",
        CUSTODIAN_HTX,
        201,
        lambda _m, _c: "/api/v1/lots/merge",
        merge_sources,
        NOT_CUSTODIAN,
    ),
    Endpoint(
        "labels",
        "POST",
        CUSTODIAN_HTX,
        200,
        on_lot("LB", "/labels"),
        lambda _m, _c: {"count": 1, "format": "zpl"},
        NOT_CUSTODIAN,
        media_type="application/zpl",
    ),
    Endpoint(
        "recall",
        "POST",
        frozenset({"ql"}),
        200,
        on_lot("RC", "/recall"),
        lambda _m, _c: {"reason": "Dư lượng vượt ngưỡng"},
    ),
    Endpoint(
        "confirm-certification",
        "POST",
        frozenset({"ql"}),
        201,
        certified_farm("confirmations", confirmed=False),
        lambda _m, c: {"scheme": "VietGAP", "number": f"VG-{c}"},
    ),
    Endpoint(
        "revoke-certification",
        "POST",
        frozenset({"ql"}),
        201,
        certified_farm("revocations", confirmed=True),
        lambda _m, c: {"scheme": "VietGAP", "number": f"VG-{c}", "reason": "Hết hiệu lực"},
    ),
    Endpoint(
        "record-farm-input",
        "POST",
        CUSTODIAN_HTX,
        201,
        farm_inputs("inputs", sprayed=False),
        lambda _m, _c: spray(),
    ),
    Endpoint(
        "override-pre-harvest-interval",
        "POST",
        REGULATOR,
        201,
        farm_inputs("phi-overrides", sprayed=True),
        lambda _m, _c: {"reason": "Mẫu kiểm nghiệm dư lượng đạt"},
    ),
    Endpoint(
        "list-farm-diary",
        "GET",
        CUSTODIAN_HTX | READ_ALL,
        200,
        lambda _m, _c: "/api/v1/farms/F-01/inputs",
        denied_detail=NOT_FARM_OWNER,
    ),
    Endpoint(
        "vietgap-diary-pdf",
        "GET",
        CUSTODIAN_HTX | READ_ALL,
        200,
        lambda _m, _c: "/api/v1/farms/F-01/vietgap-diary?season=2026",
        denied_detail=NOT_FARM_OWNER,
        media_type="application/pdf",
    ),
    Endpoint(
        "register-growing-area",
        "POST",
        frozenset({"htx", "ql"}),
        201,
        lambda _m, _c: "/api/v1/growing-areas",
        lambda _m, c: area_body(f"GA-{c}"),
    ),
    Endpoint(
        "raise-area-cap",
        "POST",
        REGULATOR,
        201,
        registered_area,
        lambda _m, _c: {"season": "2026", "kg": "500", "reason": "Năng suất vụ này cao"},
    ),
    Endpoint(
        "set-crop-yield",
        "PUT",
        REGULATOR,
        200,
        lambda _m, c: f"/api/v1/crop-yields/cay-{c}",
        lambda _m, _c: {"tonnes_per_ha": "9"},
    ),
    Endpoint(
        "recall-impact",
        "GET",
        REGULATOR,
        200,
        lambda _m, _c: f"/api/v1/recall-impact?lot={READ_LOT}",
    ),
    Endpoint(
        "issue-recall-notice",
        "POST",
        REGULATOR,
        201,
        lambda _m, _c: "/api/v1/recall-notices",
        lambda m, c: {"lot": lot_for("RN")(m, c), "reason": "Dư lượng vượt ngưỡng"},
    ),
    Endpoint(
        "set-webhook",
        "PUT",
        frozenset(ROLES) | ADMIN_ONLY,
        200,
        lambda _m, _c: "/api/v1/webhook",
        lambda _m, _c: {"url": WEBHOOK_URL},
    ),
    Endpoint(
        "lot-completeness",
        "GET",
        frozenset({"dg"}) | READ_ALL,
        200,
        lambda _m, _c: f"/api/v1/lots/{READ_LOT}/completeness",
        denied_detail=NOT_CUSTODIAN,
    ),
    Endpoint(
        "epcis-capture",
        "POST",
        frozenset({"htx", "htx2", "dg", "pp", "ret"}),
        202,
        lambda _m, _c: "/epcis/capture",
        lambda _m, c: epcis_document(c),
    ),
    Endpoint("anchor-now", "POST", ADMIN_ONLY, 200, lambda _m, _c: "/api/v1/anchor"),
]

#: The custodian's writes once the lot has passed to packer ``dg``: htx lost them.
HELD_BY_PACKER = [
    Endpoint(
        "add-event@dg",
        "POST",
        frozenset({"dg"}),
        201,
        on_lot("EVd", "/events", "dg"),
        lambda _m, _c: NOTE,
        NOT_CUSTODIAN,
    ),
    Endpoint(
        "transfer@dg",
        "POST",
        frozenset({"dg"}),
        200,
        on_lot("TRd", "/transfer", "dg"),
        lambda _m, _c: {"to": "ret"},
        NOT_CUSTODIAN,
    ),
    Endpoint(
        "receive",
        "POST",
        frozenset({"dg"}),
        200,
        sent_lot("RCV", "/receive"),
        lambda _m, _c: {},
        NOT_RECEIVER,
    ),
    Endpoint(
        "refuse",
        "POST",
        frozenset({"dg"}),
        200,
        sent_lot("RFS", "/refuse"),
        lambda _m, _c: {"reason": "Không đặt lô này"},
        NOT_RECEIVER,
    ),
    Endpoint(
        "cancel-shipment",
        "POST",
        CUSTODIAN_HTX,
        200,
        sent_lot("CXL", "/cancel-shipment", expired=True),
        lambda _m, _c: {},
        NOT_SENDER,
    ),
    Endpoint(
        "split@dg",
        "POST",
        frozenset({"dg"}),
        201,
        on_lot("SPd", "/split", "dg"),
        lambda _m, _c: {"children": [{"quantity": "10"}]},
        NOT_CUSTODIAN,
    ),
    Endpoint(
        "labels@dg",
        "POST",
        frozenset({"dg"}),
        200,
        on_lot("LBd", "/labels", "dg"),
        lambda _m, _c: {"count": 1, "format": "zpl"},
        NOT_CUSTODIAN,
        media_type="application/zpl",
    ),
]

CELLS = [(e, c) for e in ENDPOINTS + HELD_BY_PACKER for c in CALLERS]


def denied_detail(endpoint: Endpoint, caller: str) -> str:
    """The 403 detail: role gates say "role", ownership gates say "custodian" or "farm"."""
    if endpoint.name in {"harvest-on-htx-farm", "record-farm-input"} and caller == "htx2":
        return NOT_FARM_OWNER  # a cooperative, but not the farm's
    if endpoint.name == "register-growing-area" and caller == "htx2":
        return NOT_AREA_HOLDER  # a cooperative, registering an area another one holds
    if endpoint.name == "create-product-with-htx-gtin" and caller in {"htx2", "dg", "admin"}:
        return NOT_YOUR_PREFIX  # may register products, but not under htx's prefix
    return endpoint.denied_detail  # the role, or the ownership (custody, shipment) it needs


#: The rows the writes add; a refused one adds none.
WRITTEN = (
    Event,
    Lot,
    Organisation,
    FarmDiaryEntry,
    GrowingArea,
    CapRaise,
    CropYield,
    RecallNotice,
    WebhookEndpoint,
)


def counts(m: Matrix) -> tuple[int, ...]:
    with Session(m.runtime.engine) as session:
        return tuple(
            int(session.exec(select(func.count()).select_from(model)).one()) for model in WRITTEN
        )


@pytest.mark.parametrize(("endpoint", "caller"), CELLS, ids=[f"{e.name}-{c}" for e, c in CELLS])
def test_each_write_is_open_to_exactly_its_allowed_callers(
    matrix: Matrix, endpoint: Endpoint, caller: str
) -> None:
    path = endpoint.path(matrix, caller)
    body = endpoint.body(matrix, caller)
    before = counts(matrix)
    response = matrix.client.request(
        endpoint.method, path, json=body, headers=matrix.headers[caller]
    )
    if caller in endpoint.allowed:
        assert response.status_code == endpoint.success, response.text
        assert response.headers["content-type"].startswith(endpoint.media_type)
        return
    assert response.headers["content-type"] == "application/json"
    assert counts(matrix) == before, "a refused write left rows behind"
    if caller in {"none", "revoked"}:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
        detail = MISSING_KEY if caller == "none" else INVALID_KEY
    else:
        assert response.status_code == 403, response.text
        detail = denied_detail(endpoint, caller)
    assert response.json()["detail"] == detail


#: Who reads the full record of READ_LOT (harvested by htx, held by dg): those who acted on
#: it, hold it, or read everything. Everyone else gets its public face; a revoked key a 401.
FULL_LOT_READERS = frozenset({"admin", "htx", "dg", "ql"})
#: Who reads a batch's events, attempts and last error: those who read every lot.
FULL_BATCH_READERS = frozenset({"admin", "ql"})


@pytest.mark.parametrize("caller", CALLERS)
def test_each_lot_read_shows_the_full_record_to_exactly_its_readers(
    matrix: Matrix, caller: str
) -> None:
    response = matrix.client.get(f"/api/v1/lots/{READ_LOT}", headers=matrix.headers[caller])
    if caller == "revoked":
        assert response.status_code == 401, response.text
        assert response.json()["detail"] == INVALID_KEY
        return
    assert response.status_code == 200, response.text
    record = response.json()
    if caller in FULL_LOT_READERS:
        assert record["custodian"]["slug"] == "dg"
        assert all("data" in event for event in record["events"])
    else:
        assert "custodian" not in record and "children" not in record
        assert all("data" not in event and "id" not in event for event in record["events"])


@pytest.mark.parametrize("caller", CALLERS)
def test_each_batch_read_shows_events_and_errors_to_exactly_its_readers(
    matrix: Matrix, caller: str
) -> None:
    owner = matrix.client.get(f"/api/v1/lots/{READ_LOT}", headers=matrix.headers["htx"]).json()
    root = next(event["batch_root"] for event in owner["events"] if event["batch_root"])
    response = matrix.client.get(f"/api/v1/batches/{root}", headers=matrix.headers[caller])
    if caller == "revoked":
        assert response.status_code == 401, response.text
        return
    assert response.status_code == 200, response.text
    batch = response.json()
    assert batch["root"] == root
    private = {"events", "attempts", "last_error"}
    assert private & set(batch) == (private if caller in FULL_BATCH_READERS else set())


#: Public reads the GS1 resolver links to (and its own answers): no key needed, and a key,
#: even a revoked one, neither widens nor narrows them.
RESOLVER_READS = (
    f"/api/v1/lots/{READ_LOT}/recall-status",
    f"/api/v1/lots/{READ_LOT}/certifications",
    "/.well-known/gs1resolver",
    f"/l/{READ_LOT}?linkType=linkset",
)


@pytest.mark.parametrize("caller", CALLERS)
def test_resolver_reads_answer_every_caller_as_they_answer_the_public(
    matrix: Matrix, caller: str
) -> None:
    for path in RESOLVER_READS:
        response = matrix.client.get(path, headers=matrix.headers[caller])
        assert response.status_code == 200, (path, response.text)
        assert response.json() == matrix.client.get(path).json(), path


@pytest.mark.parametrize("caller", CALLERS)
def test_epcis_queries_show_exactly_the_lots_each_caller_may_read(
    matrix: Matrix, caller: str
) -> None:
    response = matrix.client.get(
        "/epcis/events?EQ_bizStep=commissioning&perPage=1000", headers=matrix.headers[caller]
    )
    if caller in {"none", "revoked"}:
        assert response.status_code == 401, response.text
        return
    assert response.status_code == 200, response.text
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    lots = {e["quantityList"][0]["epcClass"].rsplit("/", 1)[1] for e in events}
    assert (READ_LOT in lots) == (caller in FULL_LOT_READERS)


@pytest.mark.parametrize("caller", CALLERS)
def test_a_capture_job_is_read_by_its_organisation_and_those_who_read_everything(
    matrix: Matrix, caller: str
) -> None:
    made = matrix.client.post(
        "/epcis/capture", json=epcis_document(f"job-{caller}"), headers=matrix.headers["dg"]
    )
    assert made.status_code == 202, made.text
    response = matrix.client.get(made.headers["Location"], headers=matrix.headers[caller])
    expected = {"dg": 200, "admin": 200, "ql": 200, "none": 401, "revoked": 401}.get(caller, 404)
    assert response.status_code == expected, response.text


@pytest.mark.parametrize("caller", CALLERS)
def test_the_epcis_export_of_a_lot_is_public(matrix: Matrix, caller: str) -> None:
    """Public; a key only decides whether captured bodies come verbatim (READ_LOT has none), so
    like the lot's record, a revoked key is a 401 rather than silently read as no key."""
    path = f"/api/v1/lots/{READ_LOT}/epcis"
    response = matrix.client.get(path, headers=matrix.headers[caller])
    if caller == "revoked":
        assert response.status_code == 401, response.text
        assert response.json()["detail"] == INVALID_KEY
        return
    assert response.status_code == 200, response.text
    public = matrix.client.get(path).json()["epcisBody"]["eventList"]
    events = response.json()["epcisBody"]["eventList"]
    assert [e["eventID"] for e in events] == [e["eventID"] for e in public]
