"""Chain ids and block numbers as 64-bit integers.

Chain ids above 2**31 are common (eth-tester's own is 131277322940537) and block numbers only
grow, so ``batch.chain_id``, ``batch.block_number`` and ``chainaction.block_number`` become
BIGINT. SQLite stores every INTEGER in up to 8 bytes already, so only PostgreSQL changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("batch", "chain_id"), ("batch", "block_number"), ("chainaction", "block_number"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table, column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=True
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table, column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=True
        )
