"""Staff add a card for a client, where the company allows it (Company.staff_may_add_cards).

The card goes through the same SetupIntent steps as the client's own "Add a card"
(checkout_flow.setup_new_card and card_from_setup): a SetupIntent for the client's gateway
customer, confirmed by the card element in the staff user's browser, read back from the
gateway and checked to belong to that customer before it is kept. Card data never reaches us.

The client's agreement is required ("client agreed", with an optional note on how) both to
open the card form and to keep the card, and it is recorded with the card in the audit log
("payment_method_added_by_staff", by the staff user). Staff preview stays read-only: this is
a console action on the client's staff page, never something the previewed portal does.

Functions take `tx` (a context-manager factory that commits when its block ends), so no
gateway call happens inside an open transaction.
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from portal_app.core.card_labels import brand_label
from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.i18n import gettext
from portal_app.gateways.base import PaymentGateway
from portal_app.models import Client, ClientContact, Company, PaymentMethod
from portal_app.schemas.payment_method import PaymentMethodView
from portal_app.services.identity.actor import Actor, StaffActor
from portal_app.services.identity.staff_roles import StaffAction, permission, require_role
from portal_app.services.identity.staff_scope import own_row, record, require_staff
from portal_app.services.payments import checkout_flow as flow
from portal_app.services.payments.checkout_flow import Tx
from portal_app.services.payments.payment_methods import list_methods

# The client-side actor the card steps run as: no session, may move money (not a preview).
ON_BEHALF_KIND = "staff_for_client"
POLICY_OFF = "Your company does not let staff add cards for clients (see Settings)."
CONSENT_NEEDED = "Tick that the client agreed to this card being added."
MAX_NOTE = 200
_ATTEMPT = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def staff_may_add_cards(session: Session, *, actor: StaffActor) -> bool:
    """Whether the staff user's company lets staff add cards for clients."""
    require_staff(actor)
    company = session.get(Company, actor.company_id)
    return bool(company and company.staff_may_add_cards)


def card_form_refusal(session: Session, *, actor: StaffActor) -> str:
    """Why this staff user cannot add cards for clients ("" when they can): the company's
    policy, then the role (services/identity/staff_roles.py)."""
    if not staff_may_add_cards(session, actor=actor):
        return POLICY_OFF
    if not actor.may(StaffAction.ADD_CLIENT_CARD):
        return gettext(permission(StaffAction.ADD_CLIENT_CARD).refusal)
    return ""


def client_cards(
    session: Session, *, actor: StaffActor, client_id: object
) -> list[PaymentMethodView]:
    """The client's saved cards as the client sees them (default first); NotFoundError for
    another company's client."""
    require_staff(actor)
    return list_methods(session, actor=_on_behalf(session, actor, client_id))


def _client_actor(session: Session, actor: StaffActor, client_id: object) -> Actor:
    """The company's client as the card steps' actor; ReadOnlyError when the policy is off,
    NotFoundError for another company's client."""
    if not staff_may_add_cards(session, actor=actor):
        raise ReadOnlyError(POLICY_OFF)
    return _on_behalf(session, actor, client_id)


def _on_behalf(session: Session, actor: StaffActor, client_id: object) -> Actor:
    """The company's client as an actor of the client side (its primary contact names the
    gateway customer when one is created); NotFoundError for another company's client."""
    client = own_row(session, Client, client_id, actor, what="client")
    contact = session.exec(
        select(ClientContact)
        .where(ClientContact.client_id == client.id, ClientContact.company_id == actor.company_id)
        .order_by(col(ClientContact.is_primary).desc(), col(ClientContact.id))
    ).first()
    return Actor(
        company_id=actor.company_id,
        client_id=client.id or 0,
        contact_id=(contact.id or 0) if contact else 0,
        session_id=0,
        kind=ON_BEHALF_KIND,
        ip=actor.ip,
    )


def _clean_note(note: object) -> str:
    text = " ".join(str(note or "").split())
    if len(text) > MAX_NOTE:
        raise ValidationError(
            "note", gettext("Say how in at most %(max)d characters.") % {"max": MAX_NOTE}
        )
    return text


def start_card(
    tx: Tx,
    *,
    actor: StaffActor,
    gateway: PaymentGateway,
    client_id: object,
    attempt: object,
    client_agreed: bool,
) -> str:
    """A SetupIntent client secret for the card element, for one attempt (`attempt`, a random
    value of the page, keys the gateway call). Refused without the client's agreement."""
    require_role(actor, StaffAction.ADD_CLIENT_CARD)
    if client_agreed is not True:
        raise ValidationError("consent", CONSENT_NEEDED)
    if not isinstance(attempt, str) or not _ATTEMPT.match(attempt):
        raise ValidationError(
            "card", gettext("The card form could not be prepared. Please try again.")
        )
    with tx() as session:
        on_behalf = _client_actor(session, actor, client_id)
    return flow.setup_new_card(
        tx, actor=on_behalf, gateway=gateway, purpose=f"staff-card-{attempt}"
    )


def add_card(
    tx: Tx,
    *,
    actor: StaffActor,
    gateway: PaymentGateway,
    client_id: object,
    setup_intent_ref: object,
    client_agreed: bool,
    note: object = "",
) -> str:
    """Keep the card a SetupIntent confirmed in the staff user's browser as one of the
    client's cards (the first becomes the default) and record it, with the client's
    agreement, in the audit log. Returns the card as people say it ("Visa ending in 4242")."""
    require_role(actor, StaffAction.ADD_CLIENT_CARD)
    if client_agreed is not True:
        raise ValidationError("consent", CONSENT_NEEDED)
    how = _clean_note(note)
    if not isinstance(setup_intent_ref, str):
        raise ValidationError("card", gettext("The card could not be set up. Please try again."))
    with tx() as session:
        on_behalf = _client_actor(session, actor, client_id)
    method_ref = flow.card_from_setup(
        tx, actor=on_behalf, gateway=gateway, setup_intent_ref=setup_intent_ref, save=True
    )
    with tx() as session:
        method = session.exec(
            select(PaymentMethod).where(
                PaymentMethod.method_ref == method_ref,
                PaymentMethod.client_id == on_behalf.client_id,
                PaymentMethod.company_id == actor.company_id,
                col(PaymentMethod.removed_at).is_(None),
            )
        ).first()
        if method is None:
            raise NotFoundError("payment method")
        record(
            session,
            actor,
            action="payment_method_added_by_staff",
            entity_type="payment_method",
            entity_id=method.id,
            client_id=on_behalf.client_id,
            details={
                "brand": method.brand,
                "last4": method.last4,
                "client_agreed": True,
                "how": how,
            },
        )
        return gettext("%(brand)s ending in %(last4)s") % {
            "brand": brand_label(method.brand),
            "last4": method.last4,
        }
