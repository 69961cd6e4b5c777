"""Indexes for the ledger stamp (issue 23 item 6, issue 25): the latest updated_at and the row
count of a client's invoices and payments (services/payments/ledger_stamp.py), read on every
list load and by the live pages' poll, answered from an index instead of the client's rows
(bench/README.md, invoice_list.py).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_invoice_client_stamp", "invoice", ["client_id", "company_id", "updated_at"])
    op.create_index("ix_payment_client_stamp", "payment", ["client_id", "company_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_payment_client_stamp", table_name="payment")
    op.drop_index("ix_invoice_client_stamp", table_name="invoice")
