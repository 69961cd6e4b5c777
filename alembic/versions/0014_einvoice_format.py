"""E-invoice format (issue 21 item 5): a client's preferred format for invoices and credit
notes (plain PDF, hybrid Factur-X PDF, or hybrid and UBL XML), and the format each invoice and
credit note was last e-mailed in.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, default: str) -> sa.Column:
    return sa.Column(
        name,
        sqlmodel.sql.sqltypes.AutoString(length=10),
        nullable=False,
        server_default=default,
    )


def upgrade() -> None:
    # Existing clients keep what they got so far: the hybrid PDF.
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(_text("einvoice_format", "hybrid"))
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(_text("sent_format", ""))
    with op.batch_alter_table("credit", schema=None) as batch_op:
        batch_op.add_column(_text("sent_format", ""))


def downgrade() -> None:
    with op.batch_alter_table("credit", schema=None) as batch_op:
        batch_op.drop_column("sent_format")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("sent_format")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("einvoice_format")
