"""``sentrace serve --workers 2`` with a managed anvil, on SQLite and on PostgreSQL.

Two web workers answer (distinct process ids, both children of the serving parent); writers
post concurrently through both while admins flush "anchor now" through both, so batches are
built and sent by the workers while the parent's anchoring worker sends milestones with the
same key. Afterwards every event is verified, every root is on chain exactly once, every
milestone was recorded exactly once (``recordLotEvent`` stores nothing, so a double send would
show as a second log), the log holds no nonce error, and SIGTERM stops parent, workers and
node. The SQLite run uses the default database in the data folder, as ``make run`` does; the
PostgreSQL run starts from an empty database, so only the parent's migration creates the schema.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from sqlalchemy import create_engine
from sqlmodel import Session, select

from backend.chain import ChainClient
from backend.chain.providers import http_web3
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from backend.hashing import lot_key
from backend.models import Batch, BatchStatus, ChainAction, ChainActionKind, Event
from backend.runtime import ANVIL_DIR, ANVIL_ENDPOINT_FILE
from backend.web_workers import WORKER_HEADER
from tests.support.app import ADMIN, harvest_body
from tests.support.components import anvil_binary
from tests.support.server import ServerFactory, ServerProcess, server_env

pytestmark = [pytest.mark.slow, pytest.mark.anvil]

WORKERS = 2
WRITERS = 4
LOTS_PER_WRITER = 2
NOTES_PER_LOT = 6
FLUSHERS = 2
FLUSHES_EACH = 4
#: Signs of a nonce race or a failed send in the server log.
NONCE_TROUBLE = ("nonce clash", "nonce too low", "already known", "underpriced", "send failed")
CLEAN_STOP = {0, 128 + signal.SIGTERM}


def _pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _fresh(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request on a new connection, so the kernel may hand it to either worker."""
    return httpx.request(method, url, timeout=60, **kwargs)


def _worker_pids(server: ServerProcess, attempts: int = 400) -> set[int]:
    seen: set[int] = set()
    for _ in range(attempts):
        answer = _fresh("GET", f"{server.url}/healthz")
        assert answer.status_code == 200
        seen.add(int(answer.headers[WORKER_HEADER]))
        if len(seen) == WORKERS:
            break
    return seen


def _wait_ready(server: ServerProcess) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        answer = _fresh("GET", f"{server.url}/readyz")
        if answer.status_code == 200 or time.monotonic() > deadline:
            assert answer.status_code == 200, server.log_tail()
            return dict(answer.json())
        time.sleep(0.3)


