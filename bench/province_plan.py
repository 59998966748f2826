"""What a simulated province day is made of, and the arithmetic that scales a run up to one.

The province (the issue's figures): 5,000 cooperatives, 2,000 packers, 1,000,000 events a
day. A run on one machine sends a *fraction* of that day (``day_fraction``), compressed into
``day_seconds`` of wall time, with a sample of organisations; everything measured is then
projected to a whole day by plain arithmetic, shown beside the measurement.

Load over the day follows two hourly curves (:class:`DailyCurve`), both assumptions rather
than observed data: writes peak in the morning (harvest and field records), scans in the
evening (markets and supermarkets), and both are quiet at night. Times are placed by the
curve's inverse distribution at evenly spaced quantiles, so a run is the same every time and
small runs still follow the curve.

Every harvest lot lives the same life (:data:`LOT_STEPS`, 20 events in 13 requests): the
cooperative records the harvest and field observations, some one by one and some as a field
app's offline batch, and hands the lot to a packer, who receives it, splits it in two and
records the packing of each part. Harvest and transfer are milestone events, each sent on
chain as a transaction of its own (``SENTRACE_DIRECT_EVENT_TYPES``); the rest is anchored in
Merkle batches.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

PROVINCE_COOPERATIVES = 5_000
PROVINCE_PACKERS = 2_000
EVENTS_PER_DAY = 1_000_000
SECONDS_PER_DAY = 86_400
HOURS = 24


@dataclass(frozen=True)
class DailyCurve:
    """Relative load in each hour of the day (0–23); only the proportions matter."""

    name: str
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != HOURS or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError(f"{self.name}: 24 non-negative weights, not all zero, are needed")

    @property
    def shares(self) -> tuple[float, ...]:
        """Each hour's part of the day's total (they sum to 1)."""
        total = sum(self.weights)
        return tuple(w / total for w in self.weights)

    @property
    def peak_to_mean(self) -> float:
        """The busiest hour's rate over the day's mean rate: what capacity is sized for."""
        return max(self.shares) * HOURS

    def times(self, count: int, span_s: float) -> list[float]:
        """``count`` instants in ``[0, span_s)`` whose density follows the curve.

        The i-th instant is the inverse distribution at quantile (i + 0.5) / count, so the
        instants come out sorted and the same on every run.
        """
        edges = [0.0, *accumulate(self.shares)]
        hour_s = span_s / HOURS
        out = []
        for i in range(count):
            q = (i + 0.5) / count
            hour = min(bisect_right(edges, q) - 1, HOURS - 1)
            within = (q - edges[hour]) / self.shares[hour] if self.shares[hour] else 0.0
            out.append((hour + within) * hour_s)
        return out


#: Harvest and field records from dawn, a second swell as packing houses work the afternoon.
WRITE_CURVE = DailyCurve(
    "writes",
    (0.2, 0.2, 0.2, 0.3, 0.8, 2.0, 3.0, 3.2, 2.8, 2.2, 1.6, 1.2,
     1.0, 1.2, 1.5, 1.6, 1.4, 1.0, 0.6, 0.4, 0.3, 0.2, 0.2, 0.2),
)  # fmt: skip
#: Shoppers: morning market, lunch, and the evening peak at markets and supermarkets.
SCAN_CURVE = DailyCurve(
    "scans",
    (0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 1.0, 1.3, 1.0, 0.8, 0.9, 1.1,
     1.0, 0.8, 0.7, 0.9, 1.4, 2.2, 2.8, 2.5, 1.6, 0.8, 0.4, 0.2),
)  # fmt: skip


@dataclass(frozen=True)
class StepKind:
    """One request of a lot's life: who sends it and how many events it records."""

    name: str
    actor: str  # "cooperative" or "packer"
    events: int
    milestone: bool = False  # a transaction of its own on chain


HARVEST = StepKind("harvest lot", "cooperative", 1, milestone=True)
EVENT = StepKind("single event", "cooperative", 1)
FIELD_BATCH = StepKind("field-app batch of 6", "cooperative", 6)
TRANSFER = StepKind("transfer to packer", "cooperative", 1, milestone=True)
RECEIVE = StepKind("receive", "packer", 1)
SPLIT = StepKind("split in two", "packer", 3)  # one event on the parent, one on each child
PACKING = StepKind("packing event", "packer", 1)

