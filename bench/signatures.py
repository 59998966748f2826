"""Signatures: what signing and checking an event costs, and ingest with signatures checked.

* Per event, in process, one thread: signing an event's EIP-712 statement (eth-account, as a
  cooperative's system, the browser or the server for a custodial key does) and recovering
  its signer (what the server does for every signed write and a verifier for every event),
  each beside the baseline of hashing the same event's rules-v2 document (canonical bytes +
  keccak), over the same documents in the same run.
* Ingest, in process on SQLite against anvil: events accepted per second for a client-held
  organisation through the whole signed-write protocol (the write built and rolled back, its
  draft stored; the client signs; the write built again, each signature checked, stored),
  beside the same events of a custodial organisation (the server signs, one run of the write)
  on the same database, lots and registry. The client's own signing time is counted in the
  first figure (it runs in the same process) and reported on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from eth_account import Account
from sqlmodel import Session

from backend.config import Settings
from backend.errors import SignatureRequired
from backend.hashing import canonical_bytes, event_hash, lot_key
from backend.hashing.eip712 import (
    SigningDomain,
    event_typed_data,
    org_key,
    recover_signer,
    sign_typed_data,
)
from backend.http.signed_writes import chain_facts
from backend.models import Organisation
from backend.runtime import Runtime
from backend.services.accounts import org_keys, orgs
from backend.services.catalog import farms, products
from backend.services.ledger import events, lots
from backend.services.signing.protocol import SignedRequest, run_signed
from backend.services.transactions import commit
from bench.chain import local_anvil
from bench.config import BenchConfig
from bench.databases import database
from bench.ingest import settle_worker
from bench.results import Row, SectionResult, number
from bench.seed import (
    event_body,
    harvest_time,
    server_signs_for,
    service_cooperative,
    service_lot,
)

Result = TypeVar("Result")
#: A fixed test key (never a real one): the client-held organisation's.
CLIENT_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
LOTS = 4


@dataclass(frozen=True)
class PerEvent:
    """Microseconds per event of each operation, over the same documents."""

    hash_us: float
    sign_us: float
    recover_us: float


def _documents(n: int) -> list[dict[str, Any]]:
    """``n`` rules-v2-shaped documents, each different, as the ingest bench's events are."""
    docs = []
    for i in range(n):
        body = event_body(i)
        docs.append(
            {
                "schema": "sentrace/event@2",
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "lot": "XOAI-SIG-00",
                "seq": i + 2,
                "prev": "0x" + f"{i:064x}",
                "type": body["type"],
                "occurred_at": "2026-06-01T08:00:00Z",
                "org": "htx-sig",
                "org_name": "HTX Xoài Mỹ Xương",
                "location": None,
                "data": body["data"],
            }
        )
    return docs


def _per_event(n: int) -> PerEvent:
    domain = SigningDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    docs = _documents(n)
    started = time.process_time()
    hashes = [event_hash(doc) for doc in docs]
    hash_s = time.process_time() - started
    for doc in docs:  # the canonical bytes are what a verifier hashes: make sure they build
        canonical_bytes(doc)
    owner, lot = org_key("htx-sig"), lot_key("XOAI-SIG-00")
    typed = [
        event_typed_data(domain, org_key=owner, lot_key=lot, seq=doc["seq"], event_hash=h)
        for doc, h in zip(docs, hashes, strict=True)
    ]
    started = time.process_time()
    signatures = [sign_typed_data(t, CLIENT_KEY) for t in typed]
    sign_s = time.process_time() - started
    started = time.process_time()
    signers = {recover_signer(t, s) for t, s in zip(typed, signatures, strict=True)}
    recover_s = time.process_time() - started
    if signers != {Account.from_key(CLIENT_KEY).address}:
        raise RuntimeError(f"recovered {signers}")
    micro = 1e6 / n
    return PerEvent(hash_s * micro, sign_s * micro, recover_s * micro)


@dataclass(frozen=True)
class Ingest:
    events: int
    seconds: float
    client_sign_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _client_signed(
    runtime: Runtime, org: Organisation, write: Callable[[Session], Result]
) -> float:
    """One write through the 428 protocol as a client-held organisation's system makes it;
    returns the seconds the client spent signing."""
    facts = chain_facts(runtime)
    fingerprint = f"bench-{time.perf_counter_ns()}"
    with Session(runtime.engine, expire_on_commit=False) as session:
        try:
            run_signed(
                session,
                org=org,
                request=SignedRequest(fingerprint),
                chain=facts,
                write=lambda: write(session),
            )
        except SignatureRequired as refused:
            draft = refused.draft or {}
        else:
            raise RuntimeError("a client-held write was stored unsigned")
    started = time.perf_counter()
    signatures = tuple(sign_typed_data(item["typed_data"], CLIENT_KEY) for item in draft["sign"])
    signing_s = time.perf_counter() - started
    with Session(runtime.engine, expire_on_commit=False) as session:
        run_signed(
            session,
            org=org,
            request=SignedRequest(fingerprint, str(draft["id"]), signatures),
            chain=facts,
            write=lambda: write(session),
        )
        commit(session)
    return signing_s


