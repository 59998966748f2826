"""Growing-area registry: areas, their farms, crop yields, cap raises and refused claims.

Adds ``growing_area`` (code, holder, hectares, crop, export markets, validity), its member
farms (``growing_area_farm``), the regulator's expected yield per crop (``crop_yield``), cap
raises per area and season (``cap_raise``) and refused claims of a code
(``area_claim_refusal``). Nothing existing changes: a farm naming a code no area registers
harvests as before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "growing_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", _text(64), nullable=False),
        sa.Column("holder_org_id", sa.Integer(), nullable=False),
        sa.Column("area_ha", _text(32), nullable=False),
        sa.Column("crop", _text(64), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("registered_by_org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["holder_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["registered_by_org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_growing_area_code", "growing_area", ["code"], unique=True)
    op.create_index("ix_growing_area_holder_org_id", "growing_area", ["holder_org_id"])
    op.create_table(
        "growing_area_farm",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("farm_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["growing_area.id"]),
        sa.ForeignKeyConstraint(["farm_id"], ["farm.id"]),
        sa.PrimaryKeyConstraint("area_id", "farm_id"),
    )
    op.create_index("ix_growing_area_farm_farm_id", "growing_area_farm", ["farm_id"])
    op.create_table(
        "crop_yield",
        sa.Column("crop", _text(64), nullable=False),
        sa.Column("tonnes_per_ha", _text(32), nullable=False),
        sa.Column("set_by_org_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["set_by_org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("crop"),
    )
    op.create_table(
        "cap_raise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("season", _text(16), nullable=False),
        sa.Column("kg", _text(32), nullable=False),
        sa.Column("reason", _text(1000), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["growing_area.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("area_id", "season", "created_at"),
    )
    op.create_index("ix_cap_raise_area_id", "cap_raise", ["area_id"])
    op.create_table(
        "area_claim_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_code", _text(64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("farm_code", _text(64), nullable=False),
        sa.Column("kind", _text(32), nullable=False),
        sa.Column("quantity_kg", _text(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_area_claim_refusal_area_code", "area_claim_refusal", ["area_code"])
    op.create_index("ix_area_claim_refusal_org_id", "area_claim_refusal", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_area_claim_refusal_org_id", table_name="area_claim_refusal")
    op.drop_index("ix_area_claim_refusal_area_code", table_name="area_claim_refusal")
    op.drop_table("area_claim_refusal")
    op.drop_index("ix_cap_raise_area_id", table_name="cap_raise")
    op.drop_table("cap_raise")
    op.drop_table("crop_yield")
    op.drop_index("ix_growing_area_farm_farm_id", table_name="growing_area_farm")
    op.drop_table("growing_area_farm")
    op.drop_index("ix_growing_area_holder_org_id", table_name="growing_area")
    op.drop_index("ix_growing_area_code", table_name="growing_area")
    op.drop_table("growing_area")
