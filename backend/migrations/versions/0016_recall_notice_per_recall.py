"""Recall notices name the recall event they were made for, so a recall notifies once.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "recall_notice",
        sa.Column("recall_event_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    )
    op.create_index(
        "ix_recall_notice_recall_event_id", "recall_notice", ["recall_event_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_recall_notice_recall_event_id", table_name="recall_notice")
    op.drop_column("recall_notice", "recall_event_id")
