"""Recall notices: notices, per-organisation notifications, webhooks, deliveries and attempts.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "recall_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_kind", _text(16), nullable=False),
        sa.Column("source_ref", _text(64), nullable=False),
        sa.Column("reason", _text(1000), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("lot_count", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "recall_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("lots", sa.JSON(), nullable=True),
        _when("read_at", nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(["notice_id"], ["recall_notice.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recall_notification_notice_id", "recall_notification", ["notice_id"])
    op.create_index("ix_recall_notification_org_id", "recall_notification", ["org_id"])
    op.create_table(
        "webhook_endpoint",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("url", _text(500), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("url", _text(500), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("claimed_until", nullable=True),
        _when("delivered_at", nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(["notification_id"], ["recall_notification.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_delivery_notification_id", "webhook_delivery", ["notification_id"])
    op.create_index("ix_webhook_delivery_org_id", "webhook_delivery", ["org_id"])
    op.create_index("ix_webhook_delivery_status", "webhook_delivery", ["status"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        _when("at"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", _text(500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_delivery.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_attempt_delivery_id", "webhook_attempt", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempt_delivery_id", table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    for name in ("status", "org_id", "notification_id"):
        op.drop_index(f"ix_webhook_delivery_{name}", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_endpoint")
    op.drop_index("ix_recall_notification_org_id", table_name="recall_notification")
    op.drop_index("ix_recall_notification_notice_id", table_name="recall_notification")
    op.drop_table("recall_notification")
    op.drop_table("recall_notice")
