"""The card label a checkout charged (for receipts of cards that were not kept).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "method_label",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_column("method_label")
