"""GS1 company prefixes registered to organisations: who owns which GTINs.

A product with a GTIN may from now on be registered only by the organisation holding the GTIN's
company prefix. Products registered before keep their GTIN and their creator
(``created_by_org_id``) and keep working; the consumer page names a brand owner for them once
the admin registers their prefix, and says "not confirmed" until then.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gs1prefix",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("licence", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_gs1prefix_org_id"), "gs1prefix", ["org_id"], unique=False)
    op.create_index(op.f("ix_gs1prefix_prefix"), "gs1prefix", ["prefix"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_gs1prefix_prefix"), table_name="gs1prefix")
    op.drop_index(op.f("ix_gs1prefix_org_id"), table_name="gs1prefix")
    op.drop_table("gs1prefix")
