"""The registry's state remembered per block hash: one read per block and question, and only
for the block it was read at.

A new head (another hash) is read afresh, a failed read is not remembered, only the newest
few blocks of a chain are kept, each block holds a bounded number of answers, and dropping a
chain (its canary block changed) forgets its blocks, as the fact cache's own drop does.
"""

from __future__ import annotations

import pytest

from backend.chain.block_memo import BlockMemo
from backend.chain.errors import ChainUnavailable
from backend.chain.fact_cache import ChainFactCache

CHAIN = ChainFactCache.chain_key(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
OTHER = ChainFactCache.chain_key(31337, "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")


def block(n: int) -> bytes:
    return n.to_bytes(32, "big")


class Reader:
    """Counts the node reads an answer costs."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.reads = 0

    def __call__(self) -> object:
        self.reads += 1
        return self.value


def test_one_read_per_block_and_question() -> None:
    memo = BlockMemo()
    root = Reader(b"root-1")
    assert memo.answer(CHAIN, block(1), "headsRoot", root) == b"root-1"
    assert memo.answer(CHAIN, block(1), "headsRoot", root) == b"root-1"
    assert root.reads == 1
    signer = Reader((1, 0, 3))
    assert memo.answer(CHAIN, block(1), ("signerOf", "0xabc"), signer) == (1, 0, 3)
    assert signer.reads == 1 and len(memo) == 2


def test_a_new_head_is_read_afresh() -> None:
    memo = BlockMemo()
    memo.answer(CHAIN, block(1), "headsRoot", Reader(b"root-1"))
    moved = Reader(b"root-2")
    assert memo.answer(CHAIN, block(2), "headsRoot", moved) == b"root-2"
    assert moved.reads == 1
    # The same question at the same block on another registry is its own answer.
    other = Reader(b"other-root")
    assert memo.answer(OTHER, block(2), "headsRoot", other) == b"other-root"
    assert other.reads == 1


def test_a_failed_read_is_not_remembered() -> None:
    memo = BlockMemo()

    def down() -> object:
        raise ChainUnavailable("node down")

    with pytest.raises(ChainUnavailable):
        memo.answer(CHAIN, block(1), "headsRoot", down)
    later = Reader(b"root-1")
    assert memo.answer(CHAIN, block(1), "headsRoot", later) == b"root-1"
    assert later.reads == 1


def test_only_the_newest_blocks_of_a_chain_are_kept() -> None:
    memo = BlockMemo(blocks_kept=2)
    for n in range(1, 5):
        memo.answer(CHAIN, block(n), "headsRoot", Reader(n))
    memo.answer(OTHER, block(1), "headsRoot", Reader("other"))
    again = Reader(1)
    memo.answer(CHAIN, block(1), "headsRoot", again)
    assert again.reads == 1  # block 1 was forgotten
    kept = Reader(4)
    memo.answer(CHAIN, block(4), "headsRoot", kept)
    assert kept.reads == 0
    other = Reader("other")
    memo.answer(OTHER, block(1), "headsRoot", other)
    assert other.reads == 0  # another chain's blocks are not pushed out


def test_a_block_keeps_a_bounded_number_of_answers() -> None:
    memo = BlockMemo(answers_per_block=2)
    for n in range(3):
        memo.answer(CHAIN, block(1), ("signerOf", n), Reader(n))
    third = Reader(2)
    assert memo.answer(CHAIN, block(1), ("signerOf", 2), third) == 2
    assert third.reads == 1 and len(memo) == 2


def test_dropping_a_chain_in_the_fact_cache_forgets_its_blocks() -> None:
    cache = ChainFactCache()
    cache.blocks.answer(CHAIN, block(1), "headsRoot", Reader(b"root-1"))
    cache.blocks.answer(OTHER, block(1), "headsRoot", Reader(b"other"))
    cache.drop_chain(CHAIN)
    assert len(cache.blocks) == 1
    cache.clear()
    assert len(cache.blocks) == 0
