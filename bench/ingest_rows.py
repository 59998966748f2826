"""The ingest section's rows: each write path's events/s and CPU per event beside its baseline.

Like is set against like: the service layer against a bare ORM insert, single events over
HTTP against a bare echo (one event's worth per request), and 100-event batches against the
single-event endpoint on the same server (events/s against events/s, CPU per event against
CPU per event), so every ratio divides two figures of the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.config import BenchConfig
from bench.databases import LABELS
from bench.ingest_http import BATCH_EVENTS, BATCH_PATH, HttpRun
from bench.results import Row, SectionResult, number
from bench.stats import rate

TARGET_SERVICE = 1_000.0
TARGET_HTTP = 400.0
#: Events/s through the batch endpoint (issue 20's target).
TARGET_BATCH = 3_000.0


@dataclass(frozen=True)
class Throughput:
    """``count`` items in ``seconds``; ``cpu_seconds`` spent on ``cpu_count`` of them.

    ``cpu_count`` defaults to ``count``; it is larger when the CPU window also covers events
    sent before the load generator stopped and stored after (see :class:`HttpMeasured`).
    """

    count: int
    seconds: float
    cpu_seconds: float | None = None
    cpu_count: int | None = None

    @property
    def per_second(self) -> float:
        return rate(self.count, self.seconds)

    @property
    def cpu_ms_each(self) -> float | None:
        served = self.count if self.cpu_count is None else self.cpu_count
        if self.cpu_seconds is None or not served:
            return None
        return 1000.0 * self.cpu_seconds / served


def service_rows(result: SectionResult, kind: str, bare: Throughput, real: Throughput) -> None:
    is_sqlite = kind == "sqlite"
    result.add(
        Row(
            f"[{LABELS[kind]}] service layer: add_lot_event + commit",
            real.per_second,
            "events/s",
            baseline=f"bare ORM insert + commit {number(bare.per_second)} rows/s",
            ratio=real.per_second / bare.per_second,
            ratio_label="of bare",
            target=f"≥ {TARGET_SERVICE:,.0f}/s" if is_sqlite else "",
            holds=real.per_second >= TARGET_SERVICE if is_sqlite else None,
        )
    )
    result.add(
        Row(
            f"[{LABELS[kind]}] service layer: CPU per accepted event (whole process)",
            real.cpu_ms_each,
            "ms",
            baseline=f"bare ORM insert {number(bare.cpu_ms_each)} ms",
            ratio=(real.cpu_ms_each or 0) / (bare.cpu_ms_each or 1),
            ratio_label="of bare",
            note="1000 / this = events per CPU-second, the rate with a whole core to itself",
        )
    )


def http_rows(
    result: SectionResult,
    label: str,
    config: BenchConfig,
    bare: Throughput,
    real: Throughput,
    *,
    targets: bool,
) -> None:
    """Single events against the echo (a request each); ``label`` names database and processes."""
    name = f"[{label}] HTTP POST /api/v1/lots/{{code}}/events, {config.ingest_http_clients} clients"
    _write_rows(
        result,
        rate_name=name,
        cpu_name=f"[{label}] HTTP POST …/events: server CPU per accepted event",
        baseline_rate=f"bare POST /bench/echo {number(bare.per_second)} req/s (= events/s)",
        baseline_cpu=f"bare echo {number(bare.cpu_ms_each)} ms per request (= per event)",
        bare=bare,
        real=real,
        target=TARGET_HTTP if targets else None,
    )


def batch_rows(
    result: SectionResult,
    label: str,
    config: BenchConfig,
    single: Throughput,
    batch: Throughput,
    *,
    targets: bool,
) -> None:
    """Batched events against single events on the same server: events/s against events/s
    and CPU per event against CPU per event, so the ratio is what batching gains."""
    _write_rows(
        result,
        rate_name=f"[{label}] HTTP POST {BATCH_PATH} ({BATCH_EVENTS} events per request), "
        f"{config.ingest_http_clients} clients",
        cpu_name=f"[{label}] HTTP POST {BATCH_PATH}: server CPU per accepted event",
        baseline_rate=f"single-event POST {number(single.per_second)} events/s",
        baseline_cpu=f"single-event POST {number(single.cpu_ms_each)} ms per event",
        bare=single,
        real=batch,
        target=TARGET_BATCH if targets else None,
        ratio_label="of single events",
    )


def _write_rows(
    result: SectionResult,
    *,
    rate_name: str,
    cpu_name: str,
    baseline_rate: str,
    baseline_cpu: str,
    bare: Throughput,
    real: Throughput,
    target: float | None,
    ratio_label: str = "of bare",
) -> None:
    """Events/s and server CPU per event of one write endpoint, each against its baseline
    (whose rate and CPU are per event too: the echo takes one event's worth per request)."""
    result.add(
        Row(
            rate_name,
            real.per_second,
            "events/s",
            baseline=baseline_rate,
            ratio=real.per_second / bare.per_second,
            ratio_label=ratio_label,
            target="" if target is None else f"≥ {target:,.0f}/s",
            holds=None if target is None else real.per_second >= target,
        )
    )
    result.add(
        Row(
            cpu_name,
            real.cpu_ms_each,
            "ms",
            baseline=baseline_cpu,
            ratio=(real.cpu_ms_each or 0) / (bare.cpu_ms_each or 1),
            ratio_label=ratio_label,
        )
    )


#: Single-event HTTP ingest on PostgreSQL with 4 server processes against 1 (issue target).
SCALING_TARGET = 1.7
SCALING_WORKERS = 4


def scaling_rows(result: SectionResult, label: str, single: dict[int, Throughput]) -> None:
    """Single-event HTTP ingest of each process count against one process, in the same run.

    Only when one process was measured (it is the baseline); on PostgreSQL the four-process
    figure is held to :data:`SCALING_TARGET` (SQLite has one writer whatever the processes).
    """
    base = single.get(1)
    if base is None or base.per_second == 0:
        return
    for workers, measured in sorted(single.items()):
        if workers == 1:
            continue
        ratio = measured.per_second / base.per_second
        target = label == "PostgreSQL" and workers == SCALING_WORKERS
        result.add(
            Row(
                f"[{label}] HTTP POST …/events, {workers} processes against 1",
                measured.per_second,
                "events/s",
                baseline=f"1 process: {number(base.per_second)} events/s",
                ratio=ratio,
                ratio_label="of 1 process",
                target=f"≥ {SCALING_TARGET:g}× with {SCALING_WORKERS} processes" if target else "",
                holds=ratio >= SCALING_TARGET if target else None,
            )
        )


def lane_rows(result: SectionResult, label: str, with_lane: HttpRun, without: HttpRun) -> None:
    """SQLite's writer lane against SQLite's own busy handler, same server settings otherwise
    (two servers of one process each, one after the other, in the same run)."""
    for name, lane, sleeping in (
        ("…/events", with_lane.single, without.single),
        (f"{BATCH_PATH} ({BATCH_EVENTS} events per request)", with_lane.batch, without.batch),
    ):
        on = Throughput(lane.accepted, lane.load.seconds)
        off = Throughput(sleeping.accepted, sleeping.load.seconds)
        result.add(
            Row(
                f"[{label}] HTTP POST {name} with the writer lane (p99 "
                f"{number(lane.load.p(99))} ms against {number(sleeping.load.p(99))} ms)",
                on.per_second,
                "events/s",
                baseline=f"lane off (SQLite's busy handler): {number(off.per_second)} events/s",
                ratio=on.per_second / off.per_second if off.per_second else None,
                ratio_label="of lane off",
            )
        )
