"""The activity page lists questions and disputes: who asked or disputed, and that the company's
staff answered or resolved (never which colleague); follow-up messages are not listed."""

from portal_app.services.company import client_activity
from portal_app.services.documents import threads
from tests.helpers.quotes import add_quote
from tests.helpers.staff_docs import staff_actor


def test_questions_disputes_answers_and_resolutions(make, session):
    company = make.company(name="Northwind Studio")
    client = make.client(company)
    ann = make.contact(client, first_name="Ann", last_name="Lee")
    invoice = make.invoice(client, number="INV-ASK-1")
    quote = add_quote(session, client, number="Q-ASK-1")
    staff = staff_actor(session, company)

    def write(kind, record, body, dispute=False):
        threads.post_client_message(
            session,
            actor=make.actor(ann),
            document_type=kind,
            document_id=record.id,
            body=body,
            dispute=dispute,
        )

    write("quote", quote, "Is the hosting included?")
    threads.post_staff_answer(
        session, actor=staff, document_type="quote", document_id=quote.id, body="Yes."
    )
    write("quote", quote, "Thanks.")  # a follow-up: not listed
    write("invoice", invoice, "Two days were billed twice.", dispute=True)
    threads.resolve_thread(session, actor=staff, document_type="invoice", document_id=invoice.id)

    texts = [row.text for row in client_activity.list_activity(session, actor=make.actor(ann)).rows]
    assert sorted(texts) == sorted(
        [
            "Ann Lee asked a question about Q-ASK-1.",
            "Northwind Studio staff answered a question about Q-ASK-1.",
            "Ann Lee disputed invoice INV-ASK-1.",
            "Northwind Studio staff marked the conversation about INV-ASK-1 as resolved.",
        ]
    )
    kinds = {row.kind for row in client_activity.list_activity(session, actor=make.actor(ann)).rows}
    assert kinds == {"message"}
