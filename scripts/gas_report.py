#!/usr/bin/env python3
"""Measure the gas of the registry's hot paths on eth-tester and check them against targets.

Every anchor and milestone is a transaction someone pays for, so the targets are part of the
design (ARCHITECTURE.md, issue 14): anchorBatch at most 57,000 gas in steady state (the heads
root already set, as for every batch after the first), recordLotEvent at most 30,000 gas, per
whole transaction (intrinsic 21,000 and calldata included). The anchorBatch target was 55,000
until the emergency pause (issue 22): every write now reads OpenZeppelin's paused flag, a cold
storage read (2,100 gas) that measured +2,212 gas per anchorBatch (54,428 to 56,640 at worst).
Gas is deterministic for given inputs, so the figures are exact, not timings. Exit status 1
when a target is missed.

Signed statements (issue 15) added functions to the registry and so comparisons to its function
dispatch: anchorBatch measured 56,833 at worst after them. The relayed statements carry no
target; their rows show what the platform pays to relay a regulator's recall and a signer
admin's signer change, and what the admin's own setSigner costs.

Samples cover small and maximal counts and kinds, and calldata with every byte non-zero (the
most expensive input). Two rows carry no target and explain the others: the first anchor, which
creates the heads-root slot (20,000 gas once per registry), and the rules v1 registry's
anchorBatch, the baseline the heads root's compare-and-swap is added to.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # the bench package lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from backend.chain.client import ChainClient  # noqa: E402
from backend.chain.types import EMPTY_HEADS_ROOT, HeadsUpdate  # noqa: E402
from backend.config import DEMO_ANCHOR_PRIVATE_KEY  # noqa: E402
from backend.hashing.eip712 import (  # noqa: E402
    recall_typed_data,
    sign_typed_data,
    signer_change_typed_data,
)
from bench.legacy import anchor_v1_gas, deploy_v1  # noqa: E402

TARGETS = {"anchorBatch": 57_000, "recordLotEvent": 30_000}
UINT32_MAX = 2**32 - 1


@dataclass(frozen=True)
class GasRow:
    """Gas of one operation over several transactions, against its target (None: no target)."""

    operation: str
    samples: tuple[int, ...]
    target: int | None

    @property
    def worst(self) -> int:
        return max(self.samples)

    @property
    def passed(self) -> bool:
        return self.target is None or self.worst <= self.target


def _word(label: str, i: int) -> bytes:
    """A 32-byte value with no zero byte (the costliest calldata), distinct per label and i."""
    digest = hashlib.sha256(f"{label}-{i}".encode()).digest()
    return bytes(b or 1 for b in digest)


def measure(runs: int = 5) -> list[GasRow]:
    """Deploy on a fresh eth-tester chain and collect gasUsed from real receipts."""
    client = ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))
    client.deploy_registry()
    # eth-tester mines one block per transaction, so the deployment is the latest block's only one.
    deploy_tx = client.w3.eth.get_block("latest")["transactions"][0]
    assert isinstance(deploy_tx, bytes), "block fetched without full transactions"
    deploy_gas = int(client.w3.eth.get_transaction_receipt(deploy_tx)["gasUsed"])

    counts = [1, 1000, UINT32_MAX] + [2**31 + i for i in range(max(0, runs - 3))]
    heads = [_word("heads", i) for i in range(len(counts) + 1)]
    first = client.anchor_batch(_word("root", "first"), 1, HeadsUpdate(EMPTY_HEADS_ROOT, heads[0]))
    anchors = [
        client.anchor_batch(_word("root", i), n, HeadsUpdate(heads[i], heads[i + 1])).gas_used
        for i, n in enumerate(counts)
    ]
    legacy = deploy_v1(client.w3)
    v1_anchors = [anchor_v1_gas(legacy, _word("v1 root", i), n) for i, n in enumerate(counts)]

    kinds = [1, 2, 255] + [3 + i for i in range(max(0, runs - 3))]
    same_lot = _word("lot", 0)
    records = [
        client.record_lot_event(same_lot, k, _word("event", i)).gas_used
        for i, k in enumerate(kinds)
    ]
    records += [
        client.record_lot_event(_word("lot", i + 1), 2, _word("other", i)).gas_used
        for i in range(runs)
    ]
    recalls, signer_changes, own_sets = _signed_statements(client, runs)
    return [
        GasRow("deploy", (deploy_gas,), None),
        GasRow("anchorBatch", tuple(anchors), TARGETS["anchorBatch"]),
        GasRow("anchorBatch, first heads root", (first.gas_used,), None),
        GasRow("anchorBatch v1", tuple(v1_anchors), None),
        GasRow("recordLotEvent", tuple(records), TARGETS["recordLotEvent"]),
        GasRow("recallWithSignature", tuple(recalls), None),
        GasRow("setSignerWithSignature", tuple(signer_changes), None),
        GasRow("setSigner (admin)", tuple(own_sets), None),
    ]


def _signed_statements(client: ChainClient, runs: int) -> tuple[list[int], ...]:
    """Gas of relayed recalls (a regulator's key signs, the platform sends), relayed signer
    activations (the admin signs) and the admin's own setSigner. On this chain the platform's
    key is also the admin (a development registry), so it signs the signer changes itself."""
    admin = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)  # the in-memory registry's deployer
    regulator = Account.from_key(hashlib.sha256(b"gas report regulator").digest())
    client.grant_regulator(regulator.address)
    domain = client.signing_domain()
    deadline = 2**40
    recalls = []
    for i in range(runs):
        lot, reason = _word("recalled", i), _word("reason", i)
        nonce = client.nonce_of(regulator.address)
        typed = recall_typed_data(
            domain, lot_key=lot, reason_hash=reason, nonce=nonce, deadline=deadline
        )
        signature = sign_typed_data(typed, regulator.key)
        result = client.recall_with_signature(
            lot, reason, nonce=nonce, deadline=deadline, signature=signature
        )
        recalls.append(result.gas_used)
    changes = []
    for i in range(runs):
        org, signer = _word("org", i), Account.from_key(_word("signer", i)).address
        nonce = client.nonce_of(admin.address)
        typed = signer_change_typed_data(
            domain,
            org_key=org,
            signer=signer,
            active=True,
            custody=3,
            nonce=nonce,
            deadline=deadline,
        )
        signature = sign_typed_data(typed, admin.key)
        result = client.set_signer_with_signature(
            org,
            signer,
            active=True,
            custody=3,
            nonce=nonce,
            deadline=deadline,
            signature=signature,
        )
        changes.append(result.gas_used)
    own = [
        client.set_signer(
            _word("own org", i), Account.from_key(_word("own", i)).address, active=True
        ).gas_used
        for i in range(runs)
    ]
    return recalls, changes, own


def render(rows: list[GasRow]) -> str:
    header = f"{'operation':<32}{'txs':>5}{'min':>10}{'max':>10}{'target':>10}  verdict"
    lines = [header, "-" * len(header)]
    for row in rows:
        target = f"{row.target:,}" if row.target is not None else "-"
        verdict = ("PASS" if row.passed else "FAIL") if row.target is not None else ""
        lines.append(
            f"{row.operation:<32}{len(row.samples):>5}{min(row.samples):>10,}"
            f"{row.worst:>10,}{target:>10}  {verdict}"
        )
    return "\n".join(lines)


def main() -> int:
    rows = measure()
    print(render(rows))
    return 0 if all(row.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
