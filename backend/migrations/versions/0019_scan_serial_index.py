"""Scans of one label's serial, found and counted from one index.

Every page opened from a label counts the scans of its serial and finds the first one
(``services.labels.scans.summarize_scans``). The scan table's indexes each named one column,
and SQLite chose the lot's: every such page walked every scan of the lot, whatever the serial
(1.3 ms with 10,000 scans of the lot, 140 ms with a million). This index on the lot, the serial
and the time answers the count and the first time from its own entries for that serial alone.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 20:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_scan_lot_serial_time", "scan", ["lot_id", "serial", "scanned_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_scan_lot_serial_time", table_name="scan")
