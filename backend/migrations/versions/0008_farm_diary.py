"""Season diary: signed farm diary entries (inputs applied, interval overrides) and lot holds.

Adds the ``farm_diary_entry`` table (one signed ``sentrace/farm-diary@1`` document per row,
chained per farm) and ``lot_hold`` (a lot harvested through a regulator's override waits for
the interval to end before it is packed or labelled). Nothing existing changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "farm_diary_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", _text(36), nullable=False),
        sa.Column("farm_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("type", _text(32), nullable=False),
        sa.Column("diary_seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", _text(66), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
        sa.Column("entry_hash", _text(66), nullable=False),
        sa.Column("signature", _text(132), nullable=True),
        sa.Column("signer", _text(42), nullable=True),
        sa.Column("input_product", _text(200), nullable=True),
        sa.Column("batch_number", _text(64), nullable=True),
        sa.Column("interval_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_lot_id", sa.Integer(), nullable=True),
        sa.Column("disclosures", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["farm_id"], ["farm.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["used_by_lot_id"], ["lot.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("farm_id", "diary_seq", name="uq_diary_farm_seq"),
    )
    op.create_index("ix_farm_diary_entry_entry_id", "farm_diary_entry", ["entry_id"], unique=True)
    op.create_index("ix_farm_diary_entry_farm_id", "farm_diary_entry", ["farm_id"])
    op.create_index("ix_farm_diary_entry_org_id", "farm_diary_entry", ["org_id"])
    op.create_index("ix_farm_diary_entry_batch_number", "farm_diary_entry", ["batch_number"])
    op.create_table(
        "lot_hold",
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("clear_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("override_entry_id", _text(36), nullable=False),
        sa.Column("input_product", _text(200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"]),
        sa.PrimaryKeyConstraint("lot_id"),
    )


def downgrade() -> None:
    op.drop_table("lot_hold")
    op.drop_index("ix_farm_diary_entry_batch_number", table_name="farm_diary_entry")
    op.drop_index("ix_farm_diary_entry_org_id", table_name="farm_diary_entry")
    op.drop_index("ix_farm_diary_entry_farm_id", table_name="farm_diary_entry")
    op.drop_index("ix_farm_diary_entry_entry_id", table_name="farm_diary_entry")
    op.drop_table("farm_diary_entry")
