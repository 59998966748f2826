"""Database tables (SQLModel).

The ledger keeps every detail off chain; the chain keeps only fingerprints. Anything that goes
into an event's hash is stored exactly as hashed (NFC text, whole-second UTC times, decimal
strings), so verification can recompute the hash from these rows alone and notice when a row
was edited behind the application's back.

Table map:
  Organisation ─< ApiKey, User (─< OperatorSession), OrgKey, WriteDraft  (models_writes.py)
  Organisation ─< Farm ─< Lot >─ Product
  Lot ─< LotLink (parent/child for split and merge)
  Lot ─< Event >─ Batch              (Merkle anchoring)
  Event ─< ChainAction               (outbox of single transactions: milestones, recalls)
  ChainCheckpoint                    (per chain: the last final block reconcile saw)
  Batch, ChainAction ─< SentTx       (every signed transaction, stored before broadcast)
  SenderLease                        (the fenced right to send: holder, token, expiry)
  Lot ─< LabelSerial ─< Scan         (printed labels and consumer scans: models_labels.py)
  IdempotencyRecord                  (replayed writes; models_writes.py)
  HeadsNode                          (the lot heads map of rules v2, one version per batch)
  Event ─< Disclosure                (private values behind their commitments)
  Farm ─< FarmDiaryEntry, Lot ─ LotHold (season diary, interval holds: models_compliance.py)
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    SmallInteger,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class OrgRole(StrEnum):
    """What an organisation may do; see services/permissions for the matrix."""

    ADMIN = "admin"
    COOPERATIVE = "cooperative"
    PACKER = "packer"
    DISTRIBUTOR = "distributor"
    RETAILER = "retailer"
    REGULATOR = "regulator"


class EventType(StrEnum):
    """Everything that can happen to a lot."""

    INPUT_APPLICATION = "input_application"
    HARVEST = "harvest"
    QUALITY_CHECK = "quality_check"
    PROCESSING = "processing"
    PACKING = "packing"
    SHIPPING = "shipping"
    RECEIVING = "receiving"
    RETAIL = "retail"
    TRANSFER = "transfer"
    SPLIT = "split"
    MERGE = "merge"
    RECALL = "recall"
    NOTE = "note"
    TRANSFER_RECEIVED = "transfer_received"
    TRANSFER_REFUSED = "transfer_refused"
    TRANSFER_VOIDED = "transfer_voided"


#: The uint8 `kind` used by `recordLotEvent` on chain; append only, never renumber.
EVENT_KIND_CODES: dict[EventType, int] = {t: i + 1 for i, t in enumerate(EventType)}


class BatchStatus(StrEnum):
    PENDING = "pending"  # tree built and stored, transaction not sent yet
    SENT = "sent"  # transaction sent, not yet confirmed
    CONFIRMED = "confirmed"  # root on chain with enough confirmations
    FAILED = "failed"  # gave up after repeated errors (operator attention)


class ChainActionKind(StrEnum):
    LOT_EVENT = "lot_event"  # recordLotEvent(lotKey, kind, eventHash)
    RECALL = "recall"  # recallWithSignature(lotKey, reasonHash, nonce, deadline, signature)
    SET_SIGNER = "set_signer"  # setSignerWithSignature(orgKey, signer, active, custody, ...)
    GRANT_REGULATOR = "grant_regulator"  # grantRole(REGULATOR_ROLE, signer), an admin transaction


class LinkKind(StrEnum):
    SPLIT = "split"
    MERGE = "merge"


# --- organisations and credentials ---------------------------------------------------------


class Organisation(SQLModel, table=True):
    """A cooperative, packer, distributor, retailer, regulator or the platform admin."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=200)
    role: OrgRole
    # A KeyCustody value (who holds its signing keys); organisations older than keys: custodial.
    key_custody: str = Field("client", max_length=16, sa_column_kwargs={"server_default": "client"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ApiKey(SQLModel, table=True):
    """An API key: shown once, stored as a SHA-256 digest (keys are 256-bit random)."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    prefix: str = Field(index=True, max_length=16)  # first characters, to find the row fast
    key_hash: str = Field(unique=True, max_length=64)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class User(SQLModel, table=True):
    """A person who signs in to the operator web app on behalf of an organisation."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    username: str = Field(index=True, unique=True, max_length=64)
    display_name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)  # argon2id
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


# --- what is traced ---------------------------------------------------------------------------


class Farm(SQLModel, table=True):
    """A farm or plot owned by a cooperative (communes sit directly under the province)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    commune: str = Field(max_length=120)
    province: str = Field(default="Đồng Tháp", max_length=120)
    lat: str | None = Field(default=None, max_length=32)  # decimal string, WGS84
    lon: str | None = Field(default=None, max_length=32)
    area_ha: str | None = Field(default=None, max_length=32)  # decimal string
    growing_area_code: str | None = Field(default=None, max_length=64)  # mã số vùng trồng
    # [{"scheme": "VietGAP", "number": "...", "valid_from": "2026-01-01", "valid_until": "..."}]
    certifications: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Product(SQLModel, table=True):
    """A kind of produce; the GTIN, when there is one, is stored as GTIN-14."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    name_vi: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    gtin: str | None = Field(default=None, index=True, unique=True, max_length=14)
    created_by_org_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Lot(SQLModel, table=True):
    """A quantity of one product that travels together and carries one code."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    product_id: int = Field(foreign_key="product.id", index=True)
    farm_id: int | None = Field(default=None, foreign_key="farm.id", index=True)
    quantity: str = Field(max_length=40)  # positive decimal string
    unit: str = Field(max_length=16)
    harvested_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    custodian_org_id: int = Field(foreign_key="organisation.id", index=True)
    recalled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    recall_reason: str | None = Field(default=None, max_length=1000)
    in_transit_to: int | None = None  # the open shipment's receiver (models_custody.Shipment)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    # The newest recorded event (rules v2): read and advanced under the lot lock only, so the
    # next event's ``seq`` and ``prev`` follow it. Verification never trusts these columns.
    last_seq: int = Field(default=0)
    last_event_hash: str | None = Field(default=None, max_length=66)


class LotLink(SQLModel, table=True):
    """Parent → child edge: a split gives one parent many children, a merge the reverse."""

    parent_id: int = Field(foreign_key="lot.id", primary_key=True)
    child_id: int = Field(foreign_key="lot.id", primary_key=True, index=True)
    kind: LinkKind
    quantity: str | None = Field(default=None, max_length=40)


# --- events and anchoring ---------------------------------------------------------------------


class Batch(SQLModel, table=True):
    """A Merkle tree over pending events, written before its root is sent on chain."""

    id: int | None = Field(default=None, primary_key=True)
    root: str = Field(index=True, unique=True, max_length=66)  # 0x-prefixed hex
    event_count: int
    status: BatchStatus = Field(default=BatchStatus.PENDING, index=True)
    tx_hash: str | None = Field(default=None, max_length=66)
    # 64-bit: chain ids above 2**31 exist (eth-tester's is one), block numbers keep growing.
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    chain_id: int | None = Field(default=None, sa_type=BigInteger)
    contract_address: str | None = Field(default=None, max_length=42)
    # Rules v2: the lot heads map's root before and after this batch (None on v1 batches).
    # Indexed: every verification looks up the batch of the root the chain holds now.
    prev_heads_root: str | None = Field(default=None, max_length=66)
    heads_root: str | None = Field(default=None, max_length=66, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Event(SQLModel, table=True):
    """Something that happened to a lot, with the hash of its canonical document.

    ``seq`` orders the anchoring queue; ``id`` (UUID) is the public identity that is hashed.
    Rules v2 events keep the exact ``canonical`` bytes they hashed and their place in the lot
    (``lot_seq``, ``prev_hash``); the other columns are indexes for finding documents.
    """

    __table_args__ = (
        Index("ix_event_pending", "batch_id", "seq"),
        UniqueConstraint("lot_id", "lot_seq", name="uq_event_lot_seq"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(
        default_factory=lambda: str(uuid.uuid4()), index=True, unique=True, max_length=36
    )
    lot_id: int = Field(foreign_key="lot.id", index=True)
    type: EventType
    occurred_at: datetime = Field(sa_type=DateTime(timezone=True))  # UTC, whole seconds
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    org_id: int = Field(foreign_key="organisation.id", index=True)
    location: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    event_hash: str = Field(max_length=66)  # keccak256 of the canonical bytes, 0x hex
    batch_id: int | None = Field(default=None, foreign_key="batch.id")
    leaf: str | None = Field(default=None, max_length=66)
    merkle_proof: list[str] | None = Field(default=None, sa_column=Column(JSON))
    schema_version: int = Field(default=1)
    lot_seq: int | None = Field(default=None)
    prev_hash: str | None = Field(default=None, max_length=66)
    canonical: bytes | None = Field(default=None, sa_type=LargeBinary)
    # EIP-712 signature of the Event statement (0x + 130 hex) and the key that made it.
    signature: str | None = Field(default=None, max_length=132)
    signer: str | None = Field(default=None, max_length=42)


class HeadsNode(SQLModel, table=True):
    """One node of the lot heads map as of a version (a batch id); ``payload`` None = removed.

    Nodes are never overwritten: a batch writes the nodes it changed under its own version, so
    the map as of any anchored heads root stays readable (a proof must be made against the
    root the chain holds now, which may trail the newest batch built here).
    """

    height: int = Field(sa_type=SmallInteger, primary_key=True)
    prefix: str = Field(max_length=66, primary_key=True)  # 0x hex of lot_key >> height
    version: int = Field(sa_type=BigInteger, primary_key=True)
    payload: bytes | None = Field(default=None, sa_type=LargeBinary)


class Disclosure(SQLModel, table=True):
    """A private value of an event, with the salt that opens its commitment in the document."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(foreign_key="event.id", index=True, max_length=36)
    path: str = Field(max_length=200)  # where the commitment sits, e.g. "location" or "data.note"
    value: Any = Field(default=None, sa_column=Column(JSON))
    salt: str = Field(max_length=66)


class ChainAction(SQLModel, table=True):
    """Outbox of single transactions (milestones and recalls), sent in ``id`` order."""

    id: int | None = Field(default=None, primary_key=True)
    kind: ChainActionKind
    event_id: str | None = Field(default=None, foreign_key="event.id", index=True)
    lot_key: str = Field(max_length=66, index=True)  # a lot's recalls, read on every scan
    event_kind: int | None = None  # uint8 for recordLotEvent
    payload_hash: str = Field(max_length=66)  # eventHash or reasonHash ("" for signer actions)
    # SET_SIGNER and RECALL: the signed statement the registry checks; GRANT_REGULATOR: signer.
    signer: str | None = Field(default=None, max_length=42)
    signature: str | None = Field(default=None, max_length=132)
    nonce: int | None = Field(default=None, sa_type=BigInteger)
    deadline: int | None = Field(default=None, sa_type=BigInteger)
    org_key: str | None = Field(default=None, max_length=66)
    active: bool | None = None
    custody: int | None = Field(default=None, sa_type=SmallInteger)
    status: BatchStatus = Field(default=BatchStatus.PENDING, index=True)
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ChainCheckpoint(SQLModel, table=True):
    """The highest block the finality policy counted final when reconcile last finished.

    One row per chain id. The next reconcile (also after downtime) re-checks only what was
    confirmed from this block on, provided the block still has this hash; a different hash (a
    reorg deeper than finality, a reset development chain) means a full pass instead.
    """

    chain_id: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger)
    block_hash: str = Field(max_length=66)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SentTx(SQLModel, table=True):
    """A signed transaction, stored (and committed) before it is broadcast, so that a retry
    sends the same bytes and a replacement reuses its nonce. Exactly one of ``batch_id`` and
    ``action_id`` names what it is for (no foreign key: the record of what went on chain
    outlives any row); attempts at one nonce share it, with raised fees."""

    __table_args__ = (Index("ix_senttx_nonce", "chain_id", "signer", "nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    chain_id: int = Field(sa_type=BigInteger)
    signer: str = Field(max_length=42)
    to_address: str | None = Field(default=None, max_length=42)  # the registry it calls
    nonce: int = Field(sa_type=BigInteger)
    batch_id: int | None = Field(default=None, index=True)
    action_id: int | None = Field(default=None, index=True)
    tx_hash: str = Field(unique=True, max_length=66)
    raw: bytes = Field(sa_type=LargeBinary)
    # Wei per gas; EIP-1559 fields, or gas_price alone on a chain without a base fee.
    max_fee_per_gas: int | None = Field(default=None, sa_type=BigInteger)
    max_priority_fee_per_gas: int | None = Field(default=None, sa_type=BigInteger)
    gas_price: int | None = Field(default=None, sa_type=BigInteger)
    lease_token: int = Field(sa_type=BigInteger)  # the fencing token it was stored under
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    broadcast_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SenderLease(SQLModel, table=True):
    """Who may send now: a lease whose token grows on every acquisition. A send record is
    written only in a transaction that finds the token still its own (the fence)."""

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=200)
    token: int = Field(sa_type=BigInteger)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


# --- labels and scans -------------------------------------------------------------------------


# Re-exported so that every table is reachable here and registered with the metadata.
from backend.models_access import Gs1Prefix, LoginThrottle, OperatorSession  # noqa: E402, F401
from backend.models_compliance import DiaryEntryType, FarmDiaryEntry, LotHold  # noqa: E402, F401
from backend.models_labels import LabelSerial, Scan  # noqa: E402, F401
from backend.models_writes import (  # noqa: E402, F401
    CUSTODY_CODES,
    IdempotencyRecord,
    KeyCustody,
    KeyStatus,
    OrgKey,
    WriteDraft,
)
