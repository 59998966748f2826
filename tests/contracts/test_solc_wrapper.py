"""scripts/solc_wrapper.py makes solcjs usable as a native solc by py-solc-x."""

from __future__ import annotations

import json
import subprocess

import pytest
import solcx
from solcx.exceptions import UnknownOption
from solcx.wrapper import get_solc_version

from tests.support.components import REPO_ROOT, solcjs_binary

pytestmark = pytest.mark.solc
WRAPPER = REPO_ROOT / "scripts" / "solc_wrapper.py"


@pytest.fixture(autouse=True)
def _needs_solcjs() -> None:
    solcjs_binary()


def test_version_is_parsed_by_py_solc_x() -> None:
    assert str(get_solc_version(WRAPPER, with_commit_hash=True)).startswith("0.8.30+commit.")


def test_standard_json_output_is_bare_json() -> None:
    source = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\ncontract A {}\n"
    request = {
        "language": "Solidity",
        "sources": {"a.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    proc = subprocess.run(
        [str(WRAPPER), "--standard-json"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert not proc.stdout.startswith(">>>")
    assert json.loads(proc.stdout)["contracts"]["a.sol"]["A"]["abi"] == []


def test_compile_standard_resolves_openzeppelin_imports_under_the_base_path() -> None:
    source = (
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"
        'import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";\n'
        "contract B { function f(bytes32[] calldata p, bytes32 r, bytes32 l) external pure "
        "returns (bool) { return MerkleProof.verifyCalldata(p, r, l); } }\n"
    )
    request = {
        "language": "Solidity",
        "sources": {"b.sol": {"content": source}},
        "settings": {
            "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
            "outputSelection": {"*": {"*": ["abi"]}},
        },
    }
    output = solcx.compile_standard(
        request, solc_binary=WRAPPER, base_path=REPO_ROOT, allow_paths=REPO_ROOT
    )
    assert (
        "node_modules/@openzeppelin/contracts/utils/cryptography/MerkleProof.sol"
        in (output["sources"])
    )
    assert output["contracts"]["b.sol"]["B"]["abi"][0]["name"] == "f"


def test_unknown_flags_are_reported_the_way_py_solc_x_understands() -> None:
    with pytest.raises(UnknownOption):
        solcx.wrapper.solc_wrapper(solc_binary=WRAPPER, standard_json=True, via_ir=True)


def test_an_answer_larger_than_a_pipe_buffer_arrives_whole() -> None:
    notice = " ".join(["Lô hàng"] * 12_000)  # about 100 KiB of NatSpec, echoed in the userdoc
    source = (
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"
        f"/// @notice {notice}\ncontract Long {{}}\n"
    )
    request = {
        "language": "Solidity",
        "sources": {"long.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["userdoc"]}}},
    }
    output = solcx.compile_standard(request, solc_binary=WRAPPER, base_path=REPO_ROOT)
    assert output["contracts"]["long.sol"]["Long"]["userdoc"]["notice"] == notice
