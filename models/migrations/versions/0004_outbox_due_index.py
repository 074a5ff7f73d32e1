"""The sweep's question, "which pending rows are due now?", answered by an index on
(status, next_attempt_at): with the index on (status, due_at) alone, every pending row of the
outbox was visited (1.3 s among a million rows).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_notification_pending", "notification", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_pending", table_name="notification")
