"""A hostile JSON-RPC proxy in front of a real node: what public providers and consortium
nodes do to a client that a local anvil never does.

:class:`RpcProxy` forwards every JSON-RPC request (single or batch) to the node behind it, and
lets a test put rules in the way. A rule sees each request, with a way to forward it, and either
answers it itself (an error, say) or returns None to let the next rule, and finally the node,
answer. A rule may also raise :class:`DropConnection` (the connection closes with no answer, as
a load balancer's timeout does) or :class:`HttpStatus` (an HTTP error such as 429). Rules are
plain callables, so tests add their own without changing the proxy. These come with it:

* :class:`LogRangeCap` refuses ``eth_getLogs`` over more than N blocks as Besu does
  (``--rpc-max-logs-range``, 1,000 by default);
* :class:`Refuse` answers every call of one method with an error while it is ``enabled``;
* :class:`TimeoutAfterForward` hands some ``eth_sendRawTransaction`` calls to the node, then
  drops the connection instead of answering: the client cannot know the node has it;
* :class:`RandomRateLimit` refuses calls at random as a provider's rate limit does (JSON-RPC
  -32005 or HTTP 429), from a seeded generator so a failing run can be replayed;
* :class:`WithholdFromPool` answers some ``eth_sendRawTransaction`` calls with the hash but
  hands the transaction to the node only seconds later: meanwhile the node has never heard of
  it, as when a provider's load balancer sends the next query to a node the transaction has not
  reached yet.

The proxy counts the calls it saw per method (``calls``), so tests can assert what a client
asked for, and what it did not.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx
from eth_utils import keccak

Request = dict[str, Any]
Answer = dict[str, Any]
#: Sends a request to the node behind the proxy and returns its answer.
Forward = Callable[[Request], Answer]
#: Sees a request; returns the answer to give instead of the node's, or None to pass it on.
Rule = Callable[[Request, Forward], Answer | None]

#: Besu's answer to a log query over more blocks than ``--rpc-max-logs-range`` allows.
BESU_RANGE_CODE = -32005
BESU_RANGE_MESSAGE = "Requested range exceeds maximum RPC range limit"


class DropConnection(Exception):
    """Raised by a rule: close the connection without answering."""


class HttpStatus(Exception):
    """Raised by a rule: answer with this HTTP status (and a JSON-RPC error body)."""

    def __init__(self, status: int, body: Answer) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def error_answer(request: Request, code: int, message: str) -> Answer:
    """A JSON-RPC error answer to ``request``."""
    return {
        "jsonrpc": "2.0",
        "id": request.get("id"),
        "error": {"code": code, "message": message},
    }


class RpcProxy:
    """Forwards JSON-RPC over HTTP from ``url`` to ``upstream``, through ``rules`` in order."""

    def __init__(self, upstream: str, rules: Iterable[Rule] = ()) -> None:
        self.upstream = upstream
        self.rules: list[Rule] = list(rules)
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="rpc-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RpcProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def __enter__(self) -> RpcProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def forward(self, request: Request) -> Answer:
        """``request`` as the node behind the proxy answers it, with no rule in the way."""
        answer: Answer = self._client.post(self.upstream, json=request).json()
        return answer

    def answer(self, request: Request) -> Answer:
        """``request`` answered by the first rule that takes it, else by the node."""
        with self._lock:
            self.calls[str(request.get("method"))] += 1
        for rule in list(self.rules):
            taken = rule(request, self.forward)
            if taken is not None:
                return taken
        return self.forward(request)

    def count(self, method: str) -> int:
        with self._lock:
            return self.calls[method]


def _handler_for(proxy: RpcProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as web3's session expects

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            status = 200
            try:
                if isinstance(body, list):
                    answer: Any = [proxy.answer(request) for request in body]
                else:
                    answer = proxy.answer(body)
            except DropConnection:
                self.close_connection = True  # no status line at all: the client sees a reset
                return
            except HttpStatus as refusal:
                status, answer = refusal.status, refusal.body
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a test's output is not the place for one line per call."""

    return Handler


def _block_number(tag: object, forward: Forward) -> int:
    """A log query's block parameter as a number (tags read from the node's head)."""
    if isinstance(tag, int):
        return tag
    if tag == "earliest":
        return 0
    if isinstance(tag, str) and tag.startswith("0x"):
        return int(tag, 16)
    head = forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})
    return int(head["result"], 16)


class LogRangeCap:
    """Refuses ``eth_getLogs`` over more than ``max_blocks`` blocks, with Besu's error by
    default; keeps every range asked for (``queries``) and the number refused."""

    def __init__(
        self,
        max_blocks: int,
        *,
        code: int = BESU_RANGE_CODE,
        message: str = BESU_RANGE_MESSAGE,
    ) -> None:
        self.max_blocks = max_blocks
        self.code = code
        self.message = message
        self.queries: list[tuple[int, int]] = []
        self.refused = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request, forward: Forward) -> Answer | None:
        if request.get("method") != "eth_getLogs":
            return None
        query = (request.get("params") or [{}])[0]
        if "blockHash" in query:
            return None  # one block
        first = _block_number(query.get("fromBlock", "latest"), forward)
        last = _block_number(query.get("toBlock", "latest"), forward)
        with self._lock:
            self.queries.append((first, last))
            if last - first + 1 <= self.max_blocks:
                return None
            self.refused += 1
        return error_answer(request, self.code, self.message)

    @property
    def widest_answered(self) -> int:
        """The most blocks one answered query covered (0: none answered)."""
        with self._lock:
            spans = [last - first + 1 for first, last in self.queries]
        return max((s for s in spans if s <= self.max_blocks), default=0)


