"""The world of the tampering matrices (test_tampering.py for rules v1, test_tampering_v2.py
for rules v2): one ledger per database (SQLite, PostgreSQL) built through the API and anchored
on the in-process chain, with one lot per case so that no case can disturb another.

Each lot ``T-case`` holds a harvest (with a location) and two notes. Lots whose tampering shows
on their own events only share one anchored batch; lots whose case changes a whole batch (its
rows, root or count) get a batch each. Edits are plain SQL, as an intruder with database access
would type them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.app import create_app
from backend.models import Event, Lot
from backend.runtime import Runtime
from tests.support.app import ADMIN, make_settings

NOTE_TIME = "2026-05-02T08:00:00Z"
#: The databases each matrix runs on (its world fixture is parametrized with these).
DATABASES = ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]


@dataclass
class World:
    client: TestClient
    engine: Engine
    runtime: Runtime
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)

    def post(self, path: str, org: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers[org])
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    def org(self, slug: str, role: str) -> None:
        body = {"slug": slug, "name": slug.upper(), "role": role, "key_custody": "custodial"}
        response = self.client.post("/api/v1/orgs", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        self.headers[slug] = {"Authorization": f"Bearer {response.json()['api_key']}"}

    def anchor(self) -> None:
        for _ in range(20):
            report = self.runtime.anchoring.run_once(force=True, wait=True)
            if not report.more_work and not report.built and not report.sent:
                return
        raise AssertionError("anchoring did not settle")

    def verification(self, code: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/lots/{code}/verification")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def events(self, code: str) -> list[Event]:
        with Session(self.engine) as session:
            statement = (
                select(Event)
                .join(Lot, col(Lot.id) == col(Event.lot_id))
                .where(Lot.code == code)
                .order_by(col(Event.seq))
            )
            return list(session.exec(statement).all())

    def one(self, model: type[Any], **where: Any) -> Any:
        with Session(self.engine) as session:
            statement = select(model)
            for name, value in where.items():
                statement = statement.where(getattr(model, name) == value)
            return session.exec(statement).one()

    def sql(self, statement: str, **params: Any) -> None:
        """One statement, as an intruder at a database prompt would type it."""
        with self.engine.begin() as connection:
            assert connection.execute(text(statement), params).rowcount == 1

    def json_value(self, name: str) -> str:
        """A bound JSON parameter (PostgreSQL wants the cast spelled out)."""
        return f"CAST(:{name} AS JSON)" if self.engine.dialect.name == "postgresql" else f":{name}"


def open_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    schema: int,
    shared: Sequence[str],
    own: Sequence[str],
) -> Iterator[World]:
    """The body of a module-scoped ``world`` fixture: the world with events recorded under
    proof rules ``schema`` (set in the settings themselves: a module fixture is built before
    the per-test ``event_schema`` marker sets the environment)."""
    root: Path = tmp_path_factory.mktemp("tamper")
    if request.param == "sqlite":
        url = f"sqlite:///{(root / 'ledger.db').as_posix()}"
        cluster = None
    else:
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        url = cluster.create_database()
    # Milestones are off: these tests are about batches, and every transaction costs time.
    settings = make_settings(root / "data", url, direct_event_types="", event_schema=schema)
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as client:
            built = World(client=client, engine=runtime.engine, runtime=runtime)
            build(built, shared, own)
            assert {e.schema_version for e in built.events(f"T-{shared[0]}")} == {schema}
            yield built
    finally:
        runtime.close()
        if cluster is not None:
            cluster.stop()


def build(world: World, shared: Sequence[str], own: Sequence[str]) -> None:
    world.org("htx", "cooperative")
    world.org("htx2", "cooperative")
    world.org("htx-slug", "cooperative")
    for org, farm in (("htx", "F-01"), ("htx-slug", "F-S")):
        world.post(
            "/api/v1/farms", org, {"code": farm, "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
        )
    world.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"})
    for case in shared:
        record_lot(world, case)
    world.anchor()
    for case in own:
        record_lot(world, case)
        world.anchor()
    for case in [*shared, *own]:
        assert world.verification(f"T-{case}")["verdict"] == "verified", case


def record_lot(world: World, case: str) -> None:
    """Lot ``T-case``: a harvest (with a location) and two notes."""
    org, farm = ("htx-slug", "F-S") if case == "org_slug" else ("htx", "F-01")
    lot = {
        "code": f"T-{case}",
        "product": "xoai",
        "farm": farm,
        "quantity": "100",
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00+07:00",
        "location": {"commune": "Mỹ Xương"},
    }
    world.post("/api/v1/lots", org, lot)
    for i in range(2):
        note = {"type": "note", "occurred_at": NOTE_TIME, "data": {"text": f"ghi chú {i}"}}
        world.post(f"/api/v1/lots/T-{case}/events", org, note)


def verdicts(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {e["id"]: (e["verdict"], e["reason_code"]) for e in body["events"]}


def problems(body: dict[str, Any]) -> list[str]:
    """The reason codes of the lot's own problems (beside its events')."""
    return [p["reason_code"] for p in body["problems"]]


def assert_only(world: World, code: str, event_id: str, reason_code: str) -> dict[str, Any]:
    """``event_id`` is tampered for ``reason_code``; every other event of the lot verified."""
    body = world.verification(code)
    found = verdicts(body)
    assert found.pop(event_id) == ("tampered", reason_code), body
    assert set(found.values()) <= {("verified", "verified")}, body
    assert body["verdict"] == "tampered"
    assert body["reason_code"] == "in_event"
    assert event_id in body["reason"] and event_id in body["reason_en"]
    return body


def note_of(world: World, case: str, index: int = 1) -> Event:
    return world.events(f"T-{case}")[index]
