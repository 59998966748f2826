"""Signed events: organisation keys, event signatures, signer chain actions, write drafts.

Adds ``organisation.key_custody`` (who holds the organisation's signing keys), the ``org_key``
table (address, custody, status on chain, the encrypted private key of a custodial key), to
``event`` its EIP-712 ``signature`` and ``signer``, to ``chainaction`` the signed statement the
registry checks (signer, signature, nonce, deadline, org_key, active, custody) with the new
kinds SET_SIGNER and GRANT_REGULATOR, and the ``write_draft`` table (writes waiting for their
signatures).

Existing organisations become ``custodial``: they keep writing without signing anything
themselves, but they have no key yet, so their writes are refused until the operator creates
one with ``sentrace keys add --org SLUG --custody custodial`` (which needs
``SENTRACE_KEY_ENCRYPTION_SECRET`` in production); the key signs once the anchoring worker has
registered it on chain. New organisations default to ``client``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ("LOT_EVENT", "RECALL")
_NEW_KINDS = (*_OLD_KINDS, "SET_SIGNER", "GRANT_REGULATOR")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _kinds(names: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*names, name="chainactionkind")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # "client" for new organisations, "custodial" for those there are. Plain ALTER TABLE
    # statements (no table rebuild on SQLite: other tables' rows refer to these).
    op.add_column(
        "organisation",
        sa.Column("key_custody", _text(16), nullable=False, server_default="client"),
    )
    op.execute("UPDATE organisation SET key_custody = 'custodial'")
    op.create_table(
        "org_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("address", _text(42), nullable=False),
        sa.Column("custody", _text(16), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("encrypted_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )
    op.create_index("ix_org_key_org_id", "org_key", ["org_id"])
    op.create_table(
        "write_draft",
        sa.Column("id", _text(36), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", _text(64), nullable=False),
        sa.Column("seed", sa.LargeBinary(), nullable=False),
        sa.Column("pinned_now", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statements", sa.JSON(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_write_draft_org_id", "write_draft", ["org_id"])
    op.add_column("event", sa.Column("signature", _text(132), nullable=True))
    op.add_column("event", sa.Column("signer", _text(42), nullable=True))
    if postgres:
        # ADD VALUE may not run inside a transaction block before PostgreSQL 12; later ones
        # allow it as long as the new value is not used in the same transaction.
        for name in _NEW_KINDS[len(_OLD_KINDS) :]:
            op.execute(f"ALTER TYPE chainactionkind ADD VALUE IF NOT EXISTS '{name}'")
    with op.batch_alter_table("chainaction") as action:
        if not postgres:
            action.alter_column(
                "kind", existing_type=_kinds(_OLD_KINDS), type_=_kinds(_NEW_KINDS)
            )
        action.add_column(sa.Column("signer", _text(42), nullable=True))
        action.add_column(sa.Column("signature", _text(132), nullable=True))
        action.add_column(sa.Column("nonce", sa.BigInteger(), nullable=True))
        action.add_column(sa.Column("deadline", sa.BigInteger(), nullable=True))
        action.add_column(sa.Column("org_key", _text(66), nullable=True))
        action.add_column(sa.Column("active", sa.Boolean(), nullable=True))
        action.add_column(sa.Column("custody", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # Signer actions have no meaning to the older release: they go with the columns.
    op.execute("DELETE FROM chainaction WHERE kind IN ('SET_SIGNER', 'GRANT_REGULATOR')")
    for column in ("custody", "active", "org_key", "deadline", "nonce", "signature", "signer"):
        op.drop_column("chainaction", column)  # SQLite 3.35+ drops a plain column in place
    if not postgres:
        with op.batch_alter_table("chainaction") as action:
            action.alter_column(
                "kind", existing_type=_kinds(_NEW_KINDS), type_=_kinds(_OLD_KINDS)
            )
    if postgres:
        # PostgreSQL cannot drop an enum value: rebuild the type with the old ones.
        op.execute("ALTER TYPE chainactionkind RENAME TO chainactionkind_new")
        _kinds(_OLD_KINDS).create(op.get_bind())
        op.execute(
            "ALTER TABLE chainaction ALTER COLUMN kind TYPE chainactionkind"
            " USING kind::text::chainactionkind"
        )
        op.execute("DROP TYPE chainactionkind_new")
    op.drop_column("event", "signer")
    op.drop_column("event", "signature")
    op.drop_index("ix_write_draft_org_id", table_name="write_draft")
    op.drop_table("write_draft")
    op.drop_index("ix_org_key_org_id", table_name="org_key")
    op.drop_table("org_key")
    op.drop_column("organisation", "key_custody")
