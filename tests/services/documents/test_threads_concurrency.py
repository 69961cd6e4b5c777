"""Two tabs writing the first message about one invoice at the same moment: one thread, both
messages kept, nobody sees an error."""

import threading
from contextlib import contextmanager

from sqlmodel import Session, select

from portal_app.models import DocumentThread, ThreadMessage
from portal_app.services.documents import threads
from tests.conftest import Factory


def test_two_tabs_asking_at_once_share_one_thread(engine):
    with Session(engine, expire_on_commit=False) as session:
        make = Factory(session)
        company = make.company()
        client = make.client(company)
        actor = make.actor(make.contact(client))
        invoice = make.invoice(client)
        session.commit()

    @contextmanager
    def tx():
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tab(body: str, dispute: bool) -> None:
        barrier.wait()
        try:
            with tx() as session:
                threads.post_client_message(
                    session,
                    actor=actor,
                    document_type="invoice",
                    document_id=invoice.id,
                    body=body,
                    dispute=dispute,
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    tabs = [
        threading.Thread(target=tab, args=("From the first tab.", False)),
        threading.Thread(target=tab, args=("From the second tab.", True)),
    ]
    for one in tabs:
        one.start()
    for one in tabs:
        one.join(timeout=60)
    assert errors == []

    with Session(engine) as session:
        (thread,) = session.exec(
            select(DocumentThread).where(DocumentThread.invoice_id == invoice.id)
        ).all()
        bodies = session.exec(
            select(ThreadMessage.body).where(ThreadMessage.thread_id == thread.id)
        ).all()
        assert sorted(bodies) == ["From the first tab.", "From the second tab."]
        assert thread.kind == "dispute" and thread.status == "open"
