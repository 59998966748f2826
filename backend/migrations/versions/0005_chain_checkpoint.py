"""The chain checkpoint: per chain id, the last block reconcile counted final, and its hash.

Reconcile after downtime re-checks what was confirmed from that block on instead of a fixed
number of recent blocks; a changed hash there (a deeper reorg, a reset chain) asks for a full
pass.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chaincheckpoint",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chain_id"),
    )


def downgrade() -> None:
    op.drop_table("chaincheckpoint")
