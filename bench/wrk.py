"""Closed-loop HTTP load from ``wrk`` (C, Debian package), for endpoints cheaper than a client.

Why not the async httpx loop of :mod:`bench.load`: on this two-core machine that client spends
~2.9 ms of CPU per request, more than a bare FastAPI endpoint (~0.3–0.8 ms), so it takes a core
from the server and its own overhead becomes the latency it reports. wrk spends tens of
microseconds per request.

How a run is set up, and why:

* One wrk thread per connection (``-t N -c N``). wrk's own latency histogram is corrected for
  coordinated omission (it adds synthetic samples for every slow answer, which in a closed loop
  nearly doubled p99 in a trial), and wrk 4.1's Lua cannot tell which connection an answer
  belongs to when a thread holds several. With one connection per thread, ``request()`` and
  ``response()`` in Lua pair up, so every request's own latency (from writing it to its last
  body byte, like :mod:`bench.load`) is recorded as it happened. The price is CPU: 50–140 µs
  per request in the bench (the most at low rates, where each thread's timer weighs more)
  instead of ~35 µs for one thread, still a twentieth or less of the httpx client.
  The wrk process's CPU time is measured and reported (:attr:`WrkResult.client_cpu_seconds`).
* Every answer's status is counted in Lua (wrk itself only counts statuses above 399), and a
  status outside ``expect`` or any socket error raises :class:`UnexpectedAnswers`: a benchmark
  that counts refusals as throughput is lying.
* A warm-up run (not counted, same requests) opens connections and wakes caches first;
  ``on_start`` is then called right before the measured run (the caller reads the server's CPU
  clock there), as with :func:`bench.load.run_load`.
* Runs are bounded by time only (wrk takes whole seconds; ``seconds`` is rounded up).

Requests per connection (:class:`WrkRequests`): connection ``i`` sends to
``paths[i % len(paths)]``, so ``len(paths) == connections`` gives every client its own
resource (the ingest bench posts each client's events to its own lot). Bodies, if any, are
numbered over the whole run: request number ``n`` sends ``bodies[n % len(bodies)]`` with every
``{{n}}`` in it replaced by ``n``, and no two requests of a run (warm-up included) share a
number, so every event posted is different. Example, 16 clients each posting to its own lot::

    bodies = [json.dumps(event_body(i), ensure_ascii=False) for i in range(600)]
    result = run_wrk(
        server.url,
        WrkRequests.post([f"/api/v1/lots/{code}/events" for code in codes], bodies),
        connections=16,
        seconds=8,
        headers=coop.headers,
        expect=frozenset({201}),
    )
    result.rps, result.p(99), result.requests  # events/s, ms, events accepted

Error tree: :class:`WrkError` ├── :class:`WrkFailed` (wrk did not run or reported nonsense)
└── :class:`UnexpectedAnswers` (a status outside ``expect``, or socket errors). A missing
``wrk`` binary raises :class:`bench.chain.ComponentMissing`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.chain import ComponentMissing
from bench.load import LoadResult

#: Replaced in a body by the request's number within the run.
COUNTER = "{{n}}"
#: One wrk thread per connection; more than this is not a load this machine can answer.
MAX_CONNECTIONS = 256
DEFAULT_WARMUP_S = 1.0
#: wrk's per-request timeout; an answer slower than this is a socket error (and fails the run).
DEFAULT_TIMEOUT_S = 10.0
#: How long past its duration wrk may take to stop and report before it is killed.
EXIT_GRACE_S = 30.0
INSTALL_HINT = "install the Debian package `wrk` (scripts/install_system_deps.sh)"


class WrkError(RuntimeError):
    """Root of the errors of a wrk run."""


class WrkFailed(WrkError):
    """wrk exited with an error, was killed after overrunning, or wrote no usable report."""


class UnexpectedAnswers(WrkError):
    """The server answered with a status outside ``expect``, or connections failed."""


@dataclass(frozen=True)
class WrkRequests:
    """What each connection sends (see the module docstring for paths, bodies and ``{{n}}``)."""

    paths: tuple[str, ...]
    method: str = "GET"
    bodies: tuple[str, ...] = ()
    content_type: str = "application/json"

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("at least one path is needed")
        for path in self.paths:
            if not path.startswith("/") or any(ch.isspace() for ch in path):
                raise ValueError(f"not a request path: {path!r}")
        if any("\n" in body or "\r" in body for body in self.bodies):
            raise ValueError("bodies travel one per line to wrk: no line breaks inside a body")

    @classmethod
    def get(cls, path: str) -> WrkRequests:
        """The same GET for every request."""
        return cls(paths=(path,))

    @classmethod
    def post(
        cls, paths: Sequence[str], bodies: Sequence[str], content_type: str = "application/json"
    ) -> WrkRequests:
        """POSTs of ``bodies`` (numbered over the run), connection ``i`` to ``paths[i % len]``."""
        if not bodies:
            raise ValueError("a POST run needs at least one body")
        return cls(
            paths=tuple(paths), method="POST", bodies=tuple(bodies), content_type=content_type
        )


@dataclass
class WrkResult(LoadResult):
    """A :class:`bench.load.LoadResult` (``requests``, ``rps``, ``p(q)`` in ms, ``statuses``,
    ``ok(expected)``, ``transport_errors``, ``seconds``) plus what the load generator cost."""

    client_cpu_seconds: float = 0.0
    connections: int = 0
    #: The number the next run's first request may use (keeps warm-up and run bodies apart).
    next_number: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def client_cpu_us_per_request(self) -> float:
        return 1e6 * self.client_cpu_seconds / max(1, self.requests)


def wrk_binary() -> Path:
    """The ``wrk`` executable on PATH, or :class:`ComponentMissing`."""
    found = shutil.which("wrk")
    if found is None:
        raise ComponentMissing(f"wrk not found on PATH; {INSTALL_HINT}")
    return Path(found)


def run_wrk(
    base_url: str,
    requests: WrkRequests,
    *,
    connections: int,
    seconds: float,
    headers: Mapping[str, str] | None = None,
    expect: frozenset[int] = frozenset({200}),
    warmup_seconds: float = DEFAULT_WARMUP_S,
    on_start: Callable[[], None] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> WrkResult:
    """A warm-up run, ``on_start()``, then the measured run of ``connections`` closed loops.

    Both runs must answer only with statuses in ``expect`` and without socket errors, else
    :class:`UnexpectedAnswers`. Returns the measured run.
    """
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise ValueError(f"connections must be 1…{MAX_CONNECTIONS}, not {connections}")
    binary = wrk_binary()
    with tempfile.TemporaryDirectory(prefix="sentrace-wrk-") as work:
        plan = _Plan(binary, base_url.rstrip("/"), requests, connections, headers or {}, timeout_s)
        next_number = 0
        if warmup_seconds > 0:
            warm = plan.run(Path(work) / "warmup", warmup_seconds, first_number=0)
            _check(warm, expect, "warm-up")
            next_number = warm.next_number
        if on_start is not None:
            on_start()
        result = plan.run(Path(work) / "run", seconds, first_number=next_number)
        _check(result, expect, "run")
        return result


def _check(result: WrkResult, expect: frozenset[int], phase: str) -> None:
    unexpected = {status: n for status, n in result.statuses.items() if status not in expect}
    if unexpected or result.transport_errors:
        raise UnexpectedAnswers(
            f"wrk {phase}: {sum(unexpected.values())} answers outside {sorted(expect)} "
            f"(statuses {dict(sorted(result.statuses.items()))}), "
            f"{result.transport_errors} socket errors {result.errors}"
        )


@dataclass(frozen=True)
class _Plan:
    """Everything about a wrk invocation except its duration and first request number."""

    binary: Path
    base_url: str
    requests: WrkRequests
    connections: int
    headers: Mapping[str, str]
    timeout_s: float

    def argv(self, script: Path, seconds: float) -> list[str]:
        headers = dict(self.headers)
        if self.requests.bodies and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = self.requests.content_type
        argv = [
            str(self.binary),
            f"--threads={self.connections}",
            f"--connections={self.connections}",
            f"--duration={whole_seconds(seconds)}s",
            f"--timeout={whole_seconds(self.timeout_s)}s",
            f"--script={script}",
        ]
        for name, value in headers.items():
            if any(ch in name + value for ch in "\r\n") or ":" in name:
                raise ValueError(f"header not fit for a request: {name!r}")
            argv.append(f"--header={name}: {value}")
        return [*argv, self.base_url]

    def run(self, work: Path, seconds: float, *, first_number: int) -> WrkResult:
        work.mkdir()
        report = work / "report.json"
        bodies = None
        if self.requests.bodies:
            bodies = work / "bodies.txt"
            bodies.write_text("".join(f"{b}\n" for b in self.requests.bodies), encoding="utf-8")
        script = work / "script.lua"
        script.write_text(
            lua_script(self.requests, self.connections, first_number, bodies, report),
            encoding="utf-8",
        )
        finished = _run_process(self.argv(script, seconds), work, seconds + EXIT_GRACE_S)
        if finished.returncode != 0 or not report.exists():
            raise WrkFailed(
                f"wrk exited with {finished.returncode} and "
                f"{'a' if report.exists() else 'no'} report: {finished.output_tail()}"
            )
        return _result(json.loads(report.read_text(encoding="utf-8")), finished, self.connections)


def whole_seconds(seconds: float) -> int:
    """wrk reads durations in whole seconds: round up, at least one."""
    return max(1, math.ceil(seconds))


@dataclass(frozen=True)
class _Finished:
    returncode: int
    cpu_seconds: float
    stdout: Path
    stderr: Path

    def output_tail(self) -> str:
        text = [p.read_text(encoding="utf-8", errors="replace") for p in (self.stdout, self.stderr)]
        return "\n".join(t.strip() for t in text if t.strip())[-2000:]


def _run_process(argv: list[str], work: Path, limit_s: float) -> _Finished:
    """Run wrk to its end and read its own CPU time from ``wait4`` (exact, this child only)."""
    stdout, stderr = work / "stdout.txt", work / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    killer = threading.Timer(limit_s, process.kill)
    killer.start()
    try:
        _pid, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return _Finished(process.returncode, usage.ru_utime + usage.ru_stime, stdout, stderr)


def _result(report: dict[str, Any], finished: _Finished, connections: int) -> WrkResult:
    latencies = [float(us) / 1e6 for us in report["latencies_us"]]
    statuses: Counter[int] = Counter(
        {int(status): int(n) for status, n in report["statuses"].items()}
    )
    errors = {name: int(n) for name, n in report["errors"].items()}
    completed = int(report["requests"])
    if len(latencies) != completed or statuses.total() != completed:
        raise WrkFailed(
            f"wrk completed {completed} requests but Lua saw {len(latencies)} latencies and "
            f"{statuses.total()} statuses"
        )
    high = sum(n for status, n in statuses.items() if status > 399)
    if high != errors.get("status", 0):
        raise WrkFailed(f"wrk counted {errors.get('status')} statuses > 399, Lua {high}")
    return WrkResult(
        seconds=float(report["duration_us"]) / 1e6,
        latencies=latencies,
        statuses=statuses,
        transport_errors=sum(n for name, n in errors.items() if name != "status"),
        client_cpu_seconds=finished.cpu_seconds,
        connections=connections,
        next_number=int(report["next_number"]),
        errors=errors,
    )


# -------------------------------------------------------------------------------- the script


def lua_string(text: str) -> str:
    """``text`` as a Lua string literal: printable ASCII as is, every other byte ``\\ddd``."""
    out = []
    for byte in text.encode("utf-8"):
        if 32 <= byte < 127 and byte not in (ord('"'), ord("\\")):
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_script(
    requests: WrkRequests,
    connections: int,
    first_number: int,
    bodies: Path | None,
    report: Path,
) -> str:
    """The run's settings as Lua constants, followed by :data:`LUA_BODY`."""
    paths = ", ".join(lua_string(p) for p in requests.paths)
    has_counter = any(COUNTER in body for body in requests.bodies)
    settings = [
        f"local METHOD = {lua_string(requests.method)}",
        f"local PATHS = {{{paths}}}",
        f"local BODIES_FILE = {lua_string(str(bodies)) if bodies else 'nil'}",
        f"local HAS_COUNTER = {'true' if has_counter else 'false'}",
        f"local COUNTER = {lua_string(COUNTER)}",
        f"local CONNECTIONS = {connections}",
        f"local FIRST_NUMBER = {first_number}",
        f"local REPORT_FILE = {lua_string(str(report))}",
    ]
    return "\n".join(["-- Generated by bench/wrk.py for one wrk run.", *settings, LUA_BODY])


