"""A recurring invoice with lines, for job, service and browser tests."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from portal_app.core.money import percent_of
from portal_app.models import Client, RecurringInvoice, RecurringInvoiceLine
from portal_app.services.billing.invoice_math import line_net_minor


def add_recurring(
    session: Session,
    client: Client,
    *,
    number: str,
    start_date: date,
    frequency: str = "monthly",
    status: str = "active",
    remaining_cycles: int | None = None,
    issued_count: int = 0,
    next_send_date: date | None = None,
    auto_bill: str = "off",
    auto_bill_enabled: bool = False,
    currency: str = "USD",
    unit_price_minor: int = 50_00,
    tax_rate_bp: int = 1000,
    due_days: int = 14,
    **kw,
) -> RecurringInvoice:
    """An active schedule with one taxed line; next send date defaults to the start date."""
    net = line_net_minor(1000, unit_price_minor)
    tax = percent_of(net, tax_rate_bp)
    schedule = RecurringInvoice(
        company_id=client.company_id,
        client_id=client.id,
        number=number,
        status=status,
        frequency=frequency,
        currency=currency,
        start_date=start_date,
        next_send_date=next_send_date if next_send_date is not None else start_date,
        remaining_cycles=remaining_cycles,
        issued_count=issued_count,
        due_days=due_days,
        auto_bill=auto_bill,
        auto_bill_enabled=auto_bill_enabled,
        subtotal_minor=net,
        tax_minor=tax,
        amount_minor=net + tax,
        **kw,
    )
    session.add(schedule)
    session.flush()
    session.add(
        RecurringInvoiceLine(
            recurring_invoice_id=schedule.id,
            position=1,
            description="Hosting",
            quantity_milli=1000,
            unit_price_minor=unit_price_minor,
            tax_name="VAT" if tax_rate_bp else "",
            tax_rate_bp=tax_rate_bp,
            net_minor=net,
            tax_minor=tax,
        )
    )
    session.flush()
    return schedule
