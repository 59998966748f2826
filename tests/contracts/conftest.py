"""The registry deployed on an in-process chain, driven through web3 with eth-tester accounts.

eth-tester's accounts are unlocked, so each role test can act as a different account without
key handling. Reverts are checked twice: as a call (to read the decoded custom error) and as a
mined transaction with a fixed gas limit (to prove that a reverted transaction emits nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError
from web3.types import TxReceipt

from backend.chain.artifacts import ContractArtifact, registry_artifact
from backend.chain.errors import DecodedRevert
from backend.chain.providers import memory_web3

#: Enough for any registry call; given explicitly so a reverting transaction is still mined.
FIXED_GAS = 300_000
#: The empty heads map's root: a fresh registry's heads root, and an anchor that moves no head.
EMPTY = bytes(32)


@dataclass
class Registry:
    """A deployed TraceRegistry and the accounts the tests act as."""

    w3: Web3
    contract: Contract
    artifact: ContractArtifact
    admin: ChecksumAddress
    outsider: ChecksumAddress
    spare: ChecksumAddress

    def send(self, fn: ContractFunction, sender: ChecksumAddress) -> TxReceipt:
        """Send and mine ``fn`` as ``sender``; fails the test if it reverts."""
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
        assert receipt["status"] == 1
        return receipt

    def revert_of(self, fn: ContractFunction, sender: ChecksumAddress) -> DecodedRevert:
        """The decoded custom error of ``fn``, after checking a mined attempt logs nothing."""
        with pytest.raises(ContractCustomError) as caught:
            fn.call({"from": sender})
        tx_hash = fn.transact({"from": sender, "gas": FIXED_GAS})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 0
        assert receipt["logs"] == []
        decoded = self.artifact.decode_revert(str(caught.value.data))
        assert decoded is not None, f"undecodable revert data {caught.value.data}"
        return decoded


def deploy(w3: Web3, delay: int, admin: str, operator: str, *, sender: str) -> Contract:
    """A TraceRegistry deployed by ``sender`` with ``admin`` (transfers waiting ``delay``
    seconds) and ``operator``."""
    artifact = registry_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(delay, admin, operator).transact({"from": sender})
    )
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


@pytest.fixture
def registry() -> Registry:
    """A registry whose admin is also its operator, as on a development chain."""
    w3 = memory_web3()
    admin, outsider, spare = w3.eth.accounts[:3]
    contract = deploy(w3, 0, admin, admin, sender=admin)
    return Registry(w3, contract, registry_artifact(), admin, outsider, spare)


@pytest.fixture
def regulated(registry: Registry) -> Registry:
    """``registry`` whose admin also granted itself ``REGULATOR_ROLE``: nobody holds it at
    deployment, the operator never does, and a regulator's own key recalls."""
    role = registry.contract.functions.REGULATOR_ROLE().call()
    registry.send(registry.contract.functions.grantRole(role, registry.admin), registry.admin)
    return registry
