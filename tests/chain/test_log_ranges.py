"""Bounded log queries: which refusals mean "too wide", and how a scan narrows and resumes.

The algorithm is exercised here on plain functions standing for a node's answers (the answers
are real web3 and requests exceptions, with the messages real nodes and providers send); the
same scans against a real anvil behind a capping proxy are in test_log_ranges_anvil.py.
"""

from __future__ import annotations

import json
import math
from itertools import pairwise

import pytest
import requests
from web3.exceptions import Web3RPCError

from backend.chain.log_ranges import (
    LogCursors,
    LogRanges,
    blocks_at_time,
    is_range_limit,
    rpc_error,
    scan_since,
)


def rpc_exception(code: int, message: str) -> Web3RPCError:
    """What web3 raises for a JSON-RPC error answer."""
    response = {"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message}}
    return Web3RPCError(str(response["error"]), rpc_response=response)  # type: ignore[arg-type]


def http_400(code: int, message: str) -> requests.HTTPError:
    """What requests raises (through web3) for an HTTP 400 carrying a JSON-RPC error."""
    response = requests.Response()
    response.status_code = 400
    response._content = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message}}
    ).encode()
    return requests.HTTPError("400 Client Error: Bad Request", response=response)


RANGE_REFUSALS = [
    (-32005, "Requested range exceeds maximum RPC range limit"),  # Besu
    (-32005, "query returned more than 10000 results. Try with this block range [0x1, 0x2]."),
    (-32602, "range 1000000 exceeds limit of 10000"),  # Infura
    (-32602, "query exceeds max block range 5000"),  # reth
    (-32005, "block range too large, max range: 1000"),  # Erigon
    (
        -32000,
        "block range is larger than max block range, block range = 5120, max block range = 5000",
    ),
    (-32600, "block range too high"),
    (-32614, "eth_getLogs is limited to a 10,000 range"),  # QuickNode
    (
        -32602,
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
    ),
]
OTHER_REFUSALS = [
    (-32005, "rate limit exceeded"),
    (-32005, "Too Many Requests"),
    (-32005, "Number of requests exceeds max batch size"),  # Besu, same code as its range cap
    (-32005, "Transaction gas limit exceeds block gas limit"),
    (-32000, "header not found"),
    (-32602, "invalid block range params"),
    (3, "execution reverted"),
    (-32601, "the method eth_getLogs does not exist/is not available in range"),
]


@pytest.mark.parametrize(("code", "message"), RANGE_REFUSALS)
def test_a_range_refusal_is_told_by_code_and_message(code: int, message: str) -> None:
    assert is_range_limit(rpc_exception(code, message))
    assert is_range_limit(http_400(code, message))


@pytest.mark.parametrize(("code", "message"), OTHER_REFUSALS)
def test_other_refusals_are_not_range_limits(code: int, message: str) -> None:
    assert not is_range_limit(rpc_exception(code, message))


def test_errors_without_a_json_rpc_answer_are_not_range_limits() -> None:
    assert not is_range_limit(requests.ConnectionError("Connection refused"))
    assert not is_range_limit(TimeoutError("timed out"))
    assert rpc_error(ValueError({"code": -32005, "message": "block range too large"})) == (
        -32005,
        "block range too large",
    )


class CappedNode:
    """Logs at given blocks, refusing queries over ``cap`` blocks the way Besu does."""

    def __init__(self, logs_at: list[int], cap: int) -> None:
        self.logs_at = logs_at
        self.cap = cap
        self.asked: list[tuple[int, int]] = []

    def __call__(self, first: int, last: int) -> list[int]:
        self.asked.append((first, last))
        if last - first + 1 > self.cap:
            raise rpc_exception(-32005, "Requested range exceeds maximum RPC range limit")
        return [block for block in self.logs_at if first <= block <= last]


