"""Index ``batch.heads_root``: each verification finds the batch whose heads root the chain
holds now, and without an index that is a scan of every batch ever anchored.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_batch_heads_root", "batch", ["heads_root"])


def downgrade() -> None:
    op.drop_index("ix_batch_heads_root", table_name="batch")
