"""A small random ledger for the tamper property test, and what its pages say.

A :class:`Plan` is what hypothesis draws: one to three harvest lots, a run of writes on them
(notes, quality checks, transfers, at most one split) with a batch boundary after some of
them, and maybe a recall at the end. :func:`build_ledger` records it through the API under
rules v2 on a fresh database and in-process chain. :func:`surfaces` reads everything a consumer
can be shown about each lot: the page in both languages, the page's JSON and the public
verification JSON, so that the test can compare them before and after one edit made behind the
application's back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from backend.app import create_app
from backend.models import Batch, BatchStatus, Event, Farm, Lot, Organisation, Product
from backend.runtime import Runtime
from tests.support.app import Actors, empty_all_tables, harvest_body, make_settings
from tests.support.ledger_flow import anchor_everything

#: The organisation no event names, with a farm and a product no lot comes from: edits point
#: rows at them, and their names must never show.
STRANGER_NAME = "Công ty GIẢ-0"
DECOY_FARM = {"code": "F-GIA", "name": "Vườn GIẢ-10", "commune": "Xã GIẢ-10"}
DECOY_PRODUCT = {"code": "saurieng", "name_vi": "Sầu riêng GIẢ-12", "gtin": "08939999999984"}
FARM = {
    "code": "F-01",
    "name": "Vườn ông Tư",
    "commune": "Mỹ Xương",
    "province": "Đồng Tháp",
    "growing_area_code": "VN-DT-0042",
    "certifications": [{"scheme": "VietGAP", "number": "VG-7", "valid_until": "2030-12-31"}],
}
PRODUCT = {
    "code": "xoai",
    "name_vi": "Xoài cát Hòa Lộc",
    "name_en": "Hoa Loc mango",
    "gtin": "08934567890120",
}
#: Times events may state: few, so that several events of a lot often state the same one.
TIMES = ("2026-05-02T08:00:00Z", "2026-05-03T08:00:00Z")
LANGUAGES = ("vi", "en")
_ENTRY = re.compile(r'<li class="c-[a-z]+" data-verdict="([a-z]+)">(.*?)</li>', re.DOTALL)


@dataclass(frozen=True)
class Write:
    """One write: ``kind`` on the ``lot``-th lot existing then (modulo), maybe a batch after."""

    kind: str  # "note" | "check" | "transfer" | "split"
    lot: int
    time: int
    anchor_after: bool


@dataclass(frozen=True)
class Plan:
    harvests: int
    writes: tuple[Write, ...]
    recall: int | None  # the lot recalled after the writes, if any
    anchor_at_end: bool  # False leaves the writes after the last boundary pending


def plans() -> st.SearchStrategy[Plan]:
    writes = st.builds(
        Write,
        kind=st.sampled_from(["note", "note", "check", "transfer", "split"]),
        lot=st.integers(0, 3),
        time=st.integers(0, len(TIMES) - 1),
        anchor_after=st.booleans(),
    )
    return st.builds(
        Plan,
        harvests=st.integers(1, 3),
        writes=st.lists(writes, max_size=6).map(tuple),
        recall=st.none() | st.integers(0, 3),
        anchor_at_end=st.booleans() | st.just(True),
    )


@dataclass
class Ledger:
    """The ledger a plan built, with what the test needs to find its rows."""

    runtime: Runtime
    client: TestClient
    actors: Actors
    codes: list[str] = field(default_factory=list)
    custodian: dict[str, str] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)  # child code → parent code
    recalled: set[str] = field(default_factory=set)
    receivers: set[str] = field(default_factory=set)  # organisations a transfer named
    counter: int = 0

    def events(self) -> list[tuple[Event, str]]:
        """Every event row with its lot's code, in recording order."""
        with Session(self.runtime.engine) as session:
            rows = session.exec(
                select(Event, Lot.code)
                .join(Lot, col(Lot.id) == col(Event.lot_id))
                .order_by(col(Event.seq))
            ).all()
            return [(event, str(code)) for event, code in rows]

    def anchored(self, event: Event) -> bool:
        """Whether the event sits in a batch the chain confirmed (else it is still pending)."""
        return event.batch_id is not None and self.batch(event.batch_id).status is (
            BatchStatus.CONFIRMED
        )

    def holders(self, batch_id: int | None) -> set[str]:
        """The lots with events in the batch (none for no batch)."""
        if batch_id is None:
            return set()
        return {code for event, code in self.events() if event.batch_id == batch_id}

    def batch(self, batch_id: int) -> Batch:
        with Session(self.runtime.engine) as session:
            found = session.get(Batch, batch_id)
            assert found is not None
            return found

    def batches(self) -> list[Batch]:
        with Session(self.runtime.engine) as session:
            return list(session.exec(select(Batch).order_by(col(Batch.id))).all())

    def ids(self, model: type[Lot | Organisation | Farm | Product], key: str) -> dict[str, int]:
        """``code`` (lots, farms, products) or ``slug`` (organisations) → row id."""
        with Session(self.runtime.engine) as session:
            return {getattr(row, key): int(row.id or 0) for row in session.exec(select(model))}

    def lineage(self, code: str) -> set[str]:
        """``code`` and every lot it was split from, however far up."""
        found = {code}
        while code in self.parent:
            code = self.parent[code]
            found.add(code)
        return found

    def below(self, codes: Iterable[str]) -> frozenset[str]:
        """The lots ``codes`` and every lot split from them: a broken document of a lot breaks
        the record of every lot below it, whose page shows it as an ancestor's."""
        return frozenset().union(*(self.descendants(code) for code in codes))

    def descendants(self, code: str) -> set[str]:
        """``code`` and every lot split from it, however far down."""
        found = {code}
        while grown := {c for c, p in self.parent.items() if p in found} - found:
            found |= grown
        return found


