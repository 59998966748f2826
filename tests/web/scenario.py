"""A small world of lots in every verification state, built through the real API.

Shared by the consumer page tests (tests/web) and the browser tests (tests/browser). Everything
goes through HTTP except two things no API offers on purpose: editing a stored event behind the
application's back (to make a ``tampered`` lot) and the printed-serial rows the label service
writes (inserted here directly, so these tests do not depend on label rendering).

Lots (codes are constants below):

* ``VERIFIED``  harvest → input application → quality check → transfer → packing, anchored;
  product with a GTIN; split into ``CHILD`` (also anchored) so the page shows ancestry.
* ``PENDING``   harvested after the last anchoring pass.
* ``TAMPERED``  anchored, then its packing note edited in the database (the stored document's
  bytes under rules v2, the ``data`` column under v1: each where its rules read it).
* ``RECALLED``  anchored, then recalled by the regulator.
* ``HOSTILE``   product, farm and event text carrying markup and script.
* ``PLAIN``     a product without a GTIN (only the ``/l/`` link fits it).
* ``MERGED``    two harvest lots of that product merged into one, anchored.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.hashing import canonical_bytes, read_document
from backend.models import Event, EventType, LabelSerial, Lot
from backend.runtime import Runtime
from qr.gtin import vietnam_gtin
from tests.support.app import Actors
from tests.support.custody import hand_over

VERIFIED = "XOAI-2605-A"
CHILD = "XOAI-2605-A1"
CHILD_SIBLING = "XOAI-2605-A2"
PENDING = "XOAI-2605-P"
TAMPERED = "XOAI-2605-T"
RECALLED = "XOAI-2605-R"
HOSTILE = "XSS-2605-H"
PLAIN = "BUOI-2605-B"
MERGE_SOURCES = ("BUOI-2605-M1", "BUOI-2605-M2")
MERGED = "BUOI-2605-MX"

PRINTED_SERIALS = ("0001", "0002", "0003", "0004", "0005", "0006")

MANGO_GTIN = vietnam_gtin("8935049", 1)
HOSTILE_GTIN = vietnam_gtin("8935049", 2)

#: Markup that would run if it reached the page unescaped; each sets a flag the browser
#: test looks for.
SCRIPT_TAG = "<script>window.__pwned=1;document.title='pwned'</script>"
ATTRIBUTE_BREAK = '"><img src=x onerror="window.__pwned=2">'
HANDLER_TAG = "<svg onload=window.__pwned=3>"

RECALL_REASON = "Phát hiện dư lượng thuốc bảo vệ thực vật vượt ngưỡng"
TAMPERED_NOTE = "Đóng 40 thùng 10 kg (đã sửa)"


def _harvest(actors: Actors, code: str, product: str, farm: str, when: str) -> None:
    actors.post(
        "/api/v1/lots",
        "htx",
        {
            "code": code,
            "product": product,
            "farm": farm,
            "quantity": "1000",
            "unit": "kg",
            "harvested_at": when,
        },
    )


def _event(actors: Actors, code: str, as_org: str, body: dict[str, Any]) -> None:
    actors.post(f"/api/v1/lots/{code}/events", as_org, body)


def _farm_and_products(actors: Actors) -> None:
    actors.post(
        "/api/v1/farms",
        "htx",
        {
            "code": "F-01",
            "name": "Vườn xoài ông Tư",
            "commune": "Mỹ Xương",
            "lat": "10.4093",
            "lon": "105.7082",
            "growing_area_code": "VN-DTMX-0123",
            "certifications": [
                {
                    "scheme": "VietGAP",
                    "number": "VG-DT-2025-118",
                    "valid_from": "2025-01-01",
                    "valid_until": "2027-12-31",
                },
                {
                    "scheme": "GlobalGAP",
                    "number": "GG-4063061000000",
                    "valid_from": "2021-01-01",
                    "valid_until": "2023-12-31",
                },
            ],
        },
    )
    actors.post(
        "/api/v1/farms",
        "htx",
        {"code": "F-XSS", "name": f"Vườn {ATTRIBUTE_BREAK}", "commune": HANDLER_TAG},
    )
    actors.gs1_prefix("htx", "8935049")  # the company prefix of both GTINs below
    actors.post(
        "/api/v1/products",
        "htx",
        {
            "code": "xoai",
            "name_vi": "Xoài cát Hòa Lộc",
            "name_en": "Hoa Loc mango",
            "gtin": MANGO_GTIN,
        },
    )
    actors.post("/api/v1/products", "htx", {"code": "buoi", "name_vi": "Bưởi Năm Roi"})
    actors.post(
        "/api/v1/products",
        "htx",
        {"code": "xss", "name_vi": f"Xoài {SCRIPT_TAG}", "gtin": HOSTILE_GTIN},
    )


def _full_journey(actors: Actors, code: str) -> None:
    """Harvest, inputs, a quality check, hand-over and packing: what a real lot goes through."""
    _harvest(actors, code, "xoai", "F-01", "2026-05-01T06:30:00+07:00")
    _event(
        actors,
        code,
        "htx",
        {
            "type": "input_application",
            "occurred_at": "2026-05-01T07:00:00+07:00",
            "data": {
                "product": "Phân hữu cơ vi sinh",
                "active_ingredient": "Trichoderma",
                "dose": "2.5",
                "unit": "kg/gốc",
                "pre_harvest_interval_days": 0,
            },
        },
    )
    _event(
        actors,
        code,
        "htx",
        {
            "type": "quality_check",
            "occurred_at": "2026-05-01T09:15:00+07:00",
            "data": {"result": "pass", "note": "Độ Brix 16"},
        },
    )
    hand_over(actors.post, code, "htx", "dg", occurred_at="2026-05-01T14:00:00+07:00")
    _event(
        actors,
        code,
        "dg",
        {
            "type": "packing",
            "occurred_at": "2026-05-02T08:00:00+07:00",
            "location": {"name": "Xưởng đóng gói Sa Đéc", "lat": "10.2950", "lon": "105.7570"},
            "data": {"note": "Đóng 40 thùng 10 kg"},
        },
    )


def anchor_everything(runtime: Runtime) -> None:
    """Run anchoring passes until nothing is left (the worker, driven synchronously)."""
    for _ in range(20):
        report = runtime.anchoring.run_once(force=True, wait=True)
        if not report.more_work and not report.built:
            return
    raise AssertionError("anchoring did not settle in 20 passes")


def build_world(client: TestClient, runtime: Runtime) -> Actors:
    """Create every lot listed in the module docstring (takes a few seconds); the actors, for
    tests that go on recording."""
    actors = Actors(client)
    actors.org("htx", "cooperative", "HTX Mỹ Xương")
    actors.org("dg", "packer", "Đóng gói Sa Đéc")
    actors.org("ql", "regulator", "Chi cục Quản lý chất lượng Nông Lâm Thủy sản")
    _farm_and_products(actors)

    _full_journey(actors, VERIFIED)
    actors.post(
        f"/api/v1/lots/{VERIFIED}/split",
        "dg",
        {
            "children": [
                {"code": CHILD, "quantity": "400"},
                {"code": CHILD_SIBLING, "quantity": "600"},
            ],
            "occurred_at": "2026-05-02T10:00:00+07:00",
        },
    )
    _full_journey(actors, TAMPERED)
    _full_journey(actors, RECALLED)
    _harvest(actors, PLAIN, "buoi", "F-01", "2026-05-03T06:00:00+07:00")
    _harvest(actors, HOSTILE, "xss", "F-XSS", "2026-05-03T06:00:00+07:00")
    for source in MERGE_SOURCES:
        _harvest(actors, source, "buoi", "F-01", "2026-05-03T06:00:00+07:00")
    actors.post(
        "/api/v1/lots/merge",
        "htx",
        {"lots": list(MERGE_SOURCES), "code": MERGED, "occurred_at": "2026-05-03T09:00:00+07:00"},
    )
    _event(
        actors,
        HOSTILE,
        "htx",
        {
            "type": "note",
            "occurred_at": "2026-05-03T07:00:00+07:00",
            "location": {"name": SCRIPT_TAG},
            "data": {"text": f"Ghi chú {SCRIPT_TAG} {ATTRIBUTE_BREAK}"},
        },
    )
    anchor_everything(runtime)

    actors.post(f"/api/v1/lots/{RECALLED}/recall", "ql", {"reason": RECALL_REASON})
    anchor_everything(runtime)
    _harvest(actors, PENDING, "xoai", "F-01", "2026-05-04T06:00:00+07:00")

    with Session(runtime.engine) as session:
        _tamper(session)
        _print_serials(session, VERIFIED)
        _print_serials(session, CHILD)
        session.commit()
    return actors


def _tamper(session: Session) -> None:
    """Edit one anchored event's note directly in the database, as an attacker would.

    Under rules v1 the page rebuilds the hashed document from the event's columns, so the
    ``data`` column is the thing to edit. Under rules v2 the columns are only indexes: the page
    reads the stored canonical bytes, so the attacker rewrites those (as a well-formed canonical
    document, only the note changed; its hash no longer matches the anchored one) and the
    ``data`` column with them, so that every copy in the database tells the same story.
    """
    lot = session.exec(select(Lot).where(Lot.code == TAMPERED)).one()
    event = session.exec(
        select(Event).where(Event.lot_id == lot.id, Event.type == EventType.PACKING)
    ).one()
    if event.canonical is not None:
        document = read_document(bytes(event.canonical))
        document["data"] = {**document["data"], "note": TAMPERED_NOTE}
        event.canonical = canonical_bytes(document)
    event.data = {"note": TAMPERED_NOTE}
    session.add(event)


def _print_serials(session: Session, code: str) -> None:
    lot = session.exec(select(Lot).where(Lot.code == code)).one()
    for serial in PRINTED_SERIALS:
        session.add(LabelSerial(lot_id=lot.id, serial=serial))
