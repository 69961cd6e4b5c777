"""A contact's choice of optional e-mails (issue 22 item 3): one email_opt_out row per kind a
contact switched off (payment reminders, trial ending, renewals, expiring cards, recurring
invoices). The payment-reminder opt-out of 0017 (clientcontact.reminders_opt_out) becomes a row
of kind "payment_reminder", and the column goes.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["clientcontact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "kind", name="uq_email_opt_out_contact_kind"),
    )
    with op.batch_alter_table("email_opt_out", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_opt_out_contact_id"), ["contact_id"], unique=False
        )
    op.execute(
        "INSERT INTO email_opt_out (company_id, contact_id, kind, created_at) "
        "SELECT company_id, id, 'payment_reminder', CURRENT_TIMESTAMP FROM clientcontact "
        "WHERE reminders_opt_out"
    )
    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.drop_column("reminders_opt_out")


def downgrade() -> None:
    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders_opt_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE clientcontact SET reminders_opt_out = TRUE WHERE id IN "
        "(SELECT contact_id FROM email_opt_out WHERE kind = 'payment_reminder')"
    )
    with op.batch_alter_table("email_opt_out", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_opt_out_contact_id"))
    op.drop_table("email_opt_out")
