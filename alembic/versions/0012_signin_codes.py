"""E-mailed sign-in codes (stored as keyed hashes) and the company's "codes only" switch.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signin_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["clientcontact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_signin_code_company_id", "signin_code", ["company_id"])
    op.create_index("ix_signin_code_contact_id", "signin_code", ["contact_id"])
    op.create_index("ix_signin_code_email", "signin_code", ["email"])
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("codes_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("codes_only")
    op.drop_index("ix_signin_code_email", table_name="signin_code")
    op.drop_index("ix_signin_code_contact_id", table_name="signin_code")
    op.drop_index("ix_signin_code_company_id", table_name="signin_code")
    op.drop_table("signin_code")