def _setup_cooperative(server: ServerProcess) -> dict[str, str]:
    org = _fresh(
        "POST",
        f"{server.url}/api/v1/orgs",
        # Custodial: the server signs each event, so every write is one request.
        json={
            "slug": "htx",
            "name": "HTX Mỹ Xương",
            "role": "cooperative",
            "key_custody": "custodial",
        },
        headers=ADMIN,
    )
    assert org.status_code == 201, org.text
    key = {"Authorization": f"Bearer {org.json()['api_key']}"}
    farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
    assert _fresh("POST", f"{server.url}/api/v1/farms", json=farm, headers=key).status_code == 201
    product = {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"}
    answer = _fresh("POST", f"{server.url}/api/v1/products", json=product, headers=key)
    assert answer.status_code == 201
    return key


class Recorder:
    """Thread-safe record of what each request got and which worker answered it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.writes: list[tuple[int, int]] = []  # (status, worker pid)
        self.flushes: list[tuple[int, int, dict[str, Any]]] = []
        self.errors: list[BaseException] = []

    def write(self, answer: httpx.Response) -> None:
        with self.lock:
            self.writes.append((answer.status_code, int(answer.headers[WORKER_HEADER])))

    def flush(self, answer: httpx.Response) -> None:
        with self.lock:
            body = answer.json() if answer.status_code == 200 else {}
            self.flushes.append((answer.status_code, int(answer.headers[WORKER_HEADER]), body))


def _writer(base: str, key: dict[str, str], index: int, record: Recorder) -> None:
    for lot in range(LOTS_PER_WRITER):
        code = f"XOAI-W{index}-{lot}"
        body = harvest_body(code=code)
        record.write(_fresh("POST", f"{base}/api/v1/lots", json=body, headers=key))
        for n in range(NOTES_PER_LOT):
            note = {
                "type": "note",
                "occurred_at": "2026-05-02T08:00:00Z",
                "data": {"text": f"Ghi chú {n} của lô {code}"},
            }
            url = f"{base}/api/v1/lots/{code}/events"
            record.write(_fresh("POST", url, json=note, headers=key))


def _flusher(base: str, record: Recorder) -> None:
    for _ in range(FLUSHES_EACH):
        record.flush(_fresh("POST", f"{base}/api/v1/anchor", headers=ADMIN))
        time.sleep(0.2)


def _run_threads(targets: list[Callable[[], None]], record: Recorder) -> None:
    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # reported by the test, not lost in the thread
            with record.lock:
                record.errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str | None, str]:
    """(URL given to the server, or None for its default SQLite file; URL to inspect it)."""
    if request.param == "sqlite":
        return None, f"sqlite:///{tmp_path / 'data' / 'sentrace.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url, url


def _state(database: str) -> tuple[list[Event], list[Batch], list[ChainAction]]:
    engine = create_engine(database)
    try:
        with Session(engine) as db:
            return (
                list(db.exec(select(Event)).all()),
                list(db.exec(select(Batch)).all()),
                list(db.exec(select(ChainAction)).all()),
            )
    finally:
        engine.dispose()


def _flush_until_settled(server: ServerProcess, database: str) -> None:
    """Admin flushes (through whichever worker) until no event, batch or action is open."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        events, batches, actions = _state(database)
        open_batches = [b for b in batches if b.status is not BatchStatus.CONFIRMED]
        open_actions = [a for a in actions if a.status is not BatchStatus.CONFIRMED]
        if not any(e.batch_id is None for e in events) and not open_batches and not open_actions:
            return
        _fresh("POST", f"{server.url}/api/v1/anchor", headers=ADMIN)
        time.sleep(0.5)
    pytest.fail(f"anchoring did not settle within 120 s:\n{server.log_tail()}")


def _chain_client(data: Path, address: str) -> ChainClient:
    url = json.loads((data / ANVIL_DIR / ANVIL_ENDPOINT_FILE).read_text())["url"]
    client = ChainClient(
        http_web3(url), Account.from_key(DEMO_ANCHOR_PRIVATE_KEY), endpoint=str(url)
    )
    client.attach(address)
    return client


def test_two_web_workers_share_writes_anchor_each_event_once_and_stop_on_sigterm(
    tmp_path: Path, server_factory: ServerFactory, database: tuple[str | None, str]
) -> None:
    anvil_binary()  # skip locally / fail in CI when the node is missing
    data = tmp_path / "data"
    server_database, inspect_url = database
    # Batches are built only by an admin's flush (never due by time), and stay small: so the
    # web workers build and send batches while the parent's worker sends milestones.
    env = server_env(data, database_url=server_database, batch_max_delay_s=3600, batch_max_events=8)
    server = server_factory(env, args=("--workers", str(WORKERS)))
    parent = server.pid
    assert parent is not None
    ready = _wait_ready(server)

    workers = _worker_pids(server)
    assert len(workers) == WORKERS, workers
    assert parent not in workers
    assert {_parent_of(pid) for pid in workers} == {parent}

    key = _setup_cooperative(server)
    record = Recorder()
    writers = [partial(_writer, server.url, key, i, record) for i in range(WRITERS)]
    flushers = [partial(_flusher, server.url, record) for _ in range(FLUSHERS)]
    _run_threads([*writers, *flushers], record)
    assert record.errors == []
    assert {status for status, _ in record.writes} == {201}
    assert {pid for _, pid in record.writes} == workers  # both workers took writes
    assert {status for status, _, _ in record.flushes} == {200}

    _flush_until_settled(server, inspect_url)
    events, batches, actions = _state(inspect_url)
    expected_events = WRITERS * LOTS_PER_WRITER * (1 + NOTES_PER_LOT)
    assert len(events) == expected_events
    assert sum(b.event_count for b in batches) == expected_events
    assert Counter(e.batch_id for e in events) == {b.id: b.event_count for b in batches}
    assert len({b.root for b in batches}) == len(batches)
    assert len(batches) >= expected_events // 8  # several batches, several sends

    client = _chain_client(data, ready["contract_address"])
    anchored = client.w3.eth.contract(address=client.contract_address, abi=client.artifact.abi)
    logs = anchored.events.BatchAnchored().get_logs(from_block=0)
    roots = Counter("0x" + bytes(log["args"]["root"]).hex() for log in logs)
    assert roots == Counter(b.root.lower() for b in batches)  # each root on chain, once
    lots = {f"XOAI-W{i}-{n}" for i in range(WRITERS) for n in range(LOTS_PER_WRITER)}
    milestones = [action for action in actions if action.kind == ChainActionKind.LOT_EVENT]
    assert len(milestones) == len(lots)  # one harvest milestone per lot
    assert [action.kind for action in actions if action not in milestones] == [
        ChainActionKind.SET_SIGNER  # htx's custodial key, registered once
    ]
    for code in lots:
        assert len(client.lot_events(lot_key(code))) == 1, code  # recorded exactly once

    for code in sorted(lots):
        verification = _fresh("GET", f"{server.url}/api/v1/lots/{code}/verification").json()
        assert verification["verdict"] == "verified", verification
        assert len(verification["events"]) == 1 + NOTES_PER_LOT
        assert {e["verdict"] for e in verification["events"]} == {"verified"}

    log = server.log_text()
    assert not [word for word in NONCE_TROUBLE if word in log.lower()], log[-4000:]

    anvil_pid = int(json.loads((data / ANVIL_DIR / ANVIL_ENDPOINT_FILE).read_text())["pid"])
    os.kill(parent, signal.SIGTERM)
    assert server.wait_exit(timeout=60) in CLEAN_STOP, server.log_tail()
    deadline = time.monotonic() + 30
    survivors = {parent, anvil_pid, *workers}
    while survivors and time.monotonic() < deadline:
        survivors = {pid for pid in survivors if _pid_alive(pid)}
        time.sleep(0.2)
    assert survivors == set(), f"still running after SIGTERM: {survivors}"
    assert not (data / ANVIL_DIR / ANVIL_ENDPOINT_FILE).exists()
    log = server.log_text()
    assert "Traceback" not in log, log[-4000:]
    assert log.count("Application shutdown complete") == WORKERS
