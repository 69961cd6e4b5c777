"""Payment reminders (issue 22 item 3): the company's reminder schedule (days relative to the
due date, empty: none), a contact's opt-out from reminders, and the List-Unsubscribe URL an
outbox message carries as a header.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reminder_days",
                sqlmodel.sql.sqltypes.AutoString(length=50),
                nullable=False,
                server_default="",
            )
        )
    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders_opt_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "list_unsubscribe",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("list_unsubscribe")
    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.drop_column("reminders_opt_out")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("reminder_days")
