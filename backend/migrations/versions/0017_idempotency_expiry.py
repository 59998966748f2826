"""Idempotency answers expire: an index on their creation time for the sweep.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_idempotencyrecord_created_at", "idempotencyrecord", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_idempotencyrecord_created_at", table_name="idempotencyrecord")
