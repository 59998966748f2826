"""Driving a live server over HTTP, and the invariants every fault test ends on.

The invariants are the platform's promise, checked from outside the server: every event the
server accepted (a 2xx answer carrying its id) exists in the database, sits in exactly one
confirmed batch whose rows still rebuild its anchored count, every such root is anchored on
chain exactly once (one ``BatchAnchored`` log), and the public verification reads ``verified``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.hashing import from_hex, keccak
from backend.models import Batch, BatchStatus, Event
from tests.support.anvil import demo_client
from tests.support.app import ADMIN

T = TypeVar("T")

#: ``anchorBatch(root, count, prevHeadsRoot, headsRoot)``: a raw transaction carrying it plus a
#: root anchors that root.
ANCHOR_SELECTOR = keccak(b"anchorBatch(bytes32,uint32,bytes32,bytes32)")[:4].hex()


def anchor_call(root: str) -> str:
    """The hex that a raw ``anchorBatch`` transaction for ``root`` contains."""
    return ANCHOR_SELECTOR + root.lower().removeprefix("0x")


def wait_for(
    probe: Callable[[], T | None], *, timeout: float = 60.0, every: float = 0.2, what: str = ""
) -> T:
    """Poll ``probe`` until it returns something truthy; its value (TimeoutError otherwise)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise TimeoutError(f"gave up after {timeout:g} s waiting for {what or probe!r} (last={last!r})")


@dataclass
class LiveLedger:
    """A cooperative with a farm and a product on a live server, and what it got accepted."""

    http: httpx.Client
    coop: str = "htx-dt"
    packer: str = "dong-goi"
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    accepted: list[str] = field(default_factory=list)  # event ids the server answered 2xx for
    lots: list[str] = field(default_factory=list)

    def setup(self) -> LiveLedger:
        self.headers[self.coop] = self.make_org(self.coop, "cooperative", "HTX Mỹ Xương")
        self.headers[self.packer] = self.make_org(self.packer, "packer", "Đóng gói Sa Đéc")
        farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
        self.post("/api/v1/farms", self.coop, farm)
        self.post("/api/v1/products", self.coop, {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"})
        return self

    def make_org(self, slug: str, role: str, name: str) -> dict[str, str]:
        body = {"slug": slug, "name": name, "role": role, "key_custody": "custodial"}
        response = self.http.post("/api/v1/orgs", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['api_key']}"}

    def post(self, path: str, org: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, json=body, headers=self.headers[org])
        assert response.status_code in (200, 201), f"{path}: {response.status_code} {response.text}"
        result: dict[str, Any] = response.json()
        return result

    def harvest(self, code: str) -> str:
        """A harvest lot; returns its harvest event's id (recorded as accepted)."""
        body = {
            "code": code,
            "product": "xoai",
            "farm": "F-01",
            "quantity": "1000",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00+07:00",
        }
        created = self.post("/api/v1/lots", self.coop, body)
        self.lots.append(code)
        self.accepted.append(created["event"]["id"])
        return str(created["event"]["id"])

    def note(self, code: str, text: str, *, org: str | None = None) -> str:
        body = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": text}}
        event_id = str(self.post(f"/api/v1/lots/{code}/events", org or self.coop, body)["id"])
        self.accepted.append(event_id)
        return event_id

    def verdict(self, code: str) -> dict[str, Any]:
        response = self.http.get(f"/api/v1/lots/{code}/verification")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def contract_address(self) -> str:
        body = wait_for(
            lambda: (r := self.http.get("/readyz")).status_code == 200 and r.json(),
            what="/readyz",
        )
        return str(body["contract_address"])


# ----------------------------------------------------------------------------- database


def events_by_id(engine: Engine, ids: Iterable[str]) -> dict[str, Event]:
    wanted = list(ids)
    with Session(engine) as session:
        rows = session.exec(select(Event).where(col(Event.id).in_(wanted))).all()
    return {row.id: row for row in rows}


def all_batches(engine: Engine) -> list[Batch]:
    with Session(engine) as session:
        return list(session.exec(select(Batch).order_by(col(Batch.id))).all())


def all_events(engine: Engine) -> list[Event]:
    with Session(engine) as session:
        return list(session.exec(select(Event).order_by(col(Event.seq))).all())


def everything_confirmed(engine: Engine, ids: Iterable[str]) -> bool:
    """All ``ids`` stored, each in a confirmed batch (the state the worker must reach)."""
    wanted = list(ids)
    found = events_by_id(engine, wanted)
    if len(found) != len(wanted):
        return False
    batches = {b.id: b for b in all_batches(engine)}
    return all(
        e.batch_id is not None and batches[e.batch_id].status is BatchStatus.CONFIRMED
        for e in found.values()
    )


# -------------------------------------------------------------------------------- chain


def anchored_root_counts(chain: ChainClient) -> Counter[str]:
    """How many ``BatchAnchored`` logs each root has on the registry (0x hex, lowercase)."""
    registry = chain.w3.eth.contract(address=chain.contract_address, abi=chain.artifact.abi)
    logs = registry.events.BatchAnchored().get_logs(from_block=0)
    return Counter("0x" + bytes(log["args"]["root"]).hex() for log in logs)


def assert_anchored_exactly_once(engine: Engine, chain: ChainClient, ids: list[str]) -> None:
    """The invariants in the module docstring, with messages that say which one broke."""
    assert len(set(ids)) == len(ids), "the server handed out one event id twice"
    found = events_by_id(engine, ids)
    lost = sorted(set(ids) - set(found))
    assert not lost, f"accepted events missing from the database: {lost}"
    batches = {b.id: b for b in all_batches(engine)}
    rows_per_batch = Counter(e.batch_id for e in all_events(engine) if e.batch_id is not None)
    on_chain = anchored_root_counts(chain)
    for event in found.values():
        assert event.batch_id is not None, f"event {event.id} never left the pending queue"
        batch = batches[event.batch_id]
        assert batch.status is BatchStatus.CONFIRMED, f"batch {batch.id} is {batch.status}"
    for batch in batches.values():
        if batch.status is not BatchStatus.CONFIRMED:
            continue
        assert rows_per_batch[batch.id] == batch.event_count, f"batch {batch.id} lost rows"
        assert on_chain[batch.root] == 1, f"root {batch.root} anchored {on_chain[batch.root]}×"
        anchor = chain.anchor_of(from_hex(batch.root))
        assert anchor is not None and anchor.event_count == batch.event_count
    stored_roots = {b.root for b in batches.values()}
    strangers = sorted(set(on_chain) - stored_roots)
    assert not strangers, f"roots on chain that no stored batch explains: {strangers}"
    leaves = Counter(e.leaf for e in all_events(engine) if e.leaf is not None)
    doubled = [leaf for leaf, n in leaves.items() if n > 1]
    assert not doubled, f"leaves stored twice: {doubled}"


def registry_client(node: ManagedAnvil, address: str) -> ChainClient:
    """A client of ``node`` attached to the server's registry, for reading logs and anchors."""
    client = demo_client(node)
    client.attach(address)
    return client


def state_file_holds(node: ManagedAnvil, address: str) -> bool:
    """Whether anvil's last state dump already contains the contract at ``address``.

    A SIGKILLed anvil restarts from its last dump (written every second); tests that kill it
    wait for this first, so the registry itself is not what they lose.
    """
    try:
        return address.lower().removeprefix("0x") in node.state_file.read_text().lower()
    except OSError:
        return False
