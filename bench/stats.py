"""Small statistics for benchmark samples: percentiles, rates and CPU time of a process."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from pathlib import Path


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between closest ranks.

    Raises ValueError on no samples: a percentile of nothing would be a made-up figure.
    """
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    if len(ordered) == 1:
        return float(ordered[0])
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    weight = position - low
    return float(ordered[low] * (1 - weight) + ordered[high] * weight)


def rate(count: int, seconds: float) -> float:
    """Items per second; 0 for an empty interval rather than a division error."""
    return count / seconds if seconds > 0 else 0.0


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from ``/proc/<pid>/stat``.

    Server CPU per request does not depend on how fast the load generator is or on what other
    processes share the cores, so it is reported beside requests per second.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the line)
    return ticks / os.sysconf("SC_CLK_TCK")


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds`` (monotonic, high resolution)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
