"""Money integrity: CHECK constraints for what one row can hold, credit holds of checkouts,
plan-change credits tied to the payment of their period, and charge attempts of a checkout.

`payment.applied_minor` becomes what is on invoices now (card allocations net of their
refunds), so `applied + refunded <= amount` can be a CHECK; existing rows are converted.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# applied_minor -/+ what was refunded off the payment's card allocations.
_APPLIED_NET = (
    "UPDATE payment SET applied_minor = applied_minor - "
    "(SELECT COALESCE(SUM(a.refunded_minor), 0) FROM payment_allocation a "
    "WHERE a.payment_id = payment.id AND a.credit_id IS NULL)"
)
_APPLIED_GROSS = (
    "UPDATE payment SET applied_minor = applied_minor + "
    "(SELECT COALESCE(SUM(a.refunded_minor), 0) FROM payment_allocation a "
    "WHERE a.payment_id = payment.id AND a.credit_id IS NULL)"
)


def upgrade() -> None:
    op.execute(_APPLIED_NET)
    op.create_table(
        "credit_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sa.Integer(), nullable=False),
        sa.Column("credit_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="ck_credit_hold_positive"),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkout.id"]),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["credit_id"], ["credit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credit_hold", schema=None) as batch_op:
        batch_op.create_index("ix_credit_hold_checkout_id", ["checkout_id"], unique=False)
        batch_op.create_index("ix_credit_hold_credit_id", ["credit_id"], unique=False)
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("charge_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("credit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voided_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("origin_payment_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_credit_subscription_id", ["subscription_id"], unique=False)
        batch_op.create_index("ix_credit_origin_payment_id", ["origin_payment_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_credit_subscription_id", "subscription", ["subscription_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_credit_origin_payment_id", "payment", ["origin_payment_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "ck_credit_balance_within_amount",
            "balance_minor >= 0 AND voided_minor >= 0 "
            "AND balance_minor + voided_minor <= amount_minor",
        )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_check_constraint("ck_invoice_balance_not_negative", "balance_minor >= 0")
        batch_op.create_check_constraint("ck_invoice_paid_not_negative", "paid_to_date_minor >= 0")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "ck_payment_applied_within_received",
            "amount_minor >= 0 AND applied_minor >= 0 AND refunded_minor >= 0 "
            "AND applied_minor + refunded_minor <= amount_minor",
        )
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "ck_allocation_refund_within_amount",
            "amount_minor > 0 AND refunded_minor >= 0 AND refunded_minor <= amount_minor",
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.drop_constraint("ck_allocation_refund_within_amount", type_="check")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("ck_payment_applied_within_received", type_="check")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint("ck_invoice_paid_not_negative", type_="check")
        batch_op.drop_constraint("ck_invoice_balance_not_negative", type_="check")
    with op.batch_alter_table("credit", schema=None) as batch_op:
        batch_op.drop_constraint("ck_credit_balance_within_amount", type_="check")
        batch_op.drop_constraint("fk_credit_origin_payment_id", type_="foreignkey")
        batch_op.drop_constraint("fk_credit_subscription_id", type_="foreignkey")
        batch_op.drop_index("ix_credit_origin_payment_id")
        batch_op.drop_index("ix_credit_subscription_id")
        batch_op.drop_column("origin_payment_id")
        batch_op.drop_column("subscription_id")
        batch_op.drop_column("voided_minor")
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_column("charge_attempts")
    with op.batch_alter_table("credit_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_hold_credit_id")
        batch_op.drop_index("ix_credit_hold_checkout_id")
    op.drop_table("credit_hold")
    op.execute(_APPLIED_GROSS)
