"""Unapplied payment money used at checkout (issue 18 item 6): payment.held_minor and the
payment_hold rows of open checkouts, checkout.prepaid_minor.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="ck_payment_hold_positive"),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkout.id"]),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payment_hold", schema=None) as batch_op:
        batch_op.create_index("ix_payment_hold_checkout_id", ["checkout_id"], unique=False)
        batch_op.create_index("ix_payment_hold_payment_id", ["payment_id"], unique=False)
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prepaid_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("held_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.create_check_constraint(
            "ck_payment_held_within_unapplied",
            "held_minor >= 0 AND applied_minor + refunded_minor + held_minor <= amount_minor",
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("ck_payment_held_within_unapplied", type_="check")
        batch_op.drop_column("held_minor")
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_column("prepaid_minor")
    with op.batch_alter_table("payment_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_hold_payment_id")
        batch_op.drop_index("ix_payment_hold_checkout_id")
    op.drop_table("payment_hold")
