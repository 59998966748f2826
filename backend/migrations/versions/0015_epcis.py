"""EPCIS 2.0: capture jobs, the eventID index the query interface reads, and its sources.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "epcis_capture_job",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("document_sha256", _text(64), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=True),
        _when("created_at"),
        _when("finished_at", nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_epcis_capture_job_org_id", "epcis_capture_job", ["org_id"])
    op.create_table(
        "epcis_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", _text(300), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("event_type", _text(40), nullable=False),
        _when("event_time"),
        sa.Column("biz_step", _text(300), nullable=True),
        sa.Column("biz_location", _text(300), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("capture_id", _text(36), nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"]),
        sa.ForeignKeyConstraint(["capture_id"], ["epcis_capture_job.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_epcis_event_lot_id", "epcis_event", ["lot_id"])
    op.create_index("ix_epcis_event_biz_step", "epcis_event", ["biz_step"])
    op.create_index("ix_epcis_event_biz_location", "epcis_event", ["biz_location"])
    op.create_index("ix_epcis_event_capture_id", "epcis_event", ["capture_id"])
    op.create_index("ix_epcis_event_time", "epcis_event", ["event_time", "id"])
    op.create_table(
        "epcis_identifier",
        sa.Column("epcis_event_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(8), nullable=False),
        sa.Column("uri", _text(300), nullable=False),
        sa.ForeignKeyConstraint(["epcis_event_id"], ["epcis_event.id"]),
        sa.PrimaryKeyConstraint("epcis_event_id", "kind", "uri"),
    )
    op.create_index("ix_epcis_identifier_uri", "epcis_identifier", ["uri"])
    op.create_table(
        "epcis_source",
        sa.Column("sentrace_event_id", _text(36), nullable=False),
        sa.Column("epcis_event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sentrace_event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["epcis_event_id"], ["epcis_event.id"]),
        sa.PrimaryKeyConstraint("sentrace_event_id"),
    )
    op.create_index("ix_epcis_source_epcis_event_id", "epcis_source", ["epcis_event_id"])


def downgrade() -> None:
    op.drop_index("ix_epcis_source_epcis_event_id", table_name="epcis_source")
    op.drop_table("epcis_source")
    op.drop_index("ix_epcis_identifier_uri", table_name="epcis_identifier")
    op.drop_table("epcis_identifier")
    for name in ("time", "capture_id", "biz_location", "biz_step", "lot_id"):
        op.drop_index(f"ix_epcis_event_{name}", table_name="epcis_event")
    op.drop_table("epcis_event")
    op.drop_index("ix_epcis_capture_job_org_id", table_name="epcis_capture_job")
    op.drop_table("epcis_capture_job")
