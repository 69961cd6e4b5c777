"""The session check's memo: modules and locale read once per database session, and never
older than what the same session changed."""

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session

from portal_app.models import Client, Company
from portal_app.services.company import modules
from portal_app.services.company.locale import client_locale
from portal_app.services.identity import auth


@contextmanager
def counted_queries(session):
    statements: list[str] = []
    engine = session.get_bind().engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _signed_in(make, session, *, modules_on: str, client_locale_value: str = ""):
    company = make.company(enabled_modules=modules_on, locale="de_DE")
    client = make.client(company, locale=client_locale_value)
    contact = make.contact(client)
    token = auth.open_session(
        session, contact=contact, kind="password", lifetime=timedelta(hours=1)
    ).token
    # What a new event starts with: nothing of the company or client loaded yet.
    session.expunge_all()
    return company.id, client.id, token


def test_the_session_check_answers_modules_and_locale_without_more_queries(make, session):
    company_id, client_id, token = _signed_in(make, session, modules_on="invoices,payments")
    actor = auth.resolve_actor(session, token=token)
    with counted_queries(session) as statements:
        assert modules.is_enabled(session, company_id=company_id, module="invoices")
        assert not modules.is_enabled(session, company_id=company_id, module="documents")
        assert client_locale(session, actor) == "de_DE"  # the company's, the client has none
    assert statements == []


def test_the_clients_own_locale_wins(make, session):
    _, _, token = _signed_in(make, session, modules_on="invoices", client_locale_value="fr_FR")
    actor = auth.resolve_actor(session, token=token)
    assert client_locale(session, actor) == "fr_FR"


def test_a_change_made_in_the_same_session_is_seen(make, session):
    company_id, client_id, token = _signed_in(make, session, modules_on="invoices")
    actor = auth.resolve_actor(session, token=token)
    company = session.get(Company, company_id)
    company.enabled_modules = "invoices,documents"
    client = session.get(Client, client_id)
    client.locale = "en_GB"
    assert modules.is_enabled(session, company_id=company_id, module="documents")
    assert client_locale(session, actor) == "en_GB"


def test_the_memo_ends_with_its_session(make, session):
    company_id, _, token = _signed_in(make, session, modules_on="invoices")
    auth.resolve_actor(session, token=token)
    session.flush()
    other = Session(bind=session.connection())  # same transaction, a session of its own
    with counted_queries(other) as statements:
        assert modules.is_enabled(other, company_id=company_id, module="invoices")
    assert [s for s in statements if s.startswith("SELECT")] != []  # asked the database
    other.close()
