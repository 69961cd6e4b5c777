"""Staff work on clients and contacts: list, balances, create, edit, portal access."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, AuthSession, ClientContact
from portal_app.schemas.staff import ClientForm, ContactForm
from portal_app.services.billing.invoice_math import LineInput
from portal_app.services.company import staff_client_detail, staff_clients
from portal_app.services.identity import auth
from portal_app.services.identity.actor import Actor
from portal_app.services.identity.passwords import verify_password
from tests.helpers.mailbox import deliver
from tests.helpers.staff import add_staff, staff_actor


def _setup(make, role="owner"):
    company = make.company()
    user = add_staff(make.session, company, password_hash="x", role=role)
    return company, staff_actor(user)


def test_list_shows_open_balances_per_currency_and_pages(make, session):
    company, actor = _setup(make)
    acme = make.client(company, name="Acme Ltd")
    make.invoice(acme, currency="USD")  # 240.00 with VAT
    make.invoice(acme, currency="USD", status="partial", paid_minor=40_00)
    make.invoice(acme, currency="EUR")
    make.invoice(acme, currency="USD", status="paid", paid_minor=240_00)
    make.invoice(acme, currency="USD", status="draft")
    make.invoice(acme, currency="USD", status="cancelled")
    for i in range(11):
        make.client(company, name=f"Zed {i:02d}")
    other = make.client(make.company(), name="Acme Elsewhere")
    make.invoice(other)

    first = staff_clients.list_clients(session, actor=actor, page=1, page_size=10)
    assert first.total == 12 and first.has_next and len(first.rows) == 10
    assert first.rows[0].name == "Acme Ltd"
    assert first.rows[0].balances == "€240.00 · $440.00"  # by currency code
    assert first.rows[1].balances == ""
    second = staff_clients.list_clients(session, actor=actor, page=2, page_size=10)
    assert [r.name for r in second.rows] == ["Zed 09", "Zed 10"] and not second.has_next

    found = staff_clients.list_clients(session, actor=actor, search="acme")
    assert [r.name for r in found.rows] == ["Acme Ltd"]
    # LIKE wildcards are plain characters in a search.
    assert staff_clients.list_clients(session, actor=actor, search="%").rows == []
    # Odd paging values fall back to defaults.
    odd = staff_clients.list_clients(session, actor=actor, page=-3, page_size=7)
    assert odd.page == 1 and odd.page_size == 25


def test_search_finds_a_client_by_contact_email(make, session):
    company, actor = _setup(make)
    client = make.client(company, name="Hidden Name")
    make.contact(client, email="findme-contact@example.test")
    rows = staff_clients.list_clients(session, actor=actor, search="FINDME").rows
    assert [r.id for r in rows] == [client.id]


def test_create_and_edit_a_client_checks_every_field(make, session):
    company, actor = _setup(make)
    client = staff_clients.create_client(
        session, actor=actor, form=ClientForm(name="  New  Client ", currency="eur", locale="de_DE")
    )
    assert (client.name, client.currency, client.locale) == ("New Client", "EUR", "de_DE")
    assert client.company_id == company.id
    for form, field in (
        (ClientForm(name=""), "name"),
        (ClientForm(name="x" * 201), "name"),
        (ClientForm(name="A", currency="XXX"), "currency"),
        (ClientForm(name="A", locale="zz_QQ_bad"), "locale"),
        (ClientForm(name="A", email="not-an-email"), "email"),
    ):
        with pytest.raises(ValidationError) as caught:
            staff_clients.create_client(session, actor=actor, form=form)
        assert caught.value.field == field
    updated = staff_clients.update_client(
        session,
        actor=actor,
        client_id=str(client.id),
        form=ClientForm(name="Renamed", city="Oslo", vat_number=" GB 123 "),
    )
    assert updated.name == "Renamed" and updated.city == "Oslo" and updated.vat_number == "GB 123"
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.client_id == client.id)).all()
    assert {"client_created", "client_updated"} <= set(actions)


def test_another_companys_client_and_contact_are_not_found(make, session):
    _, actor = _setup(make)
    foreign = make.client(make.company())
    contact = make.contact(foreign)
    for bad in (foreign.id, "abc", -1, 0, None, 10**15):
        with pytest.raises(NotFoundError):
            staff_clients.update_client(
                session, actor=actor, client_id=bad, form=ClientForm(name="X")
            )
    with pytest.raises(NotFoundError):
        staff_clients.set_contact_password(
            session, actor=actor, contact_id=contact.id, password="long-enough-pass"
        )
    with pytest.raises(NotFoundError):
        staff_client_detail.client_detail(session, actor=actor, client_id=foreign.id)


def test_a_client_actor_is_refused(make, session):
    contact = make.contact(make.client(make.company()))
    client_actor = make.actor(contact)
    assert isinstance(client_actor, Actor)
    with pytest.raises(ReadOnlyError):
        staff_clients.list_clients(session, actor=client_actor)
    with pytest.raises(ReadOnlyError):
        staff_clients.create_client(session, actor=client_actor, form=ClientForm(name="X"))


def test_contacts_add_edit_primary_and_duplicate_email(make, session):
    company, actor = _setup(make)
    client = make.client(company)
    first = staff_clients.add_contact(
        session,
        actor=actor,
        client_id=client.id,
        form=ContactForm(first_name="Ann", email=" Ann@Example.TEST ", is_primary=True),
    )
    assert first.email == "ann@example.test" and first.password_hash is None
    second = staff_clients.add_contact(
        session,
        actor=actor,
        client_id=client.id,
        form=ContactForm(first_name="Bob", email="bob@example.test", is_primary=True),
    )
    session.refresh(first)
    assert second.is_primary and not first.is_primary
    with pytest.raises(ValidationError) as caught:
        staff_clients.add_contact(
            session, actor=actor, client_id=client.id, form=ContactForm(email="ANN@example.test")
        )
    assert caught.value.message == staff_clients.DUPLICATE_EMAIL
    # The same address in another company is fine.
    other_actor = _setup(make)[1]
    other_client = make.client(session.get(type(company), other_actor.company_id))
    staff_clients.add_contact(
        session,
        actor=other_actor,
        client_id=other_client.id,
        form=ContactForm(email="ann@example.test"),
    )


def test_password_set_by_staff_and_access_switched_off_end_sessions(make, session):
    from datetime import timedelta

    company, actor = _setup(make)
    contact = make.contact(make.client(company))
    opened = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1)
    )
    with pytest.raises(ValidationError):
        staff_clients.set_contact_password(
            session, actor=actor, contact_id=contact.id, password="short"
        )
    staff_clients.set_contact_password(
        session, actor=actor, contact_id=contact.id, password="a-brand-new-password"
    )
    assert verify_password("a-brand-new-password", contact.password_hash)
    assert session.get(AuthSession, opened.session_id).revoked_at is not None

    again = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1)
    )
    staff_clients.update_contact(
        session,
        actor=actor,
        contact_id=contact.id,
        form=ContactForm(email=contact.email, portal_enabled=False),
    )
    assert auth.resolve_actor(session, token=again.token) is None
    assert session.get(AuthSession, again.session_id).revoked_at is not None


def test_send_password_link_mails_a_working_link(make, session, mailbox):
    from portal_app.services.identity import password_reset

    company, actor = _setup(make)
    contact = make.contact(make.client(company), password=None)
    token = staff_clients.send_password_link(session, actor=actor, contact_id=contact.id)
    assert mailbox.messages == []  # queued in the outbox with the staff action
    deliver(session)
    assert len(mailbox.messages) == 1 and mailbox.recipients == [[contact.email]]
    body = mailbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert token in body
    password_reset.reset_password(session, token=token, new_password="chosen-by-contact")
    assert verify_password("chosen-by-contact", contact.password_hash)
    contact.portal_enabled = False
    with pytest.raises(ValidationError):
        staff_clients.send_password_link(session, actor=actor, contact_id=contact.id)


def test_client_detail_lists_every_kind_and_recent_activity(make, session):
    company, actor = _setup(make)
    client = make.client(company)
    contact = make.contact(client)
    make.invoice(client, status="draft")
    make.invoice(client, lines=[LineInput("Work", 1000, 50_00, "", 0)])
    make.credit(client, amount_minor=10_00)
    staff_clients.update_client(
        session, actor=actor, client_id=client.id, form=ClientForm(name="Renamed Co")
    )
    view = staff_client_detail.client_detail(session, actor=actor, client_id=client.id)
    assert view.form.name == "Renamed Co"
    assert [c.id for c in view.contacts] == [contact.id]
    assert len(view.invoices) == 2 and {r.status for r in view.invoices} == {"Draft", "Sent"}
    assert view.balances == "$50.00"
    assert len(view.credits) == 1
    assert view.quotes == [] and view.subscriptions == [] and view.payments == []
    assert view.activity[0].action == "client updated"
    assert view.activity[0].who == "Staff: Sam Staff"
    assert session.exec(select(ClientContact).where(ClientContact.client_id == client.id)).all()


def test_only_owners_and_admins_set_a_contacts_password(make, session):
    """Plain staff setting a password could then sign in as the contact with a full session
    (pay with saved cards, approve quotes), around the read-only preview."""
    company, staff = _setup(make, role="staff")
    contact = make.contact(make.client(company))
    before = contact.password_hash
    with pytest.raises(ReadOnlyError):
        staff_clients.set_contact_password(
            session, actor=staff, contact_id=contact.id, password="a-brand-new-password"
        )
    session.refresh(contact)
    assert contact.password_hash == before
    for role in ("owner", "admin"):
        _company, allowed = _setup(make, role=role)
        other = make.contact(make.client(_company))
        staff_clients.set_contact_password(
            session, actor=allowed, contact_id=other.id, password="a-brand-new-password"
        )
