"""docs/proof-rules.md states values an outsider will rely on: they must be the ones we compute."""

from __future__ import annotations

import re

from eth_abi import encode as abi_encode

from backend.hashing import MerkleTree, keccak, to_hex
from tests.support.components import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "proof-rules.md").read_text("utf-8")


def test_the_stated_keccak_of_nothing_and_layout_root_are_right() -> None:
    assert f'`keccak256("")` = `{to_hex(keccak(b""))}`' in DOC
    leaves = [keccak(keccak(abi_encode(["string"], [value]))) for value in "abcdef"]
    assert to_hex(MerkleTree.build(leaves).root) in DOC


def test_every_file_the_document_points_to_exists() -> None:
    paths = set(re.findall(r"`((?:tests|backend|scripts)/[\w/.]+\.(?:json|md|py))", DOC))
    assert {"tests/vectors/events.json", "tests/vectors/events_v2.json"} <= paths
    for path in paths:
        assert (REPO_ROOT / path).is_file(), path
