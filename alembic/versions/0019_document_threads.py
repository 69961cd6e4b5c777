"""Questions and disputes on an invoice or quote (issue 22 item 4): one thread per document and
its messages, written by a contact or a staff user, with an optional attached document.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("quote_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("awaiting_staff", sa.Boolean(), nullable=False),
        sa.Column("last_message_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolved_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(invoice_id IS NULL) <> (quote_id IS NULL)", name="ck_document_thread_one_document"
        ),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.ForeignKeyConstraint(["quote_id"], ["quote.id"]),
        sa.ForeignKeyConstraint(["resolved_by_staff_id"], ["staffuser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id"),
        sa.UniqueConstraint("quote_id"),
    )
    with op.batch_alter_table("document_thread", schema=None) as batch_op:
        batch_op.create_index(
            "ix_document_thread_company_status",
            ["company_id", "status", "last_message_at"],
            unique=False,
        )
        batch_op.create_index("ix_document_thread_client_id", ["client_id"], unique=False)
    op.create_table(
        "document_thread_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(contact_id IS NULL) <> (staff_user_id IS NULL)",
            name="ck_document_thread_message_one_author",
        ),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["clientcontact.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.ForeignKeyConstraint(["staff_user_id"], ["staffuser.id"]),
        sa.ForeignKeyConstraint(["thread_id"], ["document_thread.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document_thread_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_document_thread_message_thread_time",
            ["thread_id", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("document_thread_message", schema=None) as batch_op:
        batch_op.drop_index("ix_document_thread_message_thread_time")
    op.drop_table("document_thread_message")
    with op.batch_alter_table("document_thread", schema=None) as batch_op:
        batch_op.drop_index("ix_document_thread_client_id")
        batch_op.drop_index("ix_document_thread_company_status")
    op.drop_table("document_thread")
