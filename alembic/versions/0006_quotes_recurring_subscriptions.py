"""Quotes with approvals, recurring invoices, subscriptions, payment links, pre-payment
schedules; company settings for registration, pre-payments, quotes, renewals and numbering.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("po_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("terms", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("public_notes", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("footer", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_viewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("declined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "number", name="uq_quote_company_number"),
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quote_client_issue", ["client_id", "issue_date", "id"], unique=False
        )
        batch_op.create_index(
            "ix_quote_company_client_status", ["company_id", "client_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quote_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "quote_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("quantity_milli", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quote.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quote_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_line_quote_id"), ["quote_id"], unique=False)

    op.create_table(
        "subscription_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("frequency", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("trial_days", sa.Integer(), nullable=False),
        sa.Column("allow_cancellation", sa.Boolean(), nullable=False),
        sa.Column("allow_plan_change", sa.Boolean(), nullable=False),
        sa.Column("refund_period_days", sa.Integer(), nullable=False),
        sa.Column("downgrade_mode", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subscription_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_plan_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "payment_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["subscription_plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_payment_link_key"),
    )
    with op.batch_alter_table("payment_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_link_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "plan_change_option",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target_plan_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["subscription_plan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_plan_id"],
            ["subscription_plan.id"],
        ),
        sa.PrimaryKeyConstraint("plan_id", "target_plan_id"),
    )
    op.create_table(
        "recurring_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("frequency", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("next_send_date", sa.Date(), nullable=True),
        sa.Column("last_sent_date", sa.Date(), nullable=True),
        sa.Column("remaining_cycles", sa.Integer(), nullable=True),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("auto_bill", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("auto_bill_enabled", sa.Boolean(), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("po_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("terms", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("public_notes", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("cancel_requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company_id", "number", name="uq_recurring_company_number"),
    )
    with op.batch_alter_table("recurring_invoice", schema=None) as batch_op:
        batch_op.create_index("ix_recurring_due", ["status", "next_send_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_recurring_invoice_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recurring_invoice_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "prepayment_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("frequency", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("next_date", sa.Date(), nullable=True),
        sa.Column("issued_count", sa.Integer(), nullable=False),
        sa.Column("remaining_cycles", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["clientcontact.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_method.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("prepayment_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prepayment_schedule_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "quote_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("terms_accepted", sa.Boolean(), nullable=False),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("po_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["clientcontact.id"],
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quote.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("quote_id"),
    )
    op.create_table(
        "recurring_invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recurring_invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("quantity_milli", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recurring_invoice_id"],
            ["recurring_invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recurring_invoice_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recurring_invoice_line_recurring_invoice_id"),
            ["recurring_invoice_id"],
            unique=False,
        )

    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("current_period_start", sa.Date(), nullable=False),
        sa.Column("current_period_end", sa.Date(), nullable=False),
        sa.Column("trial_ends_on", sa.Date(), nullable=True),
        sa.Column("recurring_invoice_id", sa.Integer(), nullable=True),
        sa.Column("pending_plan_id", sa.Integer(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("next_retry_on", sa.Date(), nullable=True),
        sa.Column("cancel_requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("cancel_at", sa.Date(), nullable=True),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["clientcontact.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pending_plan_id"],
            ["subscription_plan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["subscription_plan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recurring_invoice_id"],
            ["recurring_invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_company_client", ["company_id", "client_id"], unique=False
        )

    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("terms_accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )

    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_registration", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "registration_required_fields",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "registration_terms",
                sqlmodel.sql.sqltypes.AutoString(length=4000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("prepayment_min_minor", sa.BigInteger(), nullable=False, server_default="100")
        )
        batch_op.add_column(
            sa.Column(
                "prepayment_max_minor", sa.BigInteger(), nullable=False, server_default="10000000"
            )
        )
        batch_op.add_column(
            sa.Column(
                "quote_terms",
                sqlmodel.sql.sqltypes.AutoString(length=4000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("quote_terms_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column(
                "require_quote_terms", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "require_quote_signature", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "convert_approved_quotes", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
        batch_op.add_column(
            sa.Column("allow_quote_decline", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column(
                "subscription_cancel_mode",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="self",
            )
        )
        batch_op.add_column(
            sa.Column(
                "renewal_retry_days",
                sqlmodel.sql.sqltypes.AutoString(length=50),
                nullable=False,
                server_default="1,3,7",
            )
        )
        batch_op.add_column(
            sa.Column(
                "cancel_after_failed_retries",
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            )
        )
        batch_op.add_column(
            sa.Column("next_invoice_number", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("next_quote_number", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("next_credit_number", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("next_recurring_number", sa.Integer(), nullable=False, server_default="1")
        )

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quote_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_document_quote_id"), ["quote_id"], unique=False)
        batch_op.create_foreign_key("fk_document_quote_id", "quote", ["quote_id"], ["id"])

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recurring_invoice_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_invoice_recurring_invoice_id"), ["recurring_invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_subscription_id"), ["subscription_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_invoice_recurring_invoice_id", "recurring_invoice", ["recurring_invoice_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_invoice_subscription_id", "subscription", ["subscription_id"], ["id"]
        )

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "notes",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("prepayment_schedule_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_payment_prepayment_schedule_id",
            "prepayment_schedule",
            ["prepayment_schedule_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payment_prepayment_schedule_id", type_="foreignkey")
        batch_op.drop_column("prepayment_schedule_id")
        batch_op.drop_column("notes")

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invoice_subscription_id", type_="foreignkey")
        batch_op.drop_constraint("fk_invoice_recurring_invoice_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invoice_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_recurring_invoice_id"))
        batch_op.drop_column("subscription_id")
        batch_op.drop_column("recurring_invoice_id")

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint("fk_document_quote_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_document_quote_id"))
        batch_op.drop_column("quote_id")

    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("next_recurring_number")
        batch_op.drop_column("next_credit_number")
        batch_op.drop_column("next_quote_number")
        batch_op.drop_column("next_invoice_number")
        batch_op.drop_column("cancel_after_failed_retries")
        batch_op.drop_column("renewal_retry_days")
        batch_op.drop_column("subscription_cancel_mode")
        batch_op.drop_column("allow_quote_decline")
        batch_op.drop_column("convert_approved_quotes")
        batch_op.drop_column("require_quote_signature")
        batch_op.drop_column("require_quote_terms")
        batch_op.drop_column("quote_terms_version")
        batch_op.drop_column("quote_terms")
        batch_op.drop_column("prepayment_max_minor")
        batch_op.drop_column("prepayment_min_minor")
        batch_op.drop_column("registration_terms")
        batch_op.drop_column("registration_required_fields")
        batch_op.drop_column("allow_registration")

    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("terms_accepted_at")

    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_company_client")

    op.drop_table("subscription")
    with op.batch_alter_table("recurring_invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_invoice_line_recurring_invoice_id"))

    op.drop_table("recurring_invoice_line")
    op.drop_table("quote_approval")
    with op.batch_alter_table("prepayment_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prepayment_schedule_client_id"))

    op.drop_table("prepayment_schedule")
    with op.batch_alter_table("recurring_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_invoice_company_id"))
        batch_op.drop_index(batch_op.f("ix_recurring_invoice_client_id"))
        batch_op.drop_index("ix_recurring_due")

    op.drop_table("recurring_invoice")
    op.drop_table("plan_change_option")
    with op.batch_alter_table("payment_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_link_company_id"))

    op.drop_table("payment_link")
    with op.batch_alter_table("subscription_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_plan_company_id"))

    op.drop_table("subscription_plan")
    with op.batch_alter_table("quote_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_line_quote_id"))

    op.drop_table("quote_line")
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_quote_company_id"))
        batch_op.drop_index("ix_quote_company_client_status")
        batch_op.drop_index("ix_quote_client_issue")

    op.drop_table("quote")
