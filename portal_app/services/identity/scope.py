"""The one scoping rule of every client-side query: the signed-in contact's company and client,
and, for an e-mailed-link session, only the linked document and what hangs off it.

Every service that reads or changes a client-owned table for a contact builds its WHERE clause
from `client_scope` (or fetches one record with `get_client_record`), and adds its own rules
(drafts never shown, visible statuses) beside it. Anything outside the scope is "not found",
never "forbidden". tests/services/identity/test_scope.py fails when a client service compares
`X.client_id == actor.client_id` itself instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import and_, bindparam
from sqlmodel import Session, SQLModel

from portal_app.core.paging import get_scoped
from portal_app.models import Document, Invoice, Payment, PaymentMethod, Quote
from portal_app.services.identity import link_scope
from portal_app.services.identity.actor import Actor

# What an e-mailed-link session may see of each table (services/identity/link_scope.py).
# Other tables add nothing: a link session never opens their modules
# (link_scope.require_module), and a checkout or gateway customer it makes is its own.
_LINK_CONDITIONS: dict[type, Callable[[Actor], Any]] = {
    Invoice: link_scope.invoice_condition,
    Quote: link_scope.quote_condition,
    Payment: lambda actor: link_scope.payment_condition(actor, Payment.id),
    Document: link_scope.document_condition,
    PaymentMethod: link_scope.saved_cards_condition,
}

_Row = TypeVar("_Row", bound=SQLModel)


def client_scope(model: Any, actor: Actor, *, whole_client: bool = False):
    """SQL condition: rows of `model` that belong to the actor's company and client, narrowed
    for an e-mailed-link session to what its link opens.

    `whole_client=True` leaves out the link narrowing, for rows reached through a record the
    caller already fetched within the scope (the invoices a visible payment paid, say) or
    bookkeeping over all of the client's rows; it never widens beyond the client.
    """
    # Any client-owned table (company_id and client_id columns): its columns are SQL here.
    table: Any = model
    company_and_client = and_(
        table.company_id == actor.company_id,
        table.client_id == actor.client_id,
    )
    link_condition = _LINK_CONDITIONS.get(model)
    if whole_client or link_condition is None or not actor.is_link_session:
        return company_and_client
    return and_(company_and_client, link_condition(actor))


def get_client_record(
    session: Session,
    model: type[_Row],
    record_id: object,
    *,
    actor: Actor,
    noun: str,
    where: Any = None,
) -> _Row:
    """The `model` row with this id within `client_scope` (and the module's own `where`, such as
    its visible statuses); NotFoundError(noun) for anything else, a malformed id included."""
    scope = client_scope(model, actor)
    if where is not None:
        scope = and_(scope, where)
    return get_scoped(session, model, scope=scope, record_id=record_id, noun=noun)


# A stand-in actor whose company and client ids are bind parameters ("company_id",
# "client_id"): a statement scoped with it is built once and each call binds the real ids
# (issue 25: building and hashing a statement cost more than running it). Only for the
# client's own sessions; an e-mailed-link session's narrower scope is built per call.
PARAMETER_ACTOR = Actor(
    company_id=cast(int, bindparam("company_id")),
    client_id=cast(int, bindparam("client_id")),
    contact_id=0,
    session_id=0,
    kind="password",
)