@contextmanager
def fresh_ledger(database_url: str, root: Path) -> Iterator[Ledger]:
    """An empty ledger on its own database (a new SQLite file, or PostgreSQL emptied) with the
    in-process chain, the cast of :func:`_cast` and no worker; closed afterwards."""
    folder = root / uuid4().hex[:12]
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{(folder / 'ledger.db').as_posix()}"
        folder.mkdir(parents=True)
    else:
        empty_all_tables(database_url)
    settings = make_settings(folder / "data", database_url, event_schema=2, rate_limit_per_minute=0)
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as client:
            ledger = Ledger(runtime=runtime, client=client, actors=Actors(client))
            _cast(ledger.actors)
            yield ledger
    finally:
        runtime.close()


def _cast(actors: Actors) -> None:
    actors.org("htx", "cooperative", "HTX Mỹ Xương")
    actors.org("dg", "packer", "Đóng gói Sa Đéc")
    actors.org("ql", "regulator", "Chi cục QLCL")
    actors.org("kx", "cooperative", STRANGER_NAME)
    actors.post("/api/v1/farms", "htx", FARM)
    actors.gs1_prefix("htx", "8934567")  # PRODUCT's GTIN carries it
    actors.post("/api/v1/products", "htx", PRODUCT)
    actors.post("/api/v1/farms", "kx", DECOY_FARM)
    actors.gs1_prefix("kx", "8939999")  # DECOY_PRODUCT's
    actors.post("/api/v1/products", "kx", DECOY_PRODUCT)


def build_ledger(ledger: Ledger, plan: Plan) -> None:
    """Record ``plan``; batches close where it says, and at the end unless it says not to."""
    actors = ledger.actors
    for number in range(1, plan.harvests + 1):
        code = f"LO-{number}"
        actors.post("/api/v1/lots", "htx", harvest_body(code=code))
        ledger.codes.append(code)
        ledger.custodian[code] = "htx"
    anchor_everything(ledger.runtime)
    for write in plan.writes:
        code = ledger.codes[write.lot % len(ledger.codes)]
        _write(ledger, write, code)
        if write.anchor_after:
            anchor_everything(ledger.runtime)
    if plan.recall is not None:
        code = ledger.codes[plan.recall % len(ledger.codes)]
        actors.post(f"/api/v1/lots/{code}/recall", "ql", {"reason": "Nhiễm nấm mốc lô này"})
        ledger.recalled.add(code)
    if plan.anchor_at_end:
        anchor_everything(ledger.runtime)


