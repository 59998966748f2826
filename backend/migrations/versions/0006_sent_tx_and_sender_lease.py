"""Signed transactions stored before broadcast, and the fenced sender lease.

``senttx`` keeps every signed transaction (nonce, raw bytes, hash, fees, the batch or outbox
action it is for, the lease token it was stored under): a retry rebroadcasts the same bytes and
a stuck one is replaced at its own nonce. It names its batch or action without a foreign key:
what went on chain stays on record whatever happens to those rows. ``senderlease`` holds the one sender's lease; its
token grows on every acquisition and every send record is written under a check of it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "senttx",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("signer", _text(42), nullable=False),
        sa.Column("to_address", _text(42), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("tx_hash", _text(66), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("max_fee_per_gas", sa.BigInteger(), nullable=True),
        sa.Column("max_priority_fee_per_gas", sa.BigInteger(), nullable=True),
        sa.Column("gas_price", sa.BigInteger(), nullable=True),
        sa.Column("lease_token", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("broadcast_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tx_hash"),
    )
    op.create_index("ix_senttx_nonce", "senttx", ["chain_id", "signer", "nonce"])
    op.create_index("ix_senttx_batch_id", "senttx", ["batch_id"])
    op.create_index("ix_senttx_action_id", "senttx", ["action_id"])
    op.create_table(
        "senderlease",
        sa.Column("name", _text(32), nullable=False),
        sa.Column("holder", _text(200), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("senderlease")
    op.drop_index("ix_senttx_action_id", table_name="senttx")
    op.drop_index("ix_senttx_batch_id", table_name="senttx")
    op.drop_index("ix_senttx_nonce", table_name="senttx")
    op.drop_table("senttx")
