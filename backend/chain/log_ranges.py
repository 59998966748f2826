"""Log queries in bounded block ranges: nodes and providers cap what one ``eth_getLogs`` covers.

Public providers refuse a log query wider than a few thousand blocks, Besu refuses one wider
than ``--rpc-max-logs-range`` (1,000 by default), and some cap the number of results instead.
A query from a registry's deployment block (or block 0) to ``latest`` therefore fails on any
chain that has lived a while, and with it every confirmation and verification that needs a log.
So every log query goes through :class:`LogRanges`: ``[first, last]`` is read oldest first in
chunks of at most ``SENTRACE_RPC_MAX_LOG_RANGE`` blocks; a chunk the node refuses as too wide
(:func:`is_range_limit`) is halved, never below one block, and the narrower span is kept for
later queries to the same node, since a node's cap does not change while it runs.

What keeps repeated queries short:

* a scan for the first occurrence of something stops at the first chunk that holds it;
* :class:`LogCursors` keeps, per query, how far the last scan got and what it found, guarded by
  the hash of the last block it covered: the next scan reads only the blocks after that one,
  unless that block was reorganised away, in which case the query starts again from its first
  block (:func:`scan_since`);
* :func:`blocks_at_time` finds the blocks of a given timestamp by bisection (block times never
  decrease), so a log whose block time is known (the registry stores each anchor's) is read
  from those few blocks instead of the whole chain.

The module knows nothing of the registry; :mod:`backend.chain.registry_logs` applies it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import requests
from web3.exceptions import Web3RPCError

logger = logging.getLogger(__name__)

#: ``SENTRACE_RPC_MAX_LOG_RANGE``'s default: Besu's default cap, and within every public
#: provider's limit we know of.
DEFAULT_MAX_LOG_RANGE = 1000
#: Queries whose cursors one client keeps (least recently used dropped first).
DEFAULT_CURSORS = 4096

#: JSON-RPC error codes a too-wide log query is answered with: -32005 "limit exceeded" (EIP-1474;
#: Besu, Infura, Erigon), -32602 invalid params (Infura, reth, Alchemy), -32600 invalid request
#: (Alchemy, some gateways), -32614 (QuickNode), -32000/-32001 server errors (geth forks).
RANGE_ERROR_CODES = frozenset({-32000, -32001, -32005, -32600, -32602, -32614})
#: Words of those answers ("Requested range exceeds maximum RPC range limit", "query returned
#: more than 10000 results", "Log response size exceeded", "block range is too wide").
_RANGE_WORDS = ("range", "more than", "results", "too many blocks", "too many logs", "size")
#: Words of answers with the same codes that a narrower query would not cure: rate limits
#: (also -32005), malformed queries, Besu's batch-size cap.
_OTHER_WORDS = (
    "rate limit",
    "rate-limit",
    "ratelimit",
    "request rate",
    "too many requests",
    "per second",
    "capacity",
    "quota",
    "credits",
    "compute units",
    "invalid block range",
    "out of range",
    "batch size",
)

T = TypeVar("T")
#: Reads the logs of blocks ``[first, last]`` (both included) from the node.
Fetch = Callable[[int, int], Sequence[T]]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from (a provider may wrap the node's answer)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _error_object(exc: BaseException) -> object:
    """The JSON-RPC ``error`` object ``exc`` carries, if any."""
    if isinstance(exc, Web3RPCError):
        response = exc.rpc_response
        return response.get("error") if isinstance(response, dict) else None
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        # Some providers answer HTTP 400 with the JSON-RPC error in the body; web3 raises on
        # the status before reading it.
        try:
            body = exc.response.json()
        except ValueError:
            return None
        return body.get("error") if isinstance(body, dict) else None
    if exc.args and isinstance(exc.args[0], dict):  # older providers raise ValueError(error)
        return exc.args[0]
    return None


def rpc_error(exc: BaseException) -> tuple[int | None, str] | None:
    """``(code, message)`` of the JSON-RPC error behind ``exc``, or None when it is not one."""
    for current in _causes(exc):
        error = _error_object(current)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            code = error.get("code")
            return (code if isinstance(code, int) else None), error["message"]
    return None


def is_range_limit(exc: BaseException) -> bool:
    """Whether the node refused a log query for covering too many blocks or logs.

    Told by code and message together: -32005 also means "rate limited", which a narrower
    query would not cure, and a message alone could come from anything.
    """
    found = rpc_error(exc)
    if found is None:
        return False
    code, message = found
    text = message.lower()
    if code not in RANGE_ERROR_CODES or any(word in text for word in _OTHER_WORDS):
        return False
    return any(word in text for word in _RANGE_WORDS)


@dataclass(frozen=True)
class Scan(Generic[T]):
    """What a scan found, and the last block it covered (below ``last`` when it stopped early
    at what it looked for)."""

    logs: list[T]
    last_block: int


class LogRanges:
    """One node's limit on log queries: the configured span, narrowed by the node's refusals."""

    def __init__(self, max_range: int = DEFAULT_MAX_LOG_RANGE) -> None:
        if max_range < 1:
            raise ValueError("the maximum log range is at least one block")
        self.max_range = max_range
        self._span = max_range
        self._lock = threading.Lock()

    @property
    def span(self) -> int:
        """Blocks per query now: the configured maximum, or less once the node refused it."""
        return self._span

    def scan(self, fetch: Fetch[T], first: int, last: int, *, until_found: bool = False) -> Scan[T]:
        """The logs of blocks ``[first, last]``, oldest chunk first.

        ``until_found`` stops after the first chunk that holds a log (its logs are the earliest
        ones). A refusal that is not a range limit, or one for a single block, is raised as the
        node gave it (callers run this inside ``translate_errors``).
        """
        found: list[T] = []
        start = max(0, first)
        while start <= last:
            end = min(last, start + self._span - 1)
            try:
                chunk = list(fetch(start, end))
            except Exception as exc:
                if end == start or not is_range_limit(exc):
                    raise
                self._narrow(end - start + 1, exc)
                continue
            found.extend(chunk)
            start = end + 1
            if until_found and chunk:
                break
        return Scan(found, start - 1)

    def _narrow(self, refused: int, exc: BaseException) -> None:
        """Halve the span below a refused width (``refused`` blocks), at least one block."""
        narrower = max(1, refused // 2)
        with self._lock:
            if narrower >= self._span:
                return  # another thread narrowed it already
            self._span = narrower
        found = rpc_error(exc)
        logger.warning(
            "node refused logs of %d blocks (%s); asking for %d blocks at a time",
            refused,
            found[1] if found else exc,
            narrower,
        )


@dataclass(frozen=True)
class Cursor:
    """How far a query got: blocks ``[start, next_block)`` were read and gave ``logs``, and
    ``guard`` was the hash of block ``next_block - 1`` before they were read."""

    start: int
    next_block: int
    guard: bytes
    logs: tuple[Any, ...]


class LogCursors:
    """Cursors of queries by key, least recently used dropped first; safe across threads."""

    def __init__(self, capacity: int = DEFAULT_CURSORS) -> None:
        self._capacity = capacity
        self._cursors: OrderedDict[Hashable, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Cursor | None:
        with self._lock:
            cursor = self._cursors.get(key)
            if cursor is not None:
                self._cursors.move_to_end(key)
            return cursor

    def put(self, key: Hashable, cursor: Cursor) -> None:
        with self._lock:
            self._cursors[key] = cursor
            self._cursors.move_to_end(key)
            while len(self._cursors) > self._capacity:
                self._cursors.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()


def scan_since(
    ranges: LogRanges,
    cursors: LogCursors,
    key: Hashable,
    fetch: Fetch[T],
    *,
    start: int,
    head: tuple[int, bytes],
    block_hash: Callable[[int], bytes | None],
) -> list[T]:
    """The logs of blocks ``[start, head]``, reading only the blocks after the stored cursor.

    ``head`` is the newest block's number and hash, read before this call. The cursor is used
    when it belongs to the same ``start`` and the block it ends on still has the hash it had
    (``block_hash`` asks the node; None: no such block): a reorganisation below the head, or a
    chain reset, changes that hash, and the query is read again from ``start``. A reorg during
    the scan changes the head's hash, which the next call notices the same way.
    """
    number, head_hash = head
    if number < start:
        return []
    cursor = cursors.get(key)
    first, kept = start, []
    if (
        cursor is not None
        and cursor.start == start
        and start < cursor.next_block <= number + 1
        and block_hash(cursor.next_block - 1) == cursor.guard
    ):
        first, kept = cursor.next_block, list(cursor.logs)
    logs = kept + ranges.scan(fetch, first, number).logs
    cursors.put(key, Cursor(start, number + 1, head_hash, tuple(logs)))
    return logs


def blocks_at_time(
    timestamp_of: Callable[[int], int], first: int, last: int, when: int
) -> tuple[int, int] | None:
    """The first and last block in ``[first, last]`` whose timestamp is ``when``, or None.

    Block timestamps never decrease, so two bisections find them: about 2·log2(blocks) reads
    of one block header each, against one log query per ``span`` blocks for a full scan.
    """
    seen: dict[int, int] = {}

    def stamp(number: int) -> int:
        if number not in seen:
            seen[number] = timestamp_of(number)
        return seen[number]

    def first_at_or_after(low: int, high: int, moment: int) -> int:
        """The lowest block in ``[low, high]`` stamped ``moment`` or later (``high + 1``: none)."""
        while low <= high:
            middle = (low + high) // 2
            if stamp(middle) >= moment:
                high = middle - 1
            else:
                low = middle + 1
        return low

    start = first_at_or_after(first, last, when)
    if start > last or stamp(start) != when:
        return None
    return start, first_at_or_after(start, last, when + 1) - 1
