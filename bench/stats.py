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


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from ``/proc/<pid>/stat``.

    Server CPU per request does not depend on how fast the load generator is or on what other
    processes share the cores, so it is reported beside requests per second.
    """
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the line)
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, their children, ...), from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])  # ppid (field 4)
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    queue = list(children.get(pid, []))
    while queue:
        child = queue.pop()
        found.append(child)
        queue.extend(children.get(child, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and all its descendants: what a multi-process server costs.

    ``sentrace serve --workers N`` serves from N children of the process the bench started, so
    the parent's own time alone would miss almost all of it. Each process counts its own time
    plus that of children it has already reaped (``cutime``, ``cstime``), so a worker that
    died and was replaced during a run still counts, and the total never goes down.
    """
    ticks = 0
    for member in [pid, *descendants(pid)]:
        try:
            fields = _stat_fields(member)
        except OSError:
            if member == pid:
                raise
            continue  # a descendant that ended since the scan: its parent's cutime has it
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
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
