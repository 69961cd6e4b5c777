"""Shared pieces of the tables: the VARCHAR column type for StrEnum values, the line-item base."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString


class EnumString(TypeDecorator):
    """A StrEnum stored as the same VARCHAR(length) the column always had (not a database enum,
    so adding a value never needs a migration). Rows read back as members of the enum.

    Writes pass plain strings through unchanged, so a filter on a value outside the enum (a
    mistyped list filter) still just matches nothing, as it did before the enum.
    """

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length=length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value.value if isinstance(value, StrEnum) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        # A value the enum does not know (written by older code) is returned as it is stored.
        return self.enum._value2member_map_.get(value, value) if value is not None else None


def enum_field(enum: type[StrEnum], *, default: StrEnum, length: int) -> Any:
    """A non-null column holding one of `enum`'s values, stored as VARCHAR(length)."""
    return Field(default=default, sa_type=EnumString(enum, length))


class LineItem(SQLModel):
    """The columns every document line has (invoice, quote, credit and recurring invoice lines).
    Quantity is in thousandths so it stays an integer; money is in minor units."""

    id: int | None = Field(default=None, primary_key=True)
    position: int = 0
    description: str = Field(max_length=1000)
    quantity_milli: int = 1000
    unit_price_minor: int = Field(default=0, sa_type=BigInteger)
    tax_name: str = Field(default="", max_length=50)
    tax_rate_bp: int = 0
    net_minor: int = Field(default=0, sa_type=BigInteger)
    tax_minor: int = Field(default=0, sa_type=BigInteger)


# The columns copy_lines (services.billing.invoice_math) carries from one document to another.
LINE_ITEM_COLUMNS = tuple(name for name in LineItem.model_fields if name != "id")


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic autogenerate hook: an EnumString column is written into a migration as the plain
    AutoString it is in the database, so migrations never import the portal's models."""
    if type_ == "type" and isinstance(obj, EnumString):
        autogen_context.imports.add("import sqlmodel")
        return f"sqlmodel.sql.sqltypes.AutoString(length={obj.impl.length})"
    return False
