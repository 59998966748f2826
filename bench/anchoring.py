"""Anchoring throughput: Merkle trees and proofs in Python, then the whole pipeline on anvil.

1. Trees and proofs for N events (100,000 in the full run): leaves from (lot key, event
   hash) pairs, ``MerkleTree.build`` and ``proofs()``, in batches of 1,000 (the default
   ``SENTRACE_BATCH_MAX_EVENTS``), of 10,000, and as one tree. Baseline: the reference
   spelling of the same rules (``backend.hashing.reference``: eth-abi, eth-utils, hex
   strings, OpenZeppelin's algorithm line by line) on a tenth of the events, per event.
2. End to end: N accepted events in a SQLite database, then ``AnchoringService.run_once``
   until every batch is confirmed on a real anvil node: reading pending rows, trees,
   proofs, storing leaves and proofs, sending ``anchorBatch`` and confirming, at batch sizes
   of 1,000 and 10,000. Baseline: the same number of bare ``anchorBatch`` transactions
   sent and confirmed by the same client (the chain's share of the time).

The events of part 2 are written with one bulk insert of rows hashed by ``backend.hashing``
(the ingest section times the write path; here only anchoring is timed), and a lot is
verified at the end to prove the rows, the batches and the chain agree.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from backend.chain.client import ChainClient
from backend.chain.fact_cache import ChainFactCache
from backend.config import Settings
from backend.db import create_schema, make_engine
from backend.hashing import (
    MerkleTree,
    event_hash,
    keccak,
    leaf_hashes,
    lot_key,
    reference,
    to_hex,
)
from backend.models import Batch, BatchStatus, Event, EventType
from backend.services.anchoring import batching
from backend.services.anchoring.service import AnchoringService
from backend.services.ledger.documents import event_document
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lot
from bench.chain import client_for, local_anvil
from bench.config import BenchConfig
from bench.results import Row, SectionResult, number
from bench.seed import event_body, service_cooperative

TARGET_TREES_S = 5.0
TARGET_EVENTS = 100_000  # the target is for this many events at the default batch size
TARGET_BATCH = 1_000
LOTS = 10
INSERT_CHUNK = 5_000
ANCHOR_TIMEOUT_S = 1_800.0


# ------------------------------------------------------------------------ trees and proofs


def _pairs(n: int) -> list[tuple[bytes, bytes]]:
    keys = [lot_key(f"XOAI-{i:04d}") for i in range(1_000)]
    return [(keys[i % len(keys)], keccak(i.to_bytes(8, "big"))) for i in range(n)]


def trees_and_proofs(pairs: list[tuple[bytes, bytes]], batch: int) -> float:
    """Seconds to compute every leaf, tree and proof, ``batch`` events per tree."""
    started = time.perf_counter()
    for start in range(0, len(pairs), batch):
        tree = MerkleTree.build(leaf_hashes(pairs[start : start + batch]))
        tree.proofs()
    return time.perf_counter() - started


def reference_trees_and_proofs(pairs: list[tuple[bytes, bytes]], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(pairs), batch):
        leaves = [reference.leaf_hash(k, e) for k, e in pairs[start : start + batch]]
        reference.tree_and_proofs(leaves)
    return time.perf_counter() - started


def python_rows(config: BenchConfig, result: SectionResult) -> None:
    n = config.anchoring_events
    pairs = _pairs(n)
    subset = pairs[: max(config.anchoring_batch_sizes[0], n // 10)]
    ref = reference_trees_and_proofs(subset, config.anchoring_batch_sizes[0])
    ref_per_event = ref / len(subset)
    baseline = (
        f"reference rules: {number(ref_per_event * 1e6)} µs/event "
        f"({len(subset):,} events, batches of {config.anchoring_batch_sizes[0]:,})"
    )
    sizes = [*config.anchoring_batch_sizes, n]
    for batch in dict.fromkeys(sizes):
        seconds = trees_and_proofs(pairs, batch)
        label = "one tree" if batch == n else f"batches of {batch:,}"
        first = batch == TARGET_BATCH and n == TARGET_EVENTS
        result.add(
            Row(
                f"trees + proofs, {n:,} events, {label}",
                seconds,
                "s",
                baseline=baseline,
                ratio=ref_per_event * n / seconds,
                ratio_label="faster",
                target=f"< {TARGET_TREES_S:g} s" if first else "",
                holds=seconds < TARGET_TREES_S if first else None,
            )
        )


# ------------------------------------------------------------------------------ end to end


@dataclass(frozen=True)
class Anchored:
    batch_size: int
    seconds: float
    batches: int
    events: int


def _event_rows(n: int, lots: dict[str, int], org_id: int, org_slug: str) -> list[dict[str, Any]]:
    """``n`` hashed event rows spread over ``lots`` (code → id), as record_event stores them."""
    codes = list(lots)
    rows = []
    for i in range(n):
        body = event_body(i)
        occurred = datetime.fromisoformat(body["occurred_at"])
        code = codes[i % len(codes)]
        row: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "lot_id": lots[code],
            "type": EventType(body["type"]),
            "occurred_at": occurred,
            "recorded_at": occurred,
            "org_id": org_id,
            "location": body["location"],
            "data": body["data"],
        }
        document = event_document(SimpleNamespace(**row), lot_code=code, org_slug=org_slug)
        rows.append({**row, "event_hash": to_hex(event_hash(document))})
    return rows


def prepare_database(path: Path, n: int, work: Path) -> tuple[str, int]:
    """A SQLite file holding ``n`` accepted events (plus the harvest events); returns the
    first lot's code and the number of pending events."""
    url = f"sqlite:///{path.as_posix()}"
    engine = make_engine(url)
    create_schema(engine)
    # Rules v1 throughout, as the bulk rows below are: the section measures anchoring, and a
    # rules-v1 event is unsigned, so nothing depends on the registry each run deploys anew.
    settings = Settings(data_dir=work, database_url=url, direct_event_types="", event_schema=1)
    codes = [f"XOAI-ANC-{i:02d}" for i in range(LOTS)]
    org = service_cooperative(engine, settings, codes)
    assert org.id is not None
    with Session(engine) as session:
        from backend.services.ledger import queries

        lots = {}
        for code in codes:
            lot = queries.get_lot_by_code(session, code)
            assert lot is not None and lot.id is not None
            lots[code] = lot.id
    rows = _event_rows(n, lots, org.id, org.slug)
    table = Event.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        for start in range(0, len(rows), INSERT_CHUNK):
            connection.execute(table.insert(), rows[start : start + INSERT_CHUNK])
    pending = batching.pending_event_count(engine)
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return codes[0], pending


