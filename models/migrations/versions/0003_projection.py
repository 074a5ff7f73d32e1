"""The projection queue (what Prefect must show of each dossier) and service heartbeats.

Every existing dossier gets a pending row, so the projector checks its flow run once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projection",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("plan_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"], name=op.f("fk_projection_dossier_id_dossier"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_projection")),
    )
    op.create_index("ix_projection_pending", "projection", ["next_attempt_at"])
    op.execute("INSERT INTO projection (dossier_id, wanted, shown, attempts, next_attempt_at, updated_at) "
               "SELECT id, 1, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM dossier")
    op.create_table(
        "service_beat",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_beat")),
    )


def downgrade() -> None:
    op.drop_table("service_beat")
    op.drop_index("ix_projection_pending", table_name="projection")
    op.drop_table("projection")
