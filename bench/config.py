"""How big each benchmark is: the full run (``make bench``) and ``--quick`` (CI proof).

Quick sizes are chosen so every code path still runs (servers, worker, chain, PostgreSQL,
a multi-process server) in well under two minutes; their figures are not meant to be quoted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

SECTIONS: tuple[str, ...] = (
    "gas",
    "ingest",
    "anchoring",
    "verification",
    "verification_rules",
    "ancestry",
    "mixed",
    "labels",
    "signatures",
    "browser_check",
    "recall",
    "epcis",
)


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
    #: The HTTP measurements (ingest's HTTP part, verification) run once per entry, on a
    #: server of that many processes (``sentrace serve --workers N``); see :func:`processes`.
    #: One and four: the PostgreSQL ingest target is four processes against one.
    server_workers: tuple[int, ...] = (1, 4)
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
    #: Events of the harvest lot the verified lot is split off (0: a lot without a parent).
    parent_events: int = 3
    #: ancestry: events the measured lot's ancestors hold, one lot per entry (the first is
    #: the baseline of the others).
    ancestry_sizes: tuple[int, ...] = (20, 300, 3_000, 30_000)
    # mixed: scans beside writes and label printing, on PostgreSQL
    mixed_workers: int = 4
    mixed_seconds: float = 60.0
    mixed_scan_clients: int = 16
    # verification_rules: in process, requests per lot per round, and rounds (median kept)
    rules_repeat: int = 200
    rules_rounds: int = 5
    # labels
    labels_per_file: int = 200
    # signatures: documents signed and recovered per event, events ingested each way
    signature_events: int = 2_000
    signature_ingest_events: int = 500
    # recall: lots in the generated tree whose impact, CSV and PDF are timed
    recall_lots: int = 10_000
    # epcis: the exported lot's events, how often it is exported, the captured document's events
    epcis_lot_events: int = 20
    epcis_export_repeat: int = 20
    epcis_capture_events: int = 1_000

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
            ancestry_sizes=(20, 100),
            mixed_workers=2,
            mixed_seconds=2.0,
            rules_repeat=20,
            rules_rounds=3,
            labels_per_file=10,
            signature_events=100,
            signature_ingest_events=20,
            recall_lots=500,
            epcis_export_repeat=3,
            epcis_capture_events=100,
            server_workers=(2,),  # the multi-process path, once
        )


def processes(workers: int) -> str:
    """How a row names its server: "1 process", "2 processes" (the serving processes).

    With one, that process serves and runs the anchoring worker; with N > 1 a parent anchors
    and N uvicorn workers serve (``backend.web_workers``), so N counts the ones serving.
    """
    return f"{workers} process" if workers == 1 else f"{workers} processes"


def describe_servers(counts: tuple[int, ...]) -> str:
    """The note each HTTP section prints about the servers its rows name."""
    many = [n for n in counts if n > 1]
    each = ", each on a server of its own" if len(counts) > 1 else ""
    parts = [
        "Server: uvicorn, access log off, the anchoring worker running; measured with "
        + " and ".join(processes(n) for n in counts)
        + f"{each} (a fresh database, seeded through the API before the clock starts)."
    ]
    if 1 in counts:
        parts.append("1 process: it serves and runs the anchoring worker.")
    if many:
        parts.append(
            "N processes (`sentrace serve --workers N`): the parent anchors and serves nothing, "
            "N uvicorn workers serve from one shared listening socket; a keep-alive connection "
            "stays with the worker that accepted it, and the kernel hands each new connection "
            "to a waiting worker, so the split is not forced to be even (the busiest worker's "
            "share of the workers' CPU is given per measurement)."
        )
    parts.append(
        "Server CPU is that of the whole process tree (with several processes, parent and "
        "workers alike), so per-request figures compare across process counts; the baselines "
        "run on the same server as the endpoints they are set against."
    )
    return " ".join(parts)


def parse_workers(text: str) -> tuple[int, ...]:
    """``"2,1"`` → ``(1, 2)``: the ``--server-workers`` option of ``scripts/bench.py``.

    Sorted, so the rows of one database always go from fewer processes to more.

    Raises ValueError on an empty list, a count below 1, or a count given twice (a repeated
    server would only repeat its rows).
    """
    counts = tuple(int(part) for part in text.split(",") if part.strip())
    if not counts:
        raise ValueError("no worker count given")
    if min(counts) < 1:
        raise ValueError(f"worker counts must be at least 1, not {min(counts)}")
    if len(set(counts)) != len(counts):
        raise ValueError(f"a worker count is repeated in {text!r}")
    return tuple(sorted(counts))
