"""E-invoicing (EN 16931) fields: the company's legal name, country code, IBAN, BIC and payment
terms; a client's country code and buyer reference.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMPANY_COLUMNS = (
    ("legal_name", 200),
    ("country_code", 2),
    ("iban", 34),
    ("bic", 11),
    ("payment_terms", 1000),
)
CLIENT_COLUMNS = (("country_code", 2), ("buyer_reference", 100))


def _add(table: str, columns: tuple[tuple[str, int], ...]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, length in columns:
            batch_op.add_column(
                sa.Column(
                    name,
                    sqlmodel.sql.sqltypes.AutoString(length=length),
                    nullable=False,
                    server_default="",
                )
            )


def _drop(table: str, columns: tuple[tuple[str, int], ...]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, _ in reversed(columns):
            batch_op.drop_column(name)


def upgrade() -> None:
    _add("company", COMPANY_COLUMNS)
    _add("client", CLIENT_COLUMNS)


def downgrade() -> None:
    _drop("client", CLIENT_COLUMNS)
    _drop("company", COMPANY_COLUMNS)