def anchor_all(db: Path, client: ChainClient, batch_size: int, work: Path) -> Anchored:
    """Anchor every pending event of ``db`` with the real service; seconds until confirmed."""
    url = f"sqlite:///{db.as_posix()}"
    engine = make_engine(url)
    settings = Settings(
        data_dir=work, database_url=url, chain_rpc_url=client.endpoint, batch_max_events=batch_size
    )
    service = AnchoringService(engine=engine, settings=settings, chain=lambda: client)
    events = batching.pending_event_count(engine)
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    started = time.perf_counter()
    while True:
        report = service.run_once(force=True, wait=True)
        if not report.more_work and _all_confirmed(engine):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"anchoring did not finish within {ANCHOR_TIMEOUT_S:g} s")
    seconds = time.perf_counter() - started
    with Session(engine) as session:
        batches = session.exec(select(func.count()).select_from(Batch)).one()
    engine.dispose()
    return Anchored(batch_size, seconds, batches, events)


def _all_confirmed(engine: Engine) -> bool:
    if batching.pending_event_count(engine):
        return False
    with Session(engine) as session:
        statuses = set(session.exec(select(Batch.status).distinct()).all())
    return statuses <= {BatchStatus.CONFIRMED}


def check_verified(db: Path, client: ChainClient, code: str) -> str:
    engine = make_engine(f"sqlite:///{db.as_posix()}")
    try:
        with Session(engine) as session:
            view = ChainView(client, ChainFactCache(), confirmations=1)
            verification = verify_lot(session, code=code, view=view)
            assert verification is not None
            return str(verification.verdict)
    finally:
        engine.dispose()


def bare_anchors(client: ChainClient, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        client.anchor_batch(keccak(f"bare-anchor-{i}-{time.time_ns()}".encode()), 1_000)
    return time.perf_counter() - started


def end_to_end_rows(config: BenchConfig, result: SectionResult) -> None:
    work = config.work_dir / "anchoring"
    work.mkdir(parents=True, exist_ok=True)
    prepared = work / "prepared.db"
    code, pending = prepare_database(prepared, config.anchoring_events, work)
    with local_anvil(work / "anvil") as node:
        client = client_for(node)
        for batch_size in config.anchoring_batch_sizes:
            db = work / f"anchor-{batch_size}.db"
            shutil.copyfile(prepared, db)
            client.deploy_registry()
            done = anchor_all(db, client, batch_size, work)
            verdict = check_verified(db, client, code)
            if verdict != "verified":
                raise RuntimeError(f"lot {code} reads {verdict} after anchoring")
            bare = bare_anchors(client, done.batches)
            result.add(
                Row(
                    f"anchor {done.events:,} accepted events end to end, batches of "
                    f"{batch_size:,} ({done.batches} txs, SQLite + anvil)",
                    done.seconds,
                    "s",
                    baseline=f"{done.batches} bare anchorBatch txs: {number(bare)} s",
                    ratio=done.seconds / bare,
                    ratio_label="of bare chain time",
                )
            )
    result.notes.append(
        f"End to end: {pending:,} pending events ({config.anchoring_events:,} + {LOTS} harvest "
        "events), `AnchoringService.run_once(force=True)` until every batch is confirmed "
        "(one confirmation, anvil mines each transaction at once); afterwards a lot of "
        f"{config.anchoring_events // LOTS:,} events reads `verified`."
    )


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("anchoring", "Anchoring throughput")
    python_rows(config, result)
    end_to_end_rows(config, result)
    return result
