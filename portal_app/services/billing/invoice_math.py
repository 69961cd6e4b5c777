"""Invoice totals from lines: integer minor units only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from portal_app.core.money import percent_of
from portal_app.models import LINE_ITEM_COLUMNS, Invoice, InvoiceLine, LineItem

L = TypeVar("L", bound=LineItem)


@dataclass(frozen=True, slots=True)
class LineInput:
    description: str
    quantity_milli: int
    unit_price_minor: int
    tax_name: str = ""
    tax_rate_bp: int = 0


def line_net_minor(quantity_milli: int, unit_price_minor: int) -> int:
    """Quantity (thousandths) times unit price, rounded half up to a minor unit."""
    numerator = quantity_milli * unit_price_minor
    quotient, remainder = divmod(abs(numerator), 1000)
    if remainder * 2 >= 1000:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def build_lines(inputs: list[LineInput]) -> list[InvoiceLine]:
    """InvoiceLine rows with net and tax computed per line."""
    lines = []
    for position, item in enumerate(inputs, start=1):
        net = line_net_minor(item.quantity_milli, item.unit_price_minor)
        lines.append(
            InvoiceLine(
                position=position,
                description=item.description,
                quantity_milli=item.quantity_milli,
                unit_price_minor=item.unit_price_minor,
                tax_name=item.tax_name,
                tax_rate_bp=item.tax_rate_bp,
                net_minor=net,
                tax_minor=percent_of(net, item.tax_rate_bp),
            )
        )
    return lines


def apply_totals(invoice: Invoice, lines: list[InvoiceLine], paid_minor: int = 0) -> None:
    """Set subtotal, tax, amount, paid to date and balance on `invoice` from its lines."""
    invoice.subtotal_minor = sum(line.net_minor for line in lines)
    invoice.tax_minor = sum(line.tax_minor for line in lines)
    invoice.amount_minor = invoice.subtotal_minor + invoice.tax_minor
    invoice.paid_to_date_minor = paid_minor
    invoice.balance_minor = invoice.amount_minor - paid_minor


def copy_lines(lines: Iterable[LineItem], into: type[L], **parent: Any) -> list[L]:
    """New `into` rows (not yet added) with every line column of `lines` copied as it is, in order.

    `parent` names the document the copies belong to, e.g. `invoice_id=invoice.id`. Positions,
    nets and taxes are kept, so the copy totals exactly what the source did.
    """
    return [
        into(**{name: getattr(line, name) for name in LINE_ITEM_COLUMNS}, **parent)
        for line in lines
    ]