def _write(ledger: Ledger, write: Write, code: str) -> None:
    ledger.counter += 1
    number, holder, when = ledger.counter, ledger.custodian[code], TIMES[write.time]
    actors = ledger.actors
    if write.kind == "transfer":
        receiver = "dg" if holder == "htx" else "htx"
        body = {"to": receiver, "occurred_at": when, "note": f"Giao hàng đợt {number}"}
        actors.post(f"/api/v1/lots/{code}/transfer", holder, body)
        actors.post(f"/api/v1/lots/{code}/receive", receiver, {"occurred_at": when})
        ledger.custodian[code] = receiver
        ledger.receivers.add(receiver)
    elif write.kind == "split" and not ledger.parent:
        child = f"{code}-A"
        body = {"children": [{"code": child, "quantity": "100"}], "occurred_at": when}
        actors.post(f"/api/v1/lots/{code}/split", holder, body)
        ledger.codes.append(child)
        ledger.custodian[child] = holder
        ledger.parent[child] = code
    elif write.kind == "check":
        data = {"result": "pass" if number % 2 else "fail", "note": f"Độ ngọt {number}4 brix"}
        body = {"type": "quality_check", "occurred_at": when, "data": data}
        actors.post(f"/api/v1/lots/{code}/events", holder, body)
    else:
        body = {"type": "note", "occurred_at": when, "data": {"text": f"Tưới nước lần {number}"}}
        actors.post(f"/api/v1/lots/{code}/events", holder, body)


@dataclass(frozen=True)
class Surface:
    """Everything one lot shows a consumer, as served."""

    verdict: str
    html: dict[str, str]  # language → page
    page_json: dict[str, Any]  # the page asked for JSON
    api_json: dict[str, Any]  # GET /api/v1/lots/{code}/verification

    def texts(self) -> dict[str, str]:
        """Each surface as text, for looking for a value."""
        return {
            **{f"html_{lang}": page for lang, page in self.html.items()},
            "page_json": json.dumps(self.page_json, ensure_ascii=False),
            "api_json": json.dumps(self.api_json, ensure_ascii=False),
        }


def surfaces(ledger: Ledger) -> dict[str, Surface]:
    """What every lot of the ledger shows now."""
    return {code: surface(ledger.client, code) for code in ledger.codes}


def surface(client: TestClient, code: str) -> Surface:
    html = {}
    for lang in LANGUAGES:
        response = client.get(f"/l/{code}?lang={lang}")
        assert response.status_code == 200, response.text
        html[lang] = response.text
    page_json = client.get(f"/l/{code}", headers={"Accept": "application/json"}).json()
    api_json = client.get(f"/api/v1/lots/{code}/verification").json()
    assert page_json["verdict"] == api_json["verdict"]
    return Surface(api_json["verdict"], html, _stable(page_json), _stable(api_json))


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON without the moment it was answered (the one value that may differ)."""
    return {key: value for key, value in body.items() if key != "checked_at"}


def html_entries(page: str) -> list[tuple[str, str]]:
    """The journey's entries of a page: ``(verdict, markup)``, in the order shown."""
    return _ENTRY.findall(page)


def html_outside_entries(page: str) -> str:
    return _ENTRY.sub("", page)


def json_events(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event entry of a verification answer: the lot's and its ancestors'."""
    ancestors = body.get("ancestors") or []
    return [*body["events"], *(e for a in ancestors for e in a["events"])]


def json_outside_events(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k not in ("events", "ancestors")}
    rest["ancestors"] = [
        {k: v for k, v in a.items() if k != "events"} for a in body.get("ancestors") or []
    ]
    return json.dumps(rest, ensure_ascii=False)
