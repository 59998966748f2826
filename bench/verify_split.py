"""Where one verification's CPU time goes, measured in process on the server's own database.

The load test says how much CPU a verification costs the server; this says which part of
the work it is, with the real functions on the real rows (the lot the load test used, the
registry the server anchored to), timed with the process CPU clock over many repetitions:

* loading the lineage (``load_lineage``: the lot, its events, orgs, batches, outbox rows);
* judging it (``verify_lineage``): every canonical document, hash, leaf and proof, with the
  per-request chain look-ups answered from the cache of final facts;
* the chain check a fresh request makes before trusting that cache (one ``ChainView``
  look-up of a cached root);
* building and encoding the JSON answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from sqlmodel import Session

from backend.chain.client import ChainClient
from backend.chain.fact_cache import ChainFactCache
from backend.db import make_engine
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lineage
from backend.services.verification.lineage import load_lineage


@dataclass(frozen=True)
class CpuSplit:
    """Milliseconds of CPU per verification, per part."""

    lineage: float
    judging: float
    chain_check: float
    json: float

    @property
    def total(self) -> float:
        return self.lineage + self.judging + self.chain_check + self.json

    def describe(self) -> str:
        parts = {
            "loading the lineage (SQL, ORM)": self.lineage,
            "recomputing hashes, leaves, proofs and verdicts": self.judging,
            "chain check before trusting cached anchors": self.chain_check,
            "JSON answer": self.json,
        }
        return ", ".join(
            f"{name} {ms:.2f} ms ({ms / self.total:.0%})" for name, ms in parts.items()
        )


def cpu_ms(action: Callable[[], object], repeat: int) -> float:
    """Process CPU milliseconds per call of ``action``, after one warming call."""
    action()  # warm: statement caches, chain fact cache
    started = time.process_time()
    for _ in range(repeat):
        action()
    return 1000.0 * (time.process_time() - started) / repeat


def cpu_split(database_url: str, chain: ChainClient, code: str, *, repeat: int) -> CpuSplit:
    """Time each part of verifying lot ``code`` (see the module docstring)."""
    engine = make_engine(database_url)
    cache = ChainFactCache()
    try:
        with Session(engine, expire_on_commit=False) as session:
            lineage = load_lineage(session, code)
            if lineage is None:
                raise LookupError(f"lot {code} not found in {database_url}")
            view = ChainView(chain, cache, confirmations=1)
            verification = verify_lineage(lineage, view)  # fills the cache of final facts
            root = next(e.batch.root for e in verification.lot.events if e.batch is not None)
            lineage_ms = cpu_ms(lambda: load_lineage(session, code), repeat)
            judging_ms = cpu_ms(lambda: verify_lineage(lineage, view), repeat)
            fresh_ms = cpu_ms(lambda: ChainView(chain, cache, confirmations=1).anchor(root), repeat)
            json_ms = cpu_ms(lambda: JSONResponse(verification.as_json()), repeat)
    finally:
        engine.dispose()
    return CpuSplit(lineage_ms, judging_ms, fresh_ms, json_ms)