#: Runs in every thread's Lua state and in the main state (setup and done). Globals that the
#: main state reads back through ``thread:get`` are ``latencies``, ``statuses`` and ``sent``.
LUA_BODY = r"""
local ffi = require("ffi")
ffi.cdef[[
struct sentrace_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock_id, struct sentrace_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("struct sentrace_timespec")

local function micros()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

-- main state ---------------------------------------------------------------------------------
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

-- every thread: one connection, so request() and response() alternate ---------------------
latencies = {}
statuses = {}
sent = 0
local path, bodies, fixed, started

function init(args)
  path = PATHS[(index % #PATHS) + 1]
  if BODIES_FILE then
    bodies = {}
    for line in io.lines(BODIES_FILE) do
      bodies[#bodies + 1] = line
    end
  else
    fixed = wrk.format(METHOD, path)
  end
end

function request()
  local number = FIRST_NUMBER + sent * CONNECTIONS + index
  sent = sent + 1
  local text = fixed
  if bodies then
    local body = bodies[(number % #bodies) + 1]
    if HAS_COUNTER then
      body = (string.gsub(body, COUNTER, tostring(number)))
    end
    text = wrk.format(METHOD, path, nil, body)
  end
  started = micros()
  return text
end

function response(status, headers, body)
  latencies[#latencies + 1] = micros() - started
  statuses[status] = (statuses[status] or 0) + 1
end

-- main state, after the run --------------------------------------------------------------
function done(summary, latency, requests)
  local out = assert(io.open(REPORT_FILE, "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "status": %d}, ',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status))
  local merged, most = {}, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + n
    end
    most = math.max(most, thread:get("sent"))
  end
  local parts = {}
  for status, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%d": %d', status, n)
  end
  out:write('"statuses": {' .. table.concat(parts, ", ") .. '}, ')
  out:write(string.format('"next_number": %d, ', FIRST_NUMBER + (most + 1) * CONNECTIONS))
  out:write('"latencies_us": [')
  local first = true
  for _, thread in ipairs(threads) do
    for _, us in ipairs(thread:get("latencies")) do
      out:write(first and "" or ",", string.format("%.1f", us))
      first = false
    end
  end
  out:write("]}\n")
  out:close()
end
"""
