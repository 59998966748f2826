"""Public request counts shared by every server process and host on one PostgreSQL.

``ratelimitcount`` holds, per client digest and Unix minute, how many public requests the
client made; each process adds its own counts every second and reads the sums back.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratelimitcount",
        sa.Column("client_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_digest", "minute"),
    )


def downgrade() -> None:
    op.drop_table("ratelimitcount")
