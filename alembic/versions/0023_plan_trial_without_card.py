"""A plan's trial without a card (issue 18 item 7): subscription_plan.trial_without_card.
Existing plans ask for a card when a trial starts (False), as their page always promised.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscription_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("trial_without_card", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription_plan", schema=None) as batch_op:
        batch_op.drop_column("trial_without_card")
