"""Client profile (issue 18 item 9): a contact's own phone and "codes only" sign-in
preference, and the company's switch letting contacts edit the client's billing details.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "phone",
                sqlmodel.sql.sqltypes.AutoString(length=50),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("codes_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "allow_client_detail_edits",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("allow_client_detail_edits")
    with op.batch_alter_table("clientcontact", schema=None) as batch_op:
        batch_op.drop_column("codes_only")
        batch_op.drop_column("phone")
