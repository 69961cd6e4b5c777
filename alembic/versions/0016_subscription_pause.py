"""Clients pause subscriptions (issue 22 item 7): whether a plan lets clients pause and for at
most how many periods (off for every existing plan: a policy each business turns on), and the
day a subscription's pause ends.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscription_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_pause", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("max_pause_periods", sa.Integer(), nullable=False, server_default="3")
        )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pause_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_column("pause_until")
    with op.batch_alter_table("subscription_plan", schema=None) as batch_op:
        batch_op.drop_column("max_pause_periods")
        batch_op.drop_column("allow_pause")
