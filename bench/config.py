"""How big each benchmark is: the full run (``make bench``) and ``--quick`` (CI proof).

Quick sizes are chosen so every code path still runs (servers, worker, chain, PostgreSQL)
in well under two minutes; their figures are not meant to be quoted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

SECTIONS: tuple[str, ...] = ("gas", "ingest", "anchoring", "verification", "labels")


@dataclass(frozen=True)
class LatencyRun:
    """A steady trickle of events at ``rate_per_s`` for ``seconds``, then wait for verified."""

    label: str
    batch_max_delay_s: float | None  # None: the default setting
    worker_poll_s: float | None  # None: the default setting
    rate_per_s: float
    seconds: float


@dataclass(frozen=True)
class BenchConfig:
    """Every size the sections use, plus where they write and work."""

    quick: bool
    out_dir: Path
    work_dir: Path
    databases: tuple[str, ...] = ("sqlite", "postgres")
    # gas
    gas_batch_sizes: tuple[int, ...] = (1, 10, 100, 1_000, 10_000)
    gas_record_samples: int = 20
    # ingest
    ingest_service_events: int = 3_000
    #: Each HTTP measurement (echo, single events, batches) runs this long after its warm-up:
    #: wrk bounds runs by time only.
    ingest_http_seconds: float = 10.0
    ingest_http_clients: int = 16
    latency_runs: tuple[LatencyRun, ...] = (
        LatencyRun("default settings", None, None, rate_per_s=10, seconds=35),
        LatencyRun("batch delay 1 s, poll 0.25 s", 1.0, 0.25, rate_per_s=10, seconds=10),
    )
    # anchoring
    anchoring_events: int = 100_000
    anchoring_batch_sizes: tuple[int, ...] = (1_000, 10_000)
    # verification
    verification_seconds: float = 8.0
    verification_clients: int = 32
    verification_on_postgres: bool = True  # quick: SQLite only (ingest proves PostgreSQL)
    lot_events: int = 20
    # labels
    labels_per_file: int = 200

    @classmethod
    def full(cls, out_dir: Path, work_dir: Path) -> BenchConfig:
        return cls(quick=False, out_dir=out_dir, work_dir=work_dir)

    @classmethod
    def quick_run(cls, out_dir: Path, work_dir: Path) -> BenchConfig:
        return replace(
            cls.full(out_dir, work_dir),
            quick=True,
            gas_batch_sizes=(1, 10, 100, 1_000),
            gas_record_samples=3,
            ingest_service_events=100,
            ingest_http_seconds=2.0,
            ingest_http_clients=8,
            latency_runs=(
                LatencyRun("batch delay 0.5 s, poll 0.2 s", 0.5, 0.2, rate_per_s=10, seconds=2),
            ),
            anchoring_events=2_000,
            anchoring_batch_sizes=(200, 1_000),
            verification_seconds=1.0,
            verification_on_postgres=False,
            labels_per_file=10,
        )