LOT_STEPS: tuple[StepKind, ...] = (
    HARVEST, *[EVENT] * 6, FIELD_BATCH, TRANSFER, RECEIVE, SPLIT, PACKING, PACKING,
)  # fmt: skip
EVENTS_PER_LOT = sum(step.events for step in LOT_STEPS)
MILESTONES_PER_LOT = sum(1 for step in LOT_STEPS if step.milestone)


@dataclass(frozen=True)
class Step:
    """The ``index``-th request of lot ``lot``, due ``at`` seconds after the day starts."""

    at: float
    lot: int
    index: int

    @property
    def kind(self) -> StepKind:
        return LOT_STEPS[self.index]


def lots_for(events: int) -> int:
    """Harvest lots whose lives make about ``events`` events (at least one)."""
    return max(1, round(events / EVENTS_PER_LOT))


def plan_writes(lots: int, day_seconds: float, writers: int, seed: int = 1) -> list[list[Step]]:
    """Every lot's requests on the write curve, dealt to ``writers`` threads.

    All requests of the day get their instants from the curve; shuffled (seeded) and cut into
    one group per lot, each group sorted, so a lot's steps come in order while the day as a
    whole keeps the curve. A lot belongs to one thread, which sends its steps one after the
    other: the order a lot's life needs is kept without locks.
    """
    per_lot = len(LOT_STEPS)
    instants = WRITE_CURVE.times(lots * per_lot, day_seconds)
    random.Random(seed).shuffle(instants)  # noqa: S311 (a repeatable plan, not a secret)
    plans: list[list[Step]] = [[] for _ in range(writers)]
    for lot in range(lots):
        mine = sorted(instants[lot * per_lot : (lot + 1) * per_lot])
        plans[lot % writers].extend(Step(at, lot, i) for i, at in enumerate(mine))
    for plan in plans:
        plan.sort(key=lambda step: step.at)
    return plans


@dataclass(frozen=True)
class Scale:
    """How a run relates to the province day it stands for."""

    day_fraction: float
    day_seconds: float
    cooperatives: int
    packers: int
    scans_per_day: int

    @property
    def events(self) -> int:
        return lots_for(round(self.day_fraction * EVENTS_PER_DAY)) * EVENTS_PER_LOT

    @property
    def scans(self) -> int:
        return max(1, round(self.day_fraction * self.scans_per_day))

    @property
    def orgs_stood_for(self) -> float:
        """Province organisations each sampled organisation stands for."""
        return (PROVINCE_COOPERATIVES + PROVINCE_PACKERS) / (self.cooperatives + self.packers)

    @property
    def org_day_share(self) -> float:
        """A sampled organisation's load in the run over one real organisation's daily load:
        1 means each sampled organisation writes what one province organisation does a day."""
        return self.day_fraction * self.orgs_stood_for

    @property
    def rate_factor(self) -> float:
        """The run's rates over the real day's at the same hour (volume over time squeeze)."""
        return self.day_fraction * SECONDS_PER_DAY / self.day_seconds

    def per_day(self, measured: float) -> float:
        """A count measured in the run, scaled to the whole simulated day."""
        return measured / self.day_fraction


def batches_per_second(rate: float, *, max_events: int, max_delay_s: float, poll_s: float) -> float:
    """Anchors a second at a steady ``rate`` of events a second.

    A batch is built when it is full (``max_events``) or its oldest event has waited
    ``max_delay_s`` (``services.anchoring.batching.is_due``), seen at the worker's next poll:
    after a batch, the next event comes in about ``1/rate``, then waits the delay and half a
    poll. Whichever trigger fires more often sets the pace.
    """
    if rate <= 0:
        return 0.0
    by_size = rate / max_events
    by_delay = 1.0 / (1.0 / rate + max_delay_s + poll_s / 2)
    return max(by_size, by_delay)


def anchors_for_day(
    events: float, span_s: float, *, max_events: int, max_delay_s: float, poll_s: float
) -> float:
    """Anchors over a day of ``events`` on the write curve lasting ``span_s`` seconds."""
    hour_s = span_s / HOURS
    return sum(
        hour_s
        * batches_per_second(
            events * share / hour_s, max_events=max_events, max_delay_s=max_delay_s, poll_s=poll_s
        )
        for share in WRITE_CURVE.shares
    )
