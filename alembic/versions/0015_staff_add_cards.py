"""Staff may add cards (issue 19 item 3): the company's switch letting staff add a card for a
client from the client's staff page, with the client's agreement recorded in the audit log.
Off for every existing company: it is a policy each business turns on.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "staff_may_add_cards", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("staff_may_add_cards")
