"""HTTP ingest under wrk: single events, batches and the echo baseline on one server.

The load comes from wrk (bench.wrk: a C load generator in its own process, one thread and
one keep-alive connection per client), because the in-process httpx client of bench.load
spends more CPU per request on this two-core machine than the server's bare endpoint does,
so its figures measured the client. What this module adds to bench.wrk is ingest's own
bookkeeping:

* every body differs: wrk's request number goes into ``data.note`` of every event;
* every answer must be 201 (bench.wrk fails the run on anything else or a socket error);
* the events the database gained in the measured window are counted directly in the database
  and must agree with wrk's count of 201 answers (:func:`check_stored`), and every stored
  event's note must be unique: a bench that counted what was not stored would be lying;
* the server's CPU is read once it has answered everything sent in the warm-up and again
  once it has answered everything sent in the run, so it is the cost of exactly the events
  stored in between (:class:`HttpMeasured`).

:func:`run_http` measures one server of a given number of web workers (``sentrace serve
--workers N``); its CPU is always that of the whole process tree (parent and workers).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backend.db import make_engine
from backend.models import Event, Lot
from bench.config import BenchConfig
from bench.seed import event_body, http_anchor_now, http_cooperative, http_lot
from bench.server import ServerProcess, running_server, server_env
from bench.verification import CpuMark, busiest_share, cpu_mark, wait_idle
from bench.wrk import COUNTER, WrkRequests, WrkResult, run_wrk

log = logging.getLogger(__name__)

#: Events per ``POST /api/v1/events/batch`` request (the API takes up to 500).
BATCH_EVENTS = 100
#: Lots each batch client spreads its events over (every batch names several lots).
BATCH_LOTS_PER_CLIENT = 2
BATCH_PATH = "/api/v1/events/batch"
#: Every answer counted must be this; anything else (or a socket error) fails the run.
ACCEPTED = frozenset({201})
#: Single-event body templates. A prime count, so every connection cycles through all of
#: them (and through every event type) whatever stride bench.wrk numbers its requests with.
SINGLE_TEMPLATES = 601
#: wrk's per-request timeout. A 100-event batch queued behind every other client's on a busy
#: shared machine can take seconds; a slower answer fails the run rather than going uncounted.
REQUEST_TIMEOUT_S = 30.0
ECHO_PATH = "/bench/echo"
#: How long the stored count must hold still to count as settled, and how long to wait for it.
SETTLE_POLL_S = 0.2
SETTLE_TIMEOUT_S = 30.0


class StoredMismatch(RuntimeError):
    """The database does not hold what wrk's 201 answers say was accepted.

    Either the count of events stored in the measured window is outside what the answers
    allow, or two stored events carry the same request number (bodies that did not differ).
    """


def counted_event(n: int, line: str) -> dict[str, Any]:
    """:func:`bench.seed.event_body` ``n``, with ``data.note`` naming its line of the log.

    ``line`` holds :data:`bench.wrk.COUNTER`, which wrk replaces by the request's number, so
    every event posted in a run differs from every other one, as a real field log's do. Every
    event type accepts a ``note`` in ``data`` (the input application's fixed shape included).
    """
    body = event_body(n)
    body["data"] = {**body["data"], "note": f"Sổ ghi chép, dòng {line}"}
    return body


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def single_bodies() -> list[str]:
    """Body templates of ``POST /lots/{code}/events`` (and of the echo baseline)."""
    return [_json(counted_event(i, COUNTER)) for i in range(SINGLE_TEMPLATES)]


def batch_bodies(lots_of_client: Sequence[Sequence[str]]) -> list[str]:
    """One ``POST /events/batch`` template per client: :data:`BATCH_EVENTS` events on its lots.

    bench.wrk gives request number ``n`` template ``n % len(templates)`` and numbers connection
    ``i``'s requests ``i, i + C, i + 2C, …``, so with one template per connection each client
    posts only to its own lots. Were that numbering to change, two clients could share lots:
    still valid (the API locks a batch's lots in sorted order, so they queue, never deadlock),
    only more contended.
    """
    bodies = []
    for client, codes in enumerate(lots_of_client):
        items = [
            {
                "lot": codes[j % len(codes)],
                **counted_event(client * BATCH_EVENTS + j, f"{COUNTER}.{j:02d}"),
            }
            for j in range(BATCH_EVENTS)
        ]
        bodies.append(_json({"events": items}))
    return bodies


@dataclass(frozen=True)
class StoredEvents:
    """The events the database holds on some lots, read directly rather than via the server
    (so counting costs the measured server no CPU, and what is read is what was committed)."""

    engine: Engine
    codes: tuple[str, ...]

    def _on_lots(self, statement: Any) -> Any:
        return statement.join(Lot, col(Lot.id) == col(Event.lot_id)).where(
            col(Lot.code).in_(self.codes)
        )

    def count(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(self._on_lots(select(func.count()).select_from(Event))).one())

    def repeated_lines(self) -> int:
        """How many stored events repeat another's ``data.note`` (0 when every body differed)."""
        with Session(self.engine) as session:
            datas = session.exec(self._on_lots(select(Event.data))).all()
        notes = [data["note"] for data in datas if "note" in data]
        return len(notes) - len(set(notes))


@dataclass(frozen=True)
class HttpMeasured:
    """One wrk run on a write endpoint: what wrk saw, the server's CPU, the events stored.

    ``stored`` is what the database gained between the two reads of the server's CPU clock,
    both taken once the server had answered everything sent to it; ``cpu_seconds`` is then
    the whole cost of exactly those events. For the echo baseline (which stores nothing)
    ``stored`` is None and the window closes when wrk exits, as in bench.verification.
    """

    load: WrkResult
    events_per_request: int
    cpu_seconds: float
    stored: int | None = None
    #: The busiest web worker's share of the workers' CPU in the window
    #: (:func:`bench.verification.busiest_share`); None with one process.
    busiest: float | None = None

    @property
    def accepted(self) -> int:
        """Events in the 201 answers wrk counted (what the throughput is made of)."""
        return self.load.ok(ACCEPTED) * self.events_per_request

    @property
    def cpu_events(self) -> int:
        """The events ``cpu_seconds`` was spent on (see the class docstring)."""
        return self.stored if self.stored is not None else self.accepted


def check_stored(stored: int, accepted: int, in_flight: int, what: str) -> None:
    """Every event wrk counted is stored; at most ``in_flight`` more (sent, not yet answered)."""
    if not accepted <= stored <= accepted + in_flight:
        raise StoredMismatch(
            f"{what}: the database gained {stored:,} events in the measured window, wrk counted "
            f"{accepted:,} accepted (at most {in_flight:,} more may have been in flight)"
        )


def settled_count(server: ServerProcess, stored_on: StoredEvents) -> int:
    """The lots' events once the server is idle and their count has stopped moving.

    wrk stops with up to one request per connection still at the server, which stores them
    after wrk has exited. bench.verification's idle test alone can be fooled on a shared
    machine (a server starved of CPU for a poll interval looks idle), so the count must also
    hold still for a poll interval; if it never does, the bounds of :func:`check_stored` still
    catch a count that wrk's answers cannot explain.
    """
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    wait_idle(server)
    count = stored_on.count()
    while time.monotonic() < deadline:
        time.sleep(SETTLE_POLL_S)
        again = stored_on.count()
        if again == count:
            return count
        count = again
        wait_idle(server)
    log.warning("event count still moving %g s after wrk stopped", SETTLE_TIMEOUT_S)
    return count


def measure_writes(
    server: ServerProcess,
    requests: WrkRequests,
    config: BenchConfig,
    *,
    headers: dict[str, str],
    events_per_request: int = 1,
    stored_on: StoredEvents | None = None,
) -> HttpMeasured:
    """wrk's warm-up, then a measured run of ``config.ingest_http_seconds``, all answers 201.

    The server's CPU clock is read once it has answered the warm-up's last requests. With
    ``stored_on``, the lots' events are counted there (:func:`settled_count`) and again once
    the server has answered the measured run's last requests (the CPU clock's second read),
    and the count must agree with wrk's: at least every event answered 201, and at most one
    request per connection more at each end of the window (sent before wrk stopped, stored
    after). Without it (the echo), the window closes when wrk exits.
    """
    clients = config.ingest_http_clients
    marks: dict[str, CpuMark] = {}
    stored_at_start: list[int] = []

    def mark_start() -> None:
        if stored_on is None:
            wait_idle(server)
        else:
            stored_at_start.append(settled_count(server, stored_on))
        marks["cpu"] = cpu_mark(server)

    load = run_wrk(
        server.url,
        requests,
        connections=clients,
        seconds=config.ingest_http_seconds,
        headers=headers,
        expect=ACCEPTED,
        on_start=mark_start,
        timeout_s=REQUEST_TIMEOUT_S,
    )
    if stored_on is None:
        end = cpu_mark(server)
        cpu = end.tree - marks["cpu"].tree
        return HttpMeasured(load, events_per_request, cpu, busiest=busiest_share(marks["cpu"], end))
    stored = settled_count(server, stored_on) - stored_at_start[0]
    end = cpu_mark(server)
    measured = HttpMeasured(
        load,
        events_per_request,
        end.tree - marks["cpu"].tree,
        stored=stored,
        busiest=busiest_share(marks["cpu"], end),
    )
    what = f"POST {requests.paths[0]}"
    check_stored(measured.stored or 0, measured.accepted, 2 * clients * events_per_request, what)
    repeated = stored_on.repeated_lines()
    if repeated:
        raise StoredMismatch(f"{what}: {repeated} stored events repeat another's body")
    return measured


@dataclass(frozen=True)
class HttpRun:
    """One server's HTTP figures: the echo baseline, single events, batches of events."""

    workers: int
    bare: HttpMeasured
    single: HttpMeasured
    batch: HttpMeasured


def run_http(
    kind: str, url: str, rpc_url: str, config: BenchConfig, *, workers: int, lane: bool = True
) -> HttpRun:
    """A server of ``workers`` web workers on ``url`` (an empty database) with the anchoring
    worker, its lots made through the API, then the echo baseline, single events and batches,
    each measured by :func:`measure_writes`. ``lane=False`` switches SQLite's writer lane off
    (``SENTRACE_SQLITE_WRITER_LANE``), for the comparison with it."""
    slug = f"ingest-http-{kind}-{workers}p" + ("" if lane else "-no-lane")
    overrides = {} if lane else {"SENTRACE_SQLITE_WRITER_LANE": "false"}
    env = server_env(
        data_dir=config.work_dir / slug, database_url=url, rpc_url=rpc_url, overrides=overrides
    )
    clients = config.ingest_http_clients
    log_file = config.out_dir / "logs" / f"{slug}.log"
    with running_server(env, log_file, workers=workers) as server:
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            coop = http_cooperative(client)
            codes = [http_lot(client, coop, f"XOAI-HTTP-{i:02d}") for i in range(clients)]
            batch_lots = [
                [
                    http_lot(client, coop, f"XOAI-BATCH-{i:02d}-{j}")
                    for j in range(BATCH_LOTS_PER_CLIENT)
                ]
                for i in range(clients)
            ]
            http_anchor_now(client)  # harvest milestones on chain before the clock starts
            http_anchor_now(client)
        single_templates = single_bodies()
        engine = make_engine(url)
        try:
            bare = measure_writes(
                server,
                WrkRequests.post([ECHO_PATH], single_templates),
                config,
                headers=coop.headers,
            )
            single = measure_writes(
                server,
                WrkRequests.post(
                    [f"/api/v1/lots/{code}/events" for code in codes], single_templates
                ),
                config,
                headers=coop.headers,
                stored_on=StoredEvents(engine, tuple(codes)),
            )
            batch = measure_writes(
                server,
                WrkRequests.post([BATCH_PATH], batch_bodies(batch_lots)),
                config,
                headers=coop.headers,
                events_per_request=BATCH_EVENTS,
                stored_on=StoredEvents(engine, tuple(c for lots in batch_lots for c in lots)),
            )
        finally:
            engine.dispose()
    return HttpRun(workers, bare, single, batch)
