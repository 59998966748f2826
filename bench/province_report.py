"""The province run as a markdown report: each figure measured, and projected to a whole day.

Two columns keep the two kinds of number apart: "measured" is what this run saw; "projected
per simulated day" is arithmetic on it (a count over the day fraction, a size per event times
the day's events, a rate against the curve's busiest hour), never a second measurement. How
each projection is made is said in its row or in the notes under the table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from backend.config import Settings
from bench.province_load import Tally
from bench.province_measure import ChainCosts, Growth
from bench.province_plan import (
    EVENTS_PER_DAY,
    EVENTS_PER_LOT,
    HOURS,
    MILESTONES_PER_LOT,
    PROVINCE_COOPERATIVES,
    PROVINCE_PACKERS,
    SCAN_CURVE,
    SECONDS_PER_DAY,
    WRITE_CURVE,
    Scale,
    anchors_for_day,
)
from bench.province_run import Day, ScanProbe, WriteProbe
from bench.results import number
from bench.stats import percentile

MB = 1_000_000
GB = 1_000_000_000
TABLE_HEADER = "| figure | measured | projected per simulated day |"


@dataclass(frozen=True)
class Batching:
    """Batch settings: the run's (compressed) and production's (what the day is projected
    with), each with the worker's poll interval."""

    max_events: int
    max_delay_s: float
    poll_s: float

    @classmethod
    def production(cls) -> Batching:
        """The defaults of backend.config.Settings."""
        fields = Settings.model_fields
        return cls(
            int(fields["batch_max_events"].default),
            float(fields["batch_max_delay_s"].default),
            float(fields["worker_poll_s"].default),
        )

    def describe(self) -> str:
        return f"{self.max_events:,} events or {self.max_delay_s:g} s, poll {self.poll_s:g} s"


@dataclass(frozen=True)
class Outcome:
    """Everything one run produced, for the report."""

    scale: Scale
    processes: int
    replica: str
    run_batching: Batching
    day: Day
    anchored_after_s: float
    growth: Growth
    chain: ChainCosts
    writes: WriteProbe
    scans: ScanProbe


def server_errors(outcome: Outcome) -> int:
    """5xx answers and failed connections anywhere in the run (the target is none)."""
    tallies = (outcome.day.writes, outcome.day.scans, outcome.writes.tally)
    wrk = outcome.scans.load
    wrk_errors = sum(n for s, n in wrk.statuses.items() if s >= 500) + wrk.transport_errors
    return sum(t.count(lambda s: s >= 500) for t in tallies) + wrk_errors


def refused_writes(outcome: Outcome) -> int:
    """4xx answers to the day's writes: each is a lot whose life did not go as planned."""
    return outcome.day.writes.count(lambda s: 400 <= s < 500)


def _ms(seconds: float) -> str:
    return f"{number(1000 * seconds)} ms"


def _busiest_hour_rate(tally: Tally, day: Day, span_s: float) -> float:
    """Accepted events a second in the compressed hour that accepted the most."""
    hour_s = span_s / HOURS
    counts = [0] * HOURS
    for at in tally.answered:
        counts[min(HOURS - 1, max(0, int((at - day.started) / hour_s)))] += 1
    return max(counts) / hour_s


def _row(figure: str, measured: str, projected: str = "–") -> str:
    return f"| {figure} | {measured} | {projected} |"


def ingest_rows(o: Outcome) -> list[str]:
    s, day = o.scale, o.day
    real_mean = EVENTS_PER_DAY / SECONDS_PER_DAY
    real_peak = real_mean * WRITE_CURVE.peak_to_mean
    sustained = day.writes.events / day.seconds
    offered_peak = s.events / s.day_seconds * WRITE_CURVE.peak_to_mean
    lag = day.writes.lag
    return [
        _row(
            "events accepted",
            f"{day.writes.events:,} in {day.seconds:.0f} s",
            f"{EVENTS_PER_DAY:,} (scaled by 1 / {s.day_fraction:g})",
        ),
        _row(
            "sustained events/s (accepted over the compressed day)",
            number(sustained),
            f"{number(real_mean)} mean, {number(real_peak)} in the busiest hour",
        ),
        _row(
            "busiest compressed hour, accepted events/s",
            f"{number(_busiest_hour_rate(day.writes, day, s.day_seconds))} "
            f"(offered {number(offered_peak)})",
            "–",
        ),
        _row(
            "write start lag behind schedule, p99 / max",
            f"{_ms(percentile(lag, 99))} / {_ms(max(lag))}",
        ),
        _row(
            "ingest at saturation, same request mix, writes alone (events/s)",
            f"{number(o.writes.events_per_s)} over {o.writes.seconds:.0f} s",
            f"{number(o.writes.events_per_s / real_peak)}× the busiest real hour",
        ),
        _row(
            "CPU per event at saturation: " + " / ".join(o.writes.cpu),
            " / ".join(f"{number(o.writes.per_event_ms(part))} ms" for part in o.writes.cpu),
        ),
    ]