def _event_write(
    org: Organisation, code: str, body: dict[str, Any], settings: Settings
) -> Callable[[Session], object]:
    def write(session: Session) -> object:
        return events.add_lot_event(
            session,
            lot_code=code,
            org=org,
            event_type=body["type"],
            occurred_at=body["occurred_at"],
            location=body["location"],
            data=body["data"],
            settings=settings,
        )

    return write


def _bodies(n: int) -> list[dict[str, Any]]:
    bodies = [event_body(i) for i in range(n)]
    for body in bodies:
        body["occurred_at"] = datetime.fromisoformat(body["occurred_at"])
    return bodies


def _client_org(runtime: Runtime, codes: list[str]) -> Organisation:
    """A client-held cooperative whose key is on chain, with its lots (created signed)."""
    settings = runtime.settings
    with Session(runtime.engine, expire_on_commit=False) as session:
        org, _ = orgs.create_organisation(
            session, slug="htx-client", name="HTX Quýt hồng Lai Vung", role="cooperative"
        )
        org_keys.register_key(
            session, org, address=Account.from_key(CLIENT_KEY).address, custody="client"
        )
        session.commit()
    settle_worker(runtime)
    # The farm and product are catalogue rows (nothing to sign); each lot is a signed harvest.
    with Session(runtime.engine, expire_on_commit=False) as session:
        farms.create_farm(session, org=org, code="F-CLIENT", name="Vườn quýt", commune="Lai Vung")
        products.create_product(session, org=org, code="quyt", name_vi="Quýt hồng")
        session.commit()
    for code in codes:
        _client_signed(
            runtime,
            org,
            lambda session, code=code: lots.create_harvest_lot(
                session,
                org=org,
                product_code="quyt",
                farm_code="F-CLIENT",
                quantity="1000",
                unit="kg",
                harvested_at=harvest_time(),
                code=code,
                settings=settings,
            ),
        )
    return org


def _ingest(runtime: Runtime, config: BenchConfig) -> tuple[Ingest, Ingest]:
    n = config.signature_ingest_events
    custodial_codes = [f"XOAI-SIG-C{i}" for i in range(LOTS)]
    client_codes = [f"QUYT-SIG-K{i}" for i in range(LOTS)]
    custodial = service_cooperative(runtime.engine, runtime.settings, custodial_codes[:1])
    for code in custodial_codes[1:]:
        service_lot(runtime.engine, runtime.settings, custodial, code)
    client = _client_org(runtime, client_codes)
    settle_worker(runtime)
    bodies = _bodies(n)
    facts = chain_facts(runtime)
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        write = _event_write(custodial, custodial_codes[i % LOTS], body, runtime.settings)
        with Session(runtime.engine, expire_on_commit=False) as session:
            run_signed(
                session,
                org=custodial,
                request=SignedRequest("bench"),
                chain=facts,
                write=lambda write=write, session=session: write(session),
            )
            commit(session)
    baseline = Ingest(n, time.perf_counter() - started)
    signing_s = 0.0
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        write = _event_write(client, client_codes[i % LOTS], body, runtime.settings)
        signing_s += _client_signed(runtime, client, write)
    signed = Ingest(n, time.perf_counter() - started, signing_s)
    return baseline, signed


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("signatures", "Signatures")
    per = _per_event(config.signature_events)
    result.add(
        Row(
            "sign one event's EIP-712 statement (eth-account)",
            per.sign_us,
            "µs/event",
            baseline=f"hash its document: {number(per.hash_us)} µs",
            ratio=per.sign_us / per.hash_us,
            ratio_label="of hashing",
        )
    )
    result.add(
        Row(
            "recover an event's signer (server check, verifier)",
            per.recover_us,
            "µs/event",
            baseline=f"hash its document: {number(per.hash_us)} µs",
            ratio=per.recover_us / per.hash_us,
            ratio_label="of hashing",
        )
    )
    work = config.work_dir / "signatures"
    with local_anvil(work / "anvil") as node:
        settings = Settings(
            data_dir=work / "data",
            database_url=database("sqlite", work / "db"),
            chain_rpc_url=node.url,
            worker_enabled=False,
        )
        runtime = Runtime.start(settings)
        server_signs_for(runtime)
        try:
            baseline, signed = _ingest(runtime, config)
        finally:
            runtime.close()
    result.add(
        Row(
            "[SQLite] ingest, client-held: 428 draft, client signs, signed resend checked",
            signed.per_second,
            "events/s",
            baseline=f"custodial (server signs): {number(baseline.per_second)} events/s",
            ratio=signed.per_second / baseline.per_second,
            ratio_label="of custodial",
            note=f"client signing {number(1e3 * signed.client_sign_seconds / signed.events)} "
            "ms/event of it",
        )
    )
    result.notes.append(
        f"Per event: {config.signature_events:,} different documents, process CPU time, one "
        f"thread. Ingest: {config.signature_ingest_events:,} events each way, one thread, one "
        f"commit per write, {LOTS} lots in turn, anvil as the chain, the anchoring worker off "
        "(both organisations' keys were put on chain before the clock started)."
    )
    return result
