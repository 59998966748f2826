"""Our trees and proofs equal those of the real ``@openzeppelin/merkle-tree`` npm package."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.hashing import MerkleTree, leaf_hash, to_hex
from tests.support.components import REPO_ROOT, missing

SCRIPT = Path(__file__).with_name("openzeppelin_tree.js")


def node_binary() -> str:
    found = shutil.which("node")
    if found is None:
        missing("node", "install Node.js")
    package = REPO_ROOT / "node_modules" / "@openzeppelin" / "merkle-tree" / "package.json"
    if not package.exists():
        missing("@openzeppelin/merkle-tree", "run `npm ci`")
    return str(found)


def openzeppelin(batches: list[list[list[str]]]) -> list[dict[str, object]]:
    completed = subprocess.run(
        [node_binary(), str(SCRIPT), str(REPO_ROOT)],
        input=json.dumps(batches),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results: list[dict[str, object]] = json.loads(completed.stdout)
    return results


def random_batches(seed: int, count: int) -> list[list[tuple[bytes, bytes]]]:
    """Batches of 1..300 events, some sharing a lot, a few repeating an event exactly."""
    rng = random.Random(seed)
    batches = []
    for _ in range(count):
        lots = [rng.randbytes(32) for _ in range(rng.randint(1, 6))]
        size = rng.choice([1, 2, 3, rng.randint(1, 40), rng.randint(1, 300)])
        pairs = [(rng.choice(lots), rng.randbytes(32)) for _ in range(size)]
        if size > 2 and rng.random() < 0.2:
            pairs.append(rng.choice(pairs))
        batches.append(pairs)
    return batches


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_root_node_array_and_proofs_equal_openzeppelin_merkle_tree(seed: int) -> None:
    batches = random_batches(seed, 20)
    hex_batches = [[[to_hex(k), to_hex(e)] for k, e in pairs] for pairs in batches]
    for pairs, theirs in zip(batches, openzeppelin(hex_batches), strict=True):
        leaves = [leaf_hash(k, e) for k, e in pairs]
        tree = MerkleTree.build(leaves)
        assert [to_hex(leaf) for leaf in leaves] == theirs["leaves"]
        assert to_hex(tree.root) == theirs["root"]
        assert [to_hex(node) for node in tree.nodes] == theirs["tree"]
        ours = [[to_hex(p) for p in tree.proof(leaf)] for leaf in leaves]
        assert ours == theirs["proofs"]


def test_the_golden_string_tree_is_what_openzeppelin_builds() -> None:
    node = node_binary()
    program = (
        "const {StandardMerkleTree} = require(process.argv[1] + "
        "'/node_modules/@openzeppelin/merkle-tree');"
        "const t = StandardMerkleTree.of([...'abcdef'].map(c => [c]), ['string']);"
        "process.stdout.write(t.root);"
    )
    completed = subprocess.run(
        [node, "-e", program, str(REPO_ROOT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert completed.stdout == "0x6deb52b5da8fd108f79fab00341f38d2587896634c646ee52e49f845680a70c8"