def scan_rows(o: Outcome) -> list[str]:
    s, scans, probe = o.scale, o.day.scans, o.scans
    real_peak = s.scans_per_day / SECONDS_PER_DAY * SCAN_CURVE.peak_to_mean
    latencies = scans.all_latencies()
    db = probe.database_cpu_s
    cpu_columns = [probe.app_cpu_s, *db.values()]
    rows = [
        _row("scans answered", f"{len(latencies):,}", f"{s.scans_per_day:,}"),
        _row(
            "scan p99 while ingest runs (from the instant each scan was due)",
            f"{_ms(percentile(latencies, 99))} (p50 {_ms(percentile(latencies, 50))}; the "
            f"request alone: p99 {_ms(percentile(scans.service, 99))})",
        ),
    ]
    for kind, values in sorted(scans.latencies.items()):
        rows.append(_row(f"… {kind}: scan p99", _ms(percentile(values, 99))))
    rows += [
        _row(
            f"scans at saturation (wrk, {probe.load.connections} connections), scans/s",
            f"{number(probe.load.rps)} (p99 {number(probe.load.p(99))} ms)",
            f"busiest hour of {s.scans_per_day:,}/day: {number(real_peak)} scans/s",
        ),
        _row(
            "CPU per scan at saturation: app / " + " / ".join(f"PostgreSQL {n}" for n in db),
            " / ".join(f"{number(probe.per_scan_ms(cpu))} ms" for cpu in cpu_columns),
        ),
    ]
    return rows


def cpu_row(o: Outcome) -> str:
    """Where the machine's CPU went during the day, as seconds and share of all cores."""
    capacity = o.day.seconds * (os.cpu_count() or 1)
    parts = [f"{name} {cpu:.0f} s ({100 * cpu / capacity:.0f}%)" for name, cpu in o.day.cpu.items()]
    return _row(f"CPU during the day (share of {os.cpu_count()} cores)", ", ".join(parts))


def storage_rows(o: Outcome) -> list[str]:
    g = o.growth
    per_event = g.per_event(g.database_bytes)
    wal = g.per_event(g.wal_bytes)
    heap, indexes, rest = g.event_parts_per_event()
    return [
        _row(
            "event table per event: heap / indexes / TOAST and the rest",
            f"{number(heap)} B / {number(indexes)} B / {number(rest)} B",
            f"indexes {indexes * EVENTS_PER_DAY / GB:.2f} GB",
        ),
        _row(
            "database growth",
            f"{g.database_bytes / MB:.1f} MB for {g.events:,} events "
            f"and {g.after.scans - g.before.scans:,} scan rows",
            f"{per_event * EVENTS_PER_DAY / GB:.2f} GB",
        ),
        _row(
            "bytes per event (database growth / events)",
            f"{number(per_event)} B",
            f"{per_event * 1_000_000 / GB:.2f} GB per million events",
        ),
        _row("WAL bytes per event", f"{number(wal)} B", f"{wal * EVENTS_PER_DAY / GB:.2f} GB"),
    ]


