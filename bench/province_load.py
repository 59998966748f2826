"""The province's actors over HTTP: organisations, lots to scan, and the day's writers and scans.

Everything goes through the public API as an integrator or a phone would: the admin makes the
sampled cooperatives (each with its own farm) and packers, all with custodial keys so every
write is one request. Writers are threads, each owning some lots and sending their steps
(:data:`bench.province_plan.LOT_STEPS`) when due; a thread that falls behind sends at once, and
how late it started is recorded. Scans are sent when due by a pool of threads; a scan's latency
is counted from the instant it was due, so a server falling behind shows in the figure instead
of silently slowing the scans down (no coordinated omission).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend.services.labels.printing import SERIAL_WIDTH
from backend.timeutil import utcnow
from bench.province_plan import (
    EVENT,
    FIELD_BATCH,
    HARVEST,
    PACKING,
    RECEIVE,
    SPLIT,
    TRANSFER,
    Step,
    StepKind,
)
from bench.seed import (
    ADMIN,
    LOCATION,
    PRODUCT,
    SeedFailed,
    event_body,
    expect_answer,
    harvest_time,
)
from bench.verification import PAGE_HEADERS, wait_verified

REQUEST_TIMEOUT_S = 60.0
#: Observation kinds of bench.seed.event_body a cooperative records (processing, quality
#: check, input application, note); packers record packing (index 3).
FIELD_KINDS = (0, 1, 2, 5)
PACKING_KIND = 3
FIELD_BATCH_EVENTS = FIELD_BATCH.events


@dataclass(frozen=True)
class Org:
    """A sampled organisation made through the API, with its key (and farm, if it has one)."""

    slug: str
    headers: dict[str, str]
    farm: str | None = None


@dataclass
class Tally:
    """Answers by kind of request: statuses, latencies (s), and events the 2xx ones recorded."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    events: int = 0
    answered: list[float] = field(default_factory=list)  # monotonic time of each 2xx event write
    lag: list[float] = field(default_factory=list)  # how late each request was sent (s)
    service: list[float] = field(default_factory=list)  # from sending to the answer (s)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self, kind: str, status: int, seconds: float, *, events: int = 0, sent: float = 0.0
    ) -> None:
        """One answer; ``seconds`` is its latency, ``sent`` (if given) when it was sent."""
        with self.lock:
            self.statuses.setdefault(kind, Counter())[status] += 1
            self.latencies.setdefault(kind, []).append(seconds)
            if sent:
                self.service.append(time.monotonic() - sent)
            if 200 <= status < 300 and events:
                self.events += events
                self.answered.extend([time.monotonic()] * events)

    def count(self, predicate: Callable[[int], bool]) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if predicate(s))

    def all_latencies(self) -> list[float]:
        return [s for values in self.latencies.values() for s in values]


def make_org(client: httpx.Client, slug: str, role: str, *, with_product: bool = False) -> Org:
    """An organisation with a custodial key; a cooperative gets a farm of its own, and the
    first one registers the province's product (product codes are global)."""
    name = f"Tổ chức mô phỏng {slug}"
    body = {"slug": slug, "name": name, "role": role, "key_custody": "custodial"}
    created = expect_answer(client.post("/api/v1/orgs", json=body, headers=ADMIN), 201)
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    farm = None
    if role == "cooperative":
        farm = f"F-{slug.upper()}"
        farm_body = {
            "code": farm,
            "name": f"Vườn {slug}",
            "commune": "Mỹ Xương",
            "lat": LOCATION["lat"],
            "lon": LOCATION["lon"],
        }
        expect_answer(client.post("/api/v1/farms", json=farm_body, headers=headers), 201)
    if with_product:
        expect_answer(client.post("/api/v1/products", json=PRODUCT, headers=headers), 201)
    return Org(slug, headers, farm)


def make_orgs(client: httpx.Client, cooperatives: int, packers: int) -> tuple[list[Org], list[Org]]:
    coops = [
        make_org(client, f"htx-{i:04d}", "cooperative", with_product=i == 0)
        for i in range(cooperatives)
    ]
    packs = [make_org(client, f"dg-{i:04d}", "packer") for i in range(packers)]
    return coops, packs


def now_iso() -> str:
    return utcnow().replace(microsecond=0).isoformat()


def observation(kind: int) -> dict[str, Any]:
    """The ``kind``-th observation body of bench.seed, happening now (after the harvest)."""
    return {**event_body(kind), "occurred_at": now_iso()}


@dataclass
class Lot:
    """One harvest lot of the day: who made it, who packs it, and its children once split."""

    code: str
    coop: Org
    packer: Org
    children: list[str] = field(default_factory=list)
    recorded: int = 0  # field observations so far (they cycle through the kinds)
    packed: int = 0  # packing events so far (they go round the children)


def lot_body(lot: Lot) -> dict[str, Any]:
    assert lot.coop.farm is not None
    return {
        "code": lot.code,
        "product": PRODUCT["code"],
        "farm": lot.coop.farm,
        "quantity": "1000",
        "unit": "kg",
        "harvested_at": harvest_time().isoformat(),
    }


def _field_event(lot: Lot) -> dict[str, Any]:
    lot.recorded += 1
    return observation(FIELD_KINDS[lot.recorded % len(FIELD_KINDS)])


