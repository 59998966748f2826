"""Two-step custody: shipments, the lot's receiver in transit, and the closing event types.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Stored by name; none is longer than the 17 characters SQLite's VARCHAR column already has.
_NEW_TYPES = ("TRANSFER_RECEIVED", "TRANSFER_REFUSED", "TRANSFER_VOIDED")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL 12+ allows ADD VALUE in a transaction if the value is not used in it.
        for name in _NEW_TYPES:
            op.execute(f"ALTER TYPE eventtype ADD VALUE IF NOT EXISTS '{name}'")
    op.add_column("lot", sa.Column("in_transit_to", sa.Integer(), nullable=True))
    op.create_table(
        "shipment",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("from_org_id", sa.Integer(), nullable=False),
        sa.Column("to_org_id", sa.Integer(), nullable=False),
        sa.Column("transfer_event_id", _text(36), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_event_id", _text(36), nullable=True),
        sa.Column("reason", _text(1000), nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"]),
        sa.ForeignKeyConstraint(["from_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["to_org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for name in ("lot_id", "from_org_id", "to_org_id", "status"):
        op.create_index(f"ix_shipment_{name}", "shipment", [name])


def downgrade() -> None:
    for name in ("status", "to_org_id", "from_org_id", "lot_id"):
        op.drop_index(f"ix_shipment_{name}", table_name="shipment")
    op.drop_table("shipment")
    op.drop_column("lot", "in_transit_to")  # SQLite 3.35+ drops a plain column in place
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL cannot drop an enum value: events of these types go with the release
        # that wrote them, then the type is rebuilt without them.
        names = ", ".join(f"'{name}'" for name in _NEW_TYPES)
        op.execute(f"DELETE FROM event WHERE type IN ({names})")
        op.execute("ALTER TYPE eventtype RENAME TO eventtype_new")
        old = (
            "INPUT_APPLICATION", "HARVEST", "QUALITY_CHECK", "PROCESSING", "PACKING", "SHIPPING",
            "RECEIVING", "RETAIL", "TRANSFER", "SPLIT", "MERGE", "RECALL", "NOTE",
        )  # fmt: skip
        sa.Enum(*old, name="eventtype").create(op.get_bind())
        op.execute("ALTER TABLE event ALTER COLUMN type TYPE eventtype USING type::text::eventtype")
        op.execute("DROP TYPE eventtype_new")