class Refuse:
    """Answers every ``method`` call with an error while ``enabled`` (a node that cannot
    serve it: an internal error, a method turned off)."""

    def __init__(
        self,
        method: str,
        *,
        code: int = -32000,
        message: str = "internal error",
        enabled: bool = True,
    ) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.enabled: bool = enabled

    def __call__(self, request: Request, forward: Forward) -> Answer | None:
        if self.enabled and request.get("method") == self.method:
            return error_answer(request, self.code, self.message)
        return None


def _raw_transaction(request: Request) -> str | None:
    """The signed transaction of an ``eth_sendRawTransaction`` request, else None."""
    if request.get("method") != "eth_sendRawTransaction":
        return None
    params = request.get("params") or []
    return str(params[0]) if params else None


def tx_hash_of(raw: str) -> str:
    """The hash a node gives a signed transaction: keccak of its bytes."""
    return "0x" + keccak(hexstr=raw).hex()


class TimeoutAfterForward:
    """Forwards ``eth_sendRawTransaction`` and then, for a ``fraction`` of them, drops the
    connection (after ``hang_s`` seconds: past the client's HTTP timeout, it reads as a
    timeout). The node has the transaction; the client was never told. ``dropped`` holds the
    hashes of the transactions whose answer was lost."""

    def __init__(self, fraction: float, *, seed: int = 0, hang_s: float = 0.0) -> None:
        self.fraction = fraction
        self.hang_s = hang_s
        self.dropped: list[str] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, request: Request, forward: Forward) -> Answer | None:
        raw = _raw_transaction(request)
        if raw is None:
            return None
        with self._lock:
            unlucky = self._random.random() < self.fraction
        if not unlucky:
            return None
        answer = forward(request)
        with self._lock:
            self.dropped.append(str(answer.get("result") or tx_hash_of(raw)))
        if self.hang_s:
            time.sleep(self.hang_s)
        raise DropConnection


#: Infura's answer once a project goes over its request rate.
RATE_LIMIT_CODE = -32005
RATE_LIMIT_MESSAGE = "project ID request rate exceeded"


class RandomRateLimit:
    """Refuses each call (of ``methods``; None: every method) with ``probability``, as a
    provider's rate limit does: JSON-RPC -32005 in an HTTP 200, or with ``http_429`` an HTTP
    429 carrying the same error. ``limited`` counts refusals per method."""

    def __init__(
        self,
        probability: float,
        *,
        seed: int = 0,
        methods: Iterable[str] | None = None,
        http_429: bool = False,
        message: str = RATE_LIMIT_MESSAGE,
    ) -> None:
        self.probability = probability
        self.methods = frozenset(methods) if methods is not None else None
        self.http_429 = http_429
        self.message = message
        self.enabled = True
        self.limited: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, request: Request, forward: Forward) -> Answer | None:
        method = str(request.get("method"))
        if not self.enabled or (self.methods is not None and method not in self.methods):
            return None
        with self._lock:
            if self._random.random() >= self.probability:
                return None
            self.limited[method] += 1
        answer = error_answer(request, RATE_LIMIT_CODE, self.message)
        if self.http_429:
            raise HttpStatus(429, answer)
        return answer


class WithholdFromPool:
    """Takes a ``fraction`` of ``eth_sendRawTransaction`` calls, answers each with its hash at
    once, and hands it to the node ``delay_s`` seconds later. Until then the node has never
    heard of it (no receipt, no transaction, the account's pending nonce not moved).
    ``withheld`` lists their hashes; ``released`` the node's answers once handed over."""

    def __init__(self, fraction: float, *, delay_s: float, seed: int = 0) -> None:
        self.fraction = fraction
        self.delay_s = delay_s
        self.withheld: list[str] = []
        self.released: list[Answer] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] = []

    def __call__(self, request: Request, forward: Forward) -> Answer | None:
        raw = _raw_transaction(request)
        if raw is None:
            return None
        with self._lock:
            if self._random.random() >= self.fraction:
                return None
            tx_hash = tx_hash_of(raw)
            self.withheld.append(tx_hash)
            timer = threading.Timer(self.delay_s, self._release, args=(request, forward))
            timer.daemon = True
            self._timers.append(timer)
        timer.start()
        return {"jsonrpc": "2.0", "id": request.get("id"), "result": tx_hash}

    def _release(self, request: Request, forward: Forward) -> None:
        answer = forward(request)
        with self._lock:
            self.released.append(answer)

    def wait_released(self, timeout: float) -> bool:
        """Wait until every withheld transaction was handed to the node."""
        deadline = time.monotonic() + timeout
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return len(self.released) == len(self.withheld)