def chain_rows(o: Outcome) -> list[str]:
    s, anchors, milestones = o.scale, o.chain.anchors, o.chain.milestones
    prod, run = Batching.production(), o.run_batching
    predicted = anchors_for_day(
        s.events,
        s.day_seconds,
        max_events=run.max_events,
        max_delay_s=run.max_delay_s,
        poll_s=run.poll_s,
    )
    day_anchors = anchors_for_day(
        EVENTS_PER_DAY,
        SECONDS_PER_DAY,
        max_events=prod.max_events,
        max_delay_s=prod.max_delay_s,
        poll_s=prod.poll_s,
    )
    day_milestones = s.per_day(milestones.count)
    gas_day = day_anchors * anchors.mean_gas() + day_milestones * milestones.mean_gas()
    measured_gas = sum(anchors.gas) + sum(milestones.gas)
    return [
        _row(
            "anchored batches",
            f"{anchors.count:,} (mean {number(anchors.mean_events())} "
            f"events; the model predicts {number(predicted)} for the run)",
            f"{number(day_anchors)} at {prod.describe()} (floor "
            f"{EVENTS_PER_DAY // prod.max_events:,} by size alone)",
        ),
        _row(
            "gas per anchor (mean)",
            f"{number(anchors.mean_gas())} gas, {number(anchors.mean_raw_bytes())} B signed",
        ),
        _row(
            "milestone transactions (harvest, transfer)",
            f"{milestones.count:,}",
            f"{number(day_milestones)}",
        ),
        _row(
            "gas per milestone (mean)",
            f"{number(milestones.mean_gas())} gas, {number(milestones.mean_raw_bytes())} B signed",
        ),
        _row("gas (anchors + milestones)", f"{measured_gas:,}", f"{gas_day:,.0f}"),
        _row(
            "gas of anchors alone",
            f"{sum(anchors.gas):,}",
            f"{day_anchors * anchors.mean_gas():,.0f}",
        ),
    ]


def table(o: Outcome) -> str:
    errors = server_errors(o)
    rows = [
        TABLE_HEADER,
        "| --- | ---: | ---: |",
        *ingest_rows(o),
        *scan_rows(o),
        cpu_row(o),
        *storage_rows(o),
        *chain_rows(o),
        _row("5xx answers and failed connections (target 0)", f"{errors:,}"),
        _row("refused writes (4xx) in the day", f"{refused_writes(o):,}"),
    ]
    return "\n".join(rows)


def notes(o: Outcome) -> list[str]:
    s, run = o.scale, o.run_batching
    lines = [
        f"Scale: {s.cooperatives} cooperatives + {s.packers} packers stand for "
        f"{PROVINCE_COOPERATIVES:,} + {PROVINCE_PACKERS:,}: each sampled organisation stands "
        f"for {number(s.orgs_stood_for)} and carries {number(s.org_day_share)}× one province "
        f"organisation's daily events (day fraction × {number(s.orgs_stood_for)}; 1× would "
        f"need a day fraction of {1 / s.orgs_stood_for:.2g}).",
        f"Time: 24 h squeezed into {s.day_seconds:g} s at {s.day_fraction:g} of the volume, "
        f"so every hour of the run offers {number(s.rate_factor)}× the real rate of that hour. "
        f"Peak-to-mean: writes {number(WRITE_CURVE.peak_to_mean)}, scans "
        f"{number(SCAN_CURVE.peak_to_mean)} (assumed curves, bench/province_plan.py).",
        f"Lots: {EVENTS_PER_LOT} events each in 13 requests (harvest, 6 single events, one "
        f"field-app batch of 6, transfer; the packer receives, splits in two, packs each "
        f"part); {MILESTONES_PER_LOT} of them (harvest, transfer) are milestones sent on "
        "chain one transaction each. Scans: half a phone opening the label page "
        "(/l/{code}/{serial}, a counted scan written on the primary), half the verification "
        "JSON, of packed lots split off a parent, anchored before the day.",
        f"Server: {o.processes} processes (`sentrace serve --workers {o.processes}`, the "
        f"anchoring worker in the parent), rate limit off; reads: {o.replica}. Run batching: "
        f"{run.describe()}; everything the day wrote was confirmed "
        f"{o.anchored_after_s:.0f} s after the day ended.",
        "Projections: counts over the day fraction; anchors per day from the batch model "
        "(bench.province_plan.batches_per_second) over the write curve at production "
        "settings, checked against the run's own batches in the first row; gas per day = "
        "anchors × mean anchor gas + milestones × mean milestone gas.",
    ]
    top = ", ".join(f"{name} {size / MB:.1f} MB" for name, size in o.growth.biggest_tables())
    lines.append(f"Tables that grew most: {top}.")
    for label, tally in (("day writes", o.day.writes), ("day scans", o.day.scans)):
        counts = {kind: dict(sorted(c.items())) for kind, c in sorted(tally.statuses.items())}
        lines.append(f"Statuses, {label}: {counts}.")
    lines.append(f"Statuses, scan probe: {dict(sorted(o.scans.load.statuses.items()))}.")
    return lines


def markdown(o: Outcome, *, header: list[str]) -> str:
    """The whole report: header lines, the table, the notes."""
    return "\n".join([*header, "", table(o), "", *[f"- {n}" for n in notes(o)]]) + "\n"
