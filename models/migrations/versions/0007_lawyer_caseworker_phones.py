"""The lawyer's and the caseworker's mobiles (encrypted, like every contact): the shortest
windows (detention, extreme urgency, an order's extension) reach them by SMS too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("lawyer_phone", sa.Text(), nullable=True))
        batch.add_column(sa.Column("caseworker_phone", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("caseworker_phone")
        batch.drop_column("lawyer_phone")
