"""The rules v1 registry (TraceRegistryV1) deployed beside the current one, for gas comparisons.

v1's ``anchorBatch(root, count)`` has no heads root, so it is the baseline that shows what rules
v2's compare-and-swap costs. Both development chains (eth-tester, anvil) unlock their own
accounts, so v1 is driven by plain ``eth_sendTransaction`` from :data:`LEGACY_SENDER`, an
account other than the one the :class:`~backend.chain.ChainClient` signs with (whose nonces it
counts itself).
"""

from __future__ import annotations

from web3 import Web3
from web3.contract import Contract

from backend.chain.artifacts import legacy_registry_artifact

#: Index, in the node's own unlocked accounts, of the account that deploys and anchors on v1.
LEGACY_SENDER = 1


def deploy_v1(w3: Web3) -> Contract:
    """A freshly deployed TraceRegistryV1 whose admin (and anchorer) is the legacy sender."""
    sender = w3.eth.accounts[LEGACY_SENDER]
    artifact = legacy_registry_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(sender).transact({"from": sender})
    )
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def anchor_v1_gas(registry: Contract, root: bytes, count: int) -> int:
    """Gas used by v1's ``anchorBatch(root, count)``, from its receipt."""
    sender = registry.w3.eth.accounts[LEGACY_SENDER]
    tx_hash = registry.functions.anchorBatch(root, count).transact({"from": sender})
    receipt = registry.w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise RuntimeError(f"v1 anchorBatch {tx_hash.to_0x_hex()} reverted")
    return int(receipt["gasUsed"])
