"""Server-side operator sessions and the sign-in throttle, replacing the per-account lock-out.

``operatorsession`` holds one row per signed-in session (the SHA-256 of the cookie's token),
so sign-out and a password change end a session at once. ``loginthrottle`` counts wrong
passwords per client address, per account and per pair (each key a SHA-256). The user table
loses ``failed_logins`` and ``locked_until``: a lock-out anyone could trigger is gone. Cookies
issued before this revision carry no session token and sign their holder out once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operatorsession",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(
        op.f("ix_operatorsession_user_id"), "operatorsession", ["user_id"], unique=False
    )
    op.create_table(
        "loginthrottle",
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_hash"),
    )
    with op.batch_alter_table("user") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
    op.drop_table("loginthrottle")
    op.drop_index(op.f("ix_operatorsession_user_id"), table_name="operatorsession")
    op.drop_table("operatorsession")
