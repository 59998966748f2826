"""Field photos: the ``field_photo`` table (content-addressed photos of field entries).

A quality check recorded in the field app may carry a photo; the event document states the
photo's SHA-256 (``data.photo_sha256``), and the bytes are kept here, keyed by that hash, so
anyone shown the photo can check it is the one the proven record names.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "field_photo",
        sa.Column("sha256", _text(64), nullable=False),
        sa.Column("media_type", _text(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_index("ix_field_photo_org_id", "field_photo", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_field_photo_org_id", table_name="field_photo")
    op.drop_table("field_photo")
