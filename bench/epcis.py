"""EPCIS 2.0: the export of a 20-event lot and the capture of a 1,000-event document, timed.

In process, through the app (``TestClient``: routing, authentication, the signing protocol and
the JSON all count), on a fresh SQLite database and the in-process chain with no anchoring
worker (events stay pending: a node's answers are what the verification section measures).
The lot is harvested and given ``epcis_lot_events - 1`` quality checks by a custodial
cooperative (the server signs); the export is asked ``epcis_export_repeat`` times and the
median kept. The capture document holds ``epcis_capture_events`` ObjectEvents naming 100
serialised items (so 100 lots are made), timed once, cold, as one request.
"""

from __future__ import annotations

import json
import secrets
import statistics
import time
from typing import Any

from fastapi.testclient import TestClient

from backend.app import create_app
from backend.config import Environment, Settings
from backend.runtime import Runtime
from bench.config import BenchConfig
from bench.results import Row, SectionResult

#: A fresh admin token per run (the bench is the only client of its server).
ADMIN_TOKEN = secrets.token_hex(16)
ITEMS = 100


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("epcis", "EPCIS 2.0")
    data_dir = config.work_dir / "epcis"
    settings = Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        database_url=f"sqlite:///{(data_dir / 'epcis.db').as_posix()}",
        chain_rpc_url="memory",
        worker_enabled=False,
        webhook_poll_s=0,
        admin_token=ADMIN_TOKEN,
    )
    runtime = Runtime.start(settings, start_worker=False)  # in-process chain: signing domain
    try:
        with TestClient(create_app(runtime)) as client:
            htx = _org(client, "htx", "cooperative")
            dg = _org(client, "dg", "packer")
            code = _lot(client, htx, config.epcis_lot_events)
            export_s = _export(client, code, config.epcis_export_repeat)
            document = capture_document(config.epcis_capture_events)
            started = time.perf_counter()
            answer = client.post("/epcis/capture", content=json.dumps(document), headers=dg)
            capture_s = time.perf_counter() - started
            assert answer.status_code == 202, answer.text
            assert answer.json()["imported"] == config.epcis_capture_events
    finally:
        runtime.close()
    events = config.epcis_capture_events
    result.add(Row(f"export of a {config.epcis_lot_events}-event lot (median)", export_s, "s"))
    result.add(Row(f"capture of a {events:,}-event document (one request)", capture_s, "s"))
    result.add(Row(f"capture throughput ({events:,} events)", events / capture_s, "events/s"))
    result.notes.append(
        f"In process through the app on SQLite, in-process chain, not anchored; export median of "
        f"{config.epcis_export_repeat}; the capture names {ITEMS} serialised items, each made "
        f"a lot, and signs one statement per event (custodial key)."
    )
    return result


def _org(client: TestClient, slug: str, role: str) -> dict[str, str]:
    body = {"slug": slug, "name": slug.upper(), "role": role, "key_custody": "custodial"}
    made = client.post(
        "/api/v1/orgs", json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['api_key']}"}


def _lot(client: TestClient, headers: dict[str, str], events: int) -> str:
    farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
    for path, body in (
        ("/api/v1/farms", farm),
        ("/api/v1/products", {"code": "xoai", "name_vi": "Xoài"}),
    ):
        assert client.post(path, json=body, headers=headers).status_code == 201
    lot = client.post(
        "/api/v1/lots",
        json={
            "product": "xoai",
            "farm": "F-01",
            "quantity": "1000",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00+07:00",
        },
        headers=headers,
    )
    assert lot.status_code == 201, lot.text
    code: str = lot.json()["code"]
    for index in range(events - 1):
        check = {
            "type": "quality_check",
            "occurred_at": f"2026-05-02T08:{index // 60:02d}:{index % 60:02d}Z",
            "data": {"result": "pass", "brix": f"{12 + index % 5}.5"},
        }
        answer = client.post(f"/api/v1/lots/{code}/events", json=check, headers=headers)
        assert answer.status_code == 201, answer.text
    return code


def _export(client: TestClient, code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(f"/api/v1/lots/{code}/epcis")
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return statistics.median(times)


def capture_document(count: int) -> dict[str, Any]:
    """``count`` ObjectEvents (shipping and receiving in turn) over :data:`ITEMS` items."""
    events = []
    for index in range(count):
        seconds = index % 60
        minutes = (index // 60) % 60
        hours = index // 3600
        events.append(
            {
                "type": "ObjectEvent",
                "eventTime": f"2026-05-03T{hours:02d}:{minutes:02d}:{seconds:02d}.000Z",
                "eventTimeZoneOffset": "+07:00",
                "epcList": [f"urn:epc:id:sgtin:8935000.000001.{index % ITEMS}"],
                "action": "OBSERVE",
                "bizStep": "shipping" if index % 2 == 0 else "receiving",
                "disposition": "in_transit" if index % 2 == 0 else "in_progress",
                "readPoint": {"id": "urn:epc:id:sgln:8935000.00001.0"},
            }
        )
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-05-04T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
