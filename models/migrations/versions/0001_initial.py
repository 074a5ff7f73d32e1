"""Initial schema: dossier, dossier_event, deadline, audit_entry.

Revision ID: 0001
Revises:
Create Date: 2026-11-30

Portable SQL only (SQLite and PostgreSQL). Personal-data columns are sa.Text
holding Fernet tokens (models.crypto.EncryptedString); dates are sa.Date;
timestamps sa.DateTime(timezone=True) (models.types.AwareDateTime).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("lawyer_email", sa.Text(), nullable=True),
        sa.Column("caseworker_email", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False, server_default="preparing"),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("language IN ('fr', 'nl', 'de', 'en')", name=op.f("ck_dossier_language")),
        sa.CheckConstraint(
            "reference LIKE '9TER-____-______'", name=op.f("ck_dossier_reference_format")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier")),
    )
    op.create_index(op.f("ix_dossier_reference"), "dossier", ["reference"], unique=True)

    op.create_table(
        "dossier_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_dossier_event_seq_non_negative")),
        sa.CheckConstraint(
            "source IN ('cli', 'ui', 'import', 'api')", name=op.f("ck_dossier_event_source")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_dossier_event_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_event")),
        sa.UniqueConstraint("dossier_id", "seq", name=op.f("uq_dossier_event_dossier_id_seq")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_dossier_event_idempotency_key")),
    )

    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("trigger_seq", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("opens", sa.Date(), nullable=True),
        sa.Column("act_by", sa.Date(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_deadline_dossier_id_dossier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline")),
        sa.UniqueConstraint(
            "dossier_id", "kind", "trigger_seq", name=op.f("uq_deadline_dossier_id_kind_trigger_seq")
        ),
    )
    op.create_index("ix_deadline_act_by", "deadline", ["act_by"], unique=False)

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("dossier_reference", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"], unique=False)
    op.create_index(
        op.f("ix_audit_entry_dossier_reference"), "audit_entry", ["dossier_reference"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_entry_dossier_reference"), table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_at"), table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_index("ix_deadline_act_by", table_name="deadline")
    op.drop_table("deadline")
    op.drop_table("dossier_event")
    op.drop_index(op.f("ix_dossier_reference"), table_name="dossier")
    op.drop_table("dossier")
