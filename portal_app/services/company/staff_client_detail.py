"""The staff view of one client: its records in every module and its recent portal activity.

Read-only: lists the newest RECENT rows of each kind (the full lists live on their own staff
pages); drafts are included, because staff see everything of their company.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from portal_app.core.card_labels import shown_method_label
from portal_app.core.files import format_size
from portal_app.core.i18n import gettext
from portal_app.core.locale import format_day
from portal_app.core.money import format_money
from portal_app.models import (
    Credit,
    Document,
    Invoice,
    Payment,
    Quote,
    Subscription,
    SubscriptionPlan,
)
from portal_app.schemas.staff import ClientDetailView, RecordRowView
from portal_app.services.company import audit_log
from portal_app.services.company.locale import company_locale
from portal_app.services.company.staff_clients import (
    client_form,
    contact_views,
    format_balances,
    get_client,
    open_balances,
)
from portal_app.services.company.staff_status import staff_status_label
from portal_app.services.identity.actor import StaffActor

RECENT = 50
ACTIVITY = 20


def _label(status: str) -> str:
    return staff_status_label(status)


def _newest(session: Session, model, client_id: int, company_id: int):
    return session.exec(
        select(model)
        .where(model.company_id == company_id, model.client_id == client_id)
        .order_by(col(model.id).desc())
        .limit(RECENT)
    ).all()


def client_detail(session: Session, *, actor: StaffActor, client_id: object) -> ClientDetailView:
    """Everything the staff client page shows; NotFoundError for another company's client."""
    client = get_client(session, actor=actor, client_id=client_id)
    locale = company_locale(session, actor.company_id)
    company_id = actor.company_id

    def money(minor: int, currency: str) -> str:
        return format_money(minor, currency, locale)

    invoices = [
        RecordRowView(
            id=row.id,
            number=row.number,
            date=format_day(row.issue_date, locale),
            status=_label(row.status),
            amount=money(row.amount_minor, row.currency),
            balance=money(row.balance_minor, row.currency),
            extra=format_day(row.due_date, locale),
        )
        for row in _newest(session, Invoice, client.id, company_id)
    ]
    quotes = [
        RecordRowView(
            id=row.id,
            number=row.number,
            date=format_day(row.issue_date, locale),
            status=_label(row.status),
            amount=money(row.amount_minor, row.currency),
            extra=format_day(row.valid_until, locale),
        )
        for row in _newest(session, Quote, client.id, company_id)
    ]
    credits = [
        RecordRowView(
            id=row.id,
            number=row.number,
            date=format_day(row.issue_date, locale),
            status=_label(row.status),
            amount=money(row.amount_minor, row.currency),
            balance=money(row.balance_minor, row.currency),
        )
        for row in _newest(session, Credit, client.id, company_id)
    ]
    payments = [
        RecordRowView(
            id=row.id,
            number=row.number,
            date=format_day(row.paid_at or row.created_at, locale),
            status=_label(row.status),
            amount=money(row.amount_minor, row.currency),
            balance=money(row.amount_minor - row.applied_minor - row.refunded_minor, row.currency),
            extra=shown_method_label(row.method_label, row.method),
        )
        for row in _newest(session, Payment, client.id, company_id)
    ]
    documents = [
        RecordRowView(
            id=row.id,
            number=row.name,
            date=format_day(row.created_at, locale),
            status=gettext("Visible to client") if row.visible_to_client else gettext("Staff only"),
            amount=format_size(row.size_bytes),
            extra=row.uploaded_by,
        )
        for row in _newest(session, Document, client.id, company_id)
    ]
    subscriptions = [
        RecordRowView(
            id=sub.id,
            number=plan.name,
            date=format_day(sub.current_period_start, locale),
            status=_label(sub.status),
            amount=money(plan.price_minor, plan.currency),
            extra=format_day(sub.current_period_end, locale),
        )
        for sub, plan in session.exec(
            select(Subscription, SubscriptionPlan)
            .join(SubscriptionPlan, col(SubscriptionPlan.id) == col(Subscription.plan_id))
            .where(Subscription.company_id == company_id, Subscription.client_id == client.id)
            .order_by(col(Subscription.id).desc())
            .limit(RECENT)
        ).all()
    ]
    balances = open_balances(session, company_id=company_id, client_ids=[client.id])
    activity = audit_log.client_events(
        session, actor=actor, client_id=client.id, page_size=ACTIVITY
    ).rows
    return ClientDetailView(
        id=client.id,
        form=client_form(client),
        balances=format_balances(balances.get(client.id, {}), locale),
        contacts=contact_views(session, actor=actor, client_id=client.id),
        invoices=invoices,
        quotes=quotes,
        credits=credits,
        payments=payments,
        documents=documents,
        subscriptions=subscriptions,
        activity=activity,
    )
