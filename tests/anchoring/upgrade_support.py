"""The previous release (proof rules v1), rebuilt for real, for the ``sentrace upgrade`` tests.

Its database is migrated to Alembic revision 0002 only, and its rows are written in that
schema's own tables (reflected from the database, since this release's models have columns
0002 lacks), the way the previous release wrote them: each event's v1 document hashed with
the v1 rules, batches as Merkle trees of v1 leaves, marked confirmed once anchored. Its
registry is deployed from the committed legacy artifact and anchors with v1's
``anchorBatch(root, count)``, sent from one of the node's unlocked development accounts (both
eth-tester and anvil have them), so the v2 client's own nonces are not disturbed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import MetaData, Table, select
from sqlalchemy.engine import Engine
from web3.contract import Contract

from backend.chain.artifacts import legacy_registry_artifact
from backend.db import make_engine
from backend.hashing import MerkleTree, canonical_document, event_hash, leaf_hash, lot_key, to_hex
from backend.migrations.runner import alembic_config

#: Index, in the node's unlocked accounts, of the previous release's anchoring account.
V1_SENDER = 1
WHEN = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


def database_at_0002(url: str) -> Engine:
    """An engine on ``url`` (an empty database) with the schema of revision 0002 only."""
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    return engine


def deploy_v1(w3: Any) -> Contract:
    """A TraceRegistryV1 from the committed artifact, administered by :data:`V1_SENDER`."""
    artifact = legacy_registry_artifact()
    sender = w3.eth.accounts[V1_SENDER]
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(sender).transact({"from": sender})
    )
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


@dataclass
class PreviousRelease:
    """Lots, v1 events and their batches in a 0002 database, anchored on a v1 registry."""

    engine: Engine
    registry: Contract
    tables: dict[str, Table] = field(default_factory=dict)
    org_id: int = 0
    product_id: int = 0
    lots: dict[str, int] = field(default_factory=dict)
    clock: int = 0

    def __post_init__(self) -> None:
        metadata = MetaData()
        metadata.reflect(bind=self.engine)
        self.tables = dict(metadata.tables)
        self.org_id = self._insert(
            "organisation", slug="htx", name="HTX Mỹ Xương", role="COOPERATIVE", created_at=WHEN
        )
        self.product_id = self._insert(
            "product", code="xoai", name_vi="Xoài cát Hòa Lộc", created_at=WHEN
        )

    def _insert(self, table: str, **values: Any) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(self.tables[table].insert().values(**values))
            return int(result.inserted_primary_key[0])

    def lot(self, code: str) -> None:
        self.lots[code] = self._insert(
            "lot",
            code=code,
            product_id=self.product_id,
            quantity="1000",
            unit="kg",
            custodian_org_id=self.org_id,
            created_at=WHEN,
        )

    def event(self, code: str, text: str, *, kind: str = "note") -> str:
        """A v1 event of lot ``code``, accepted and not yet in a batch; returns its id."""
        self.clock += 1
        event_id, occurred = str(uuid.uuid4()), WHEN + timedelta(hours=self.clock)
        data = {"text": text}
        document = canonical_document(
            event_id=event_id,
            lot_code=code,
            event_type=kind,
            occurred_at=occurred,
            org_slug="htx",
            location=None,
            data=data,
        )
        self._insert(
            "event",
            id=event_id,
            lot_id=self.lots[code],
            type=kind.upper(),
            occurred_at=occurred,
            recorded_at=occurred,
            org_id=self.org_id,
            location=None,
            data=data,
            event_hash=to_hex(event_hash(document)),
        )
        return event_id

    def batch(self, *, anchor: bool = True, status: str = "CONFIRMED") -> str:
        """Every pending event in one batch, as the previous release built it; anchored on
        the v1 registry and marked ``status`` (``anchor=False``: stored, never sent)."""
        event, lot = self.tables["event"], self.tables["lot"]
        with self.engine.begin() as connection:
            pending = connection.execute(
                select(event.c.seq, event.c.event_hash, lot.c.code)
                .join(lot, lot.c.id == event.c.lot_id)
                .where(event.c.batch_id.is_(None))
                .order_by(event.c.seq)
            ).all()
        leaves = {seq: leaf_hash(lot_key(code), bytes.fromhex(h[2:])) for seq, h, code in pending}
        tree = MerkleTree.build(list(leaves.values()))
        proofs = tree.proofs()
        values: dict[str, Any] = {"status": "PENDING" if not anchor else status}
        if anchor:
            values.update(self._anchor(tree.root, len(leaves)))
        batch_id = self._insert(
            "batch",
            root=to_hex(tree.root),
            event_count=len(leaves),
            attempts=1 if anchor else 0,
            created_at=WHEN,
            **values,
        )
        with self.engine.begin() as connection:
            for seq, leaf in leaves.items():
                connection.execute(
                    event.update()
                    .where(event.c.seq == seq)
                    .values(
                        batch_id=batch_id,
                        leaf=to_hex(leaf),
                        merkle_proof=[to_hex(n) for n in proofs[leaf]],
                    )
                )
        return to_hex(tree.root)

    def _anchor(self, root: bytes, count: int) -> dict[str, Any]:
        """v1's ``anchorBatch(root, count)``, and what the previous release recorded of it."""
        w3 = self.registry.w3
        sender = w3.eth.accounts[V1_SENDER]
        tx_hash = self.registry.functions.anchorBatch(root, count).transact({"from": sender})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return {
            "tx_hash": tx_hash.to_0x_hex(),
            "block_number": int(receipt["blockNumber"]),
            "chain_id": int(w3.eth.chain_id),
            "contract_address": self.registry.address,
            "sent_at": WHEN,
            "confirmed_at": WHEN,
        }

    def recall_on_chain(self, code: str) -> None:
        """A regulator's recall recorded on the v1 registry (and nowhere in the database)."""
        sender = self.registry.w3.eth.accounts[V1_SENDER]
        tx_hash = self.registry.functions.recall(lot_key(code), b"\x01" * 32).transact(
            {"from": sender}
        )
        assert self.registry.w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