def send_step(client: httpx.Client, lot: Lot, kind: StepKind) -> httpx.Response:
    """Send one step of ``lot``'s life (see bench.province_plan.LOT_STEPS)."""
    coop, packer, code = lot.coop.headers, lot.packer.headers, lot.code
    if kind is HARVEST:
        return client.post("/api/v1/lots", json=lot_body(lot), headers=coop)
    if kind is EVENT:
        return client.post(f"/api/v1/lots/{code}/events", json=_field_event(lot), headers=coop)
    if kind is FIELD_BATCH:
        items = [{"lot": code, **_field_event(lot)} for _ in range(FIELD_BATCH_EVENTS)]
        return client.post("/api/v1/events/batch", json={"events": items}, headers=coop)
    if kind is TRANSFER:
        body = {"to": lot.packer.slug, "occurred_at": now_iso()}
        return client.post(f"/api/v1/lots/{code}/transfer", json=body, headers=coop)
    if kind is RECEIVE:
        return client.post(f"/api/v1/lots/{code}/receive", json={}, headers=packer)
    if kind is SPLIT:
        body = {"children": [{"quantity": "400"}, {"quantity": "400"}]}
        answer = client.post(f"/api/v1/lots/{code}/split", json=body, headers=packer)
        if answer.status_code == 201:
            lot.children = [part["code"] for part in answer.json()["children"]]
        return answer
    if kind is PACKING:
        lot.packed += 1
        child = lot.children[lot.packed % len(lot.children)] if lot.children else code
        return client.post(
            f"/api/v1/lots/{child}/events", json=observation(PACKING_KIND), headers=packer
        )
    raise ValueError(f"no request for step {kind.name!r}")


def _sleep_until(deadline: float, stop: threading.Event) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        stop.wait(delay)


def write_lots(
    url: str, plan: list[Step], lots: list[Lot], start: float, tally: Tally, stop: threading.Event
) -> None:
    """One writer thread: each step when due (at once when late), on one keep-alive client."""
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        for step in plan:
            _sleep_until(start + step.at, stop)
            if stop.is_set():
                return
            sent = time.monotonic()
            with tally.lock:
                tally.lag.append(max(0.0, sent - start - step.at))
            try:
                status = send_step(client, lots[step.lot], step.kind).status_code
            except httpx.HTTPError:
                status = 599  # nothing came back: counted with the server errors
            tally.record(step.kind.name, status, time.monotonic() - sent, events=step.kind.events)


@dataclass(frozen=True)
class Scan:
    """One consumer scan due ``at`` seconds into the day."""

    at: float
    kind: str
    path: str


@dataclass(frozen=True)
class ScanLot:
    """A lot on the shelves: packed, labelled with serials, anchored and verified."""

    code: str
    serials: int


def scan_paths(lot: ScanLot, serial: int) -> tuple[Scan, Scan]:
    """The two ways a lot is read: a phone opening its label's page (a counted scan), and an
    app or retailer system asking for the verification JSON."""
    number = str(1 + serial % lot.serials).zfill(SERIAL_WIDTH)
    return (
        Scan(0.0, "consumer page /l/{code}/{serial}", f"/l/{lot.code}/{number}"),
        Scan(0.0, "verification JSON", f"/api/v1/lots/{lot.code}/verification"),
    )


def plan_scans(instants: list[float], lots: list[ScanLot]) -> list[Scan]:
    """A scan at each instant, alternating page and JSON, going round the lots and serials."""
    out = []
    for i, at in enumerate(instants):
        lot = lots[i % len(lots)]
        page, verification = scan_paths(lot, i // len(lots))
        chosen = page if i % 2 == 0 else verification
        out.append(Scan(at, chosen.kind, chosen.path))
    return out


class ScanQueue:
    """The day's scans in due order, handed out one at a time to the scanner threads."""

    def __init__(self, scans: list[Scan]) -> None:
        self._scans: Iterator[Scan] = iter(sorted(scans, key=lambda s: s.at))
        self._lock = threading.Lock()

    def next(self) -> Scan | None:
        with self._lock:
            return next(self._scans, None)


def scan_loop(
    url: str, queue: ScanQueue, start: float, tally: Tally, stop: threading.Event
) -> None:
    """One scanner thread: take the next due scan, wait for its instant, send it."""
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S, headers=PAGE_HEADERS) as client:
        while (scan := queue.next()) is not None:
            due = start + scan.at
            _sleep_until(due, stop)
            if stop.is_set():
                return
            sent = time.monotonic()
            try:
                status = client.get(scan.path).status_code
            except httpx.HTTPError:
                status = 599
            tally.record(scan.kind, status, time.monotonic() - due, sent=sent)


def seed_scan_lot(client: httpx.Client, coop: Org, packer: Org, code: str, serials: int) -> ScanLot:
    """A lot as shops hold it: harvested with two records, handed to a packer, split, packed
    and labelled (``serials`` serialised ZPL labels); the part on the shelf is scanned, so
    every read checks its parent too. Anchoring is left to the caller."""
    lot = Lot(code, coop, packer)
    for kind in (HARVEST, EVENT, EVENT, TRANSFER, RECEIVE):
        expect_answer(send_step(client, lot, kind), 200, 201)
    child = f"{code}-P"
    body = {"children": [{"code": child, "quantity": "400"}]}
    expect_answer(client.post(f"/api/v1/lots/{code}/split", json=body, headers=packer.headers), 201)
    lot.children = [child]
    expect_answer(send_step(client, lot, PACKING), 201)
    labels = {"count": serials, "layout": "thermal-50x30", "format": "zpl", "serials": True}
    printed = client.post(f"/api/v1/lots/{child}/labels", json=labels, headers=packer.headers)
    if printed.status_code != 200:
        raise SeedFailed(f"labels of {child}: {printed.status_code} {printed.text[:300]}")
    return ScanLot(child, serials)


def wait_all_verified(client: httpx.Client, lots: list[ScanLot]) -> None:
    for lot in lots:
        wait_verified(client, lot.code)
