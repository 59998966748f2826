"""Proof rules v2: events keep their canonical bytes and place in the lot; the heads map.

Adds to ``event`` the rules-v2 columns (schema version, per-lot ``lot_seq`` unique within the
lot, ``prev_hash``, the exact ``canonical`` bytes), to ``lot`` its newest recorded event, to
``batch`` the heads roots before and after it, and the ``headsnode`` and ``disclosure`` tables.
Existing rows are v1 records: they keep verifying under v1 until ``sentrace upgrade`` seals them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("event") as event:
        event.add_column(
            sa.Column("schema_version", sa.Integer(), nullable=False, server_default="1")
        )
        event.add_column(sa.Column("lot_seq", sa.Integer(), nullable=True))
        event.add_column(sa.Column("prev_hash", _text(66), nullable=True))
        event.add_column(sa.Column("canonical", sa.LargeBinary(), nullable=True))
        event.create_unique_constraint("uq_event_lot_seq", ["lot_id", "lot_seq"])
    with op.batch_alter_table("lot") as lot:
        lot.add_column(sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"))
        lot.add_column(sa.Column("last_event_hash", _text(66), nullable=True))
    with op.batch_alter_table("batch") as batch:
        batch.add_column(sa.Column("prev_heads_root", _text(66), nullable=True))
        batch.add_column(sa.Column("heads_root", _text(66), nullable=True))
    op.create_table(
        "headsnode",
        sa.Column("height", sa.SmallInteger(), nullable=False),
        sa.Column("prefix", _text(66), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("height", "prefix", "version"),
    )
    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", _text(36), nullable=False),
        sa.Column("path", _text(200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("salt", _text(66), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_disclosure_event_id", "disclosure", ["event_id"])


def downgrade() -> None:
    op.drop_index("ix_disclosure_event_id", table_name="disclosure")
    op.drop_table("disclosure")
    op.drop_table("headsnode")
    with op.batch_alter_table("batch") as batch:
        batch.drop_column("heads_root")
        batch.drop_column("prev_heads_root")
    with op.batch_alter_table("lot") as lot:
        lot.drop_column("last_event_hash")
        lot.drop_column("last_seq")
    with op.batch_alter_table("event") as event:
        event.drop_constraint("uq_event_lot_seq", type_="unique")
        event.drop_column("canonical")
        event.drop_column("prev_hash")
        event.drop_column("lot_seq")
        event.drop_column("schema_version")