def test_a_refused_range_is_halved_and_the_narrower_span_kept() -> None:
    node = CappedNode([0, 99, 100, 2_500, 4_999], cap=100)
    ranges = LogRanges(1000)

    assert ranges.scan(node, 0, 4_999).logs == [0, 99, 100, 2_500, 4_999]
    refused = [q for q in node.asked if q[1] - q[0] + 1 > 100]
    assert [q[1] - q[0] + 1 for q in refused] == [1000, 500, 250, 125]
    assert ranges.span == 62
    answered = [q for q in node.asked if q not in refused]
    assert answered[0][0] == 0 and answered[-1][1] == 4_999
    assert all(b[0] == a[1] + 1 for a, b in pairwise(answered))

    node.asked.clear()
    assert ranges.scan(node, 0, 4_999).logs == [0, 99, 100, 2_500, 4_999]
    assert all(last - first + 1 <= 62 for first, last in node.asked)  # nothing refused again
    assert len(node.asked) == math.ceil(5_000 / 62)


def test_a_node_that_refuses_even_one_block_is_not_asked_for_less() -> None:
    node = CappedNode([3], cap=0)
    with pytest.raises(Web3RPCError):
        LogRanges(8).scan(node, 0, 7)
    assert [last - first + 1 for first, last in node.asked] == [8, 4, 2, 1]


def test_a_refusal_that_is_not_a_range_limit_is_raised_at_once() -> None:
    def down(first: int, last: int) -> list[int]:
        raise rpc_exception(-32005, "rate limit exceeded")

    ranges = LogRanges(1000)
    with pytest.raises(Web3RPCError, match="rate limit"):
        ranges.scan(down, 0, 10_000)
    assert ranges.span == 1000


def test_a_scan_for_the_first_log_stops_at_its_chunk() -> None:
    node = CappedNode([1_234, 1_250, 1_300, 8_000], cap=10_000)
    scan = LogRanges(100).scan(node, 0, 9_999, until_found=True)
    assert scan.logs == [1_234, 1_250]
    assert scan.last_block == 1_299
    assert len(node.asked) == 13


def test_a_cursor_reads_only_new_blocks_and_starts_again_after_a_reorg() -> None:
    node = CappedNode([5, 150], cap=1000)
    hashes = {n: bytes([n % 256]) * 32 for n in range(400)}
    cursors, ranges = LogCursors(), LogRanges(100)

    def read(head: int) -> list[int]:
        return scan_since(
            ranges,
            cursors,
            "lot",
            node,
            start=0,
            head=(head, hashes[head]),
            block_hash=hashes.get,
        )

    assert read(199) == [5, 150]
    node.asked.clear()
    node.logs_at.append(250)
    assert read(299) == [5, 150, 250]
    assert node.asked == [(200, 299)]

    node.asked.clear()
    assert read(299) == [5, 150, 250]
    assert node.asked == []  # nothing new: the guard block is asked, no logs

    hashes[299] = b"\xff" * 32  # block 299 replaced by a reorg, and with it the log at 150 gone
    node.logs_at.remove(150)
    assert read(299) == [5, 250]
    assert node.asked[0] == (0, 99)


def test_the_blocks_of_a_time_are_found_by_bisection() -> None:
    stamps = [1_000 + n // 3 for n in range(3_000)]  # three blocks a second
    asked: list[int] = []

    def timestamp_of(number: int) -> int:
        asked.append(number)
        return stamps[number]

    assert blocks_at_time(timestamp_of, 0, 2_999, 1_500) == (1_500, 1_502)
    assert len(set(asked)) <= 2 * math.ceil(math.log2(3_000)) + 2
    assert blocks_at_time(timestamp_of, 0, 2_999, 999) is None
    assert blocks_at_time(timestamp_of, 0, 2_999, 5_000) is None
    assert blocks_at_time(timestamp_of, 1_600, 2_999, 1_500) is None  # before the range
    assert blocks_at_time(timestamp_of, 0, 0, 1_000) == (0, 0)
