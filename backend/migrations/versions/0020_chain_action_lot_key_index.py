"""A lot's recall actions, found by the lot's key from an index.

Every verification and every consumer page asks for the milestone actions of the lineage's
events and the recall actions of its lots in one statement
(``services.verification.lineage``). The recall half named ``chainaction.lot_key``, which had no
index, so neither SQLite nor PostgreSQL could answer the statement from indexes: each read
scanned the whole outbox, which grows by one row per milestone and recall ever sent. With this
index both halves are index searches.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_chainaction_lot_key", "chainaction", ["lot_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_chainaction_lot_key", table_name="chainaction")
