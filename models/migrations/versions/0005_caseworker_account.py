"""Caseworkers' own logins to the UI (the gate in front of Prefect): one row per caseworker
code, its password as an Argon2 hash, disabled accounts kept (the audit trail names them).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caseworker_account",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(code) BETWEEN 2 AND 32", name=op.f("ck_caseworker_account_code_length")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_caseworker_account")),
    )


def downgrade() -> None:
    op.drop_table("caseworker_account")
