"""An invoice whose earlier card payment is still unfinished when its lock lapses is never
charged a second time: autobill reads the earlier intent back from the gateway instead.
Against localstripe; a wrapping gateway makes the bank answer "processing"."""

from dataclasses import replace
from datetime import date, timedelta

from sqlmodel import select

from portal_app.core.db import utcnow
from portal_app.models import AuditEvent, Checkout, Invoice, InvoiceLock, Payment, Subscription
from portal_app.services.payments import checkout as co
from portal_app.services.payments.autobill import autobill_invoice, unfinished_checkouts
from portal_app.services.subscriptions.renewals import run_renewals
from tests.conftest import CARD_3DS, CARD_OK
from tests.helpers.subscriptions import link, plan, saved_card, tx_for


class SlowBank:
    """The real gateway, except that intents answer "processing" while `processing` is set."""

    def __init__(self, gateway, processing=True):
        self._gateway = gateway
        self.processing = processing
        self.created: list[str] = []

    def __getattr__(self, name):
        return getattr(self._gateway, name)

    def create_payment(self, **kw):
        intent = self._gateway.create_payment(**kw)
        self.created.append(intent.intent_ref)
        return replace(intent, status="processing") if self.processing else intent

    def retrieve_payment(self, intent_ref):
        intent = self._gateway.retrieve_payment(intent_ref)
        return replace(intent, status="processing") if self.processing else intent


def _client_with_card(make, session, gateway, browser_card):
    client = make.client(make.company())
    actor = make.actor(make.contact(client, is_primary=True))
    saved_card(session, actor, gateway, browser_card, CARD_OK)
    return client, actor


def _lapse_locks(session, invoice_id):
    for lock in session.exec(select(InvoiceLock).where(InvoiceLock.invoice_id == invoice_id)):
        lock.expires_at = utcnow() - timedelta(minutes=1)
        session.add(lock)
    session.flush()


def _completed(session, client):
    return session.exec(
        select(Payment).where(Payment.client_id == client.id, Payment.status == "completed")
    ).all()


def test_processing_charge_with_lapsed_lock_is_not_charged_again(
    make, session, gateway, browser_card
):
    client, _ = _client_with_card(make, session, gateway, browser_card)
    invoice = make.invoice(client)
    bank = SlowBank(gateway)
    tx = tx_for(session)
    first = autobill_invoice(tx, invoice_id=invoice.id, gateway=bank)
    assert first.status == "processing" and len(bank.created) == 1
    _lapse_locks(session, invoice.id)
    # Runs while the bank still processes: no second intent, no second checkout.
    for _ in range(2):
        again = autobill_invoice(tx, invoice_id=invoice.id, gateway=bank)
        assert again.status == "processing" and again.checkout_id == first.checkout_id
    assert len(bank.created) == 1
    checkouts = session.exec(select(Checkout).where(Checkout.client_id == client.id)).all()
    assert [c.id for c in checkouts] == [first.checkout_id]
    assert session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == invoice.id, AuditEvent.action == "autobill_waiting"
        )
    ).all()
    # The bank finishes: the next run reads the intent back and settles it, still one charge.
    bank.processing = False
    done = autobill_invoice(tx, invoice_id=invoice.id, gateway=bank)
    assert done.status == "paid" and done.checkout_id == first.checkout_id
    assert len(bank.created) == 1
    session.refresh(invoice)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    [payment] = _completed(session, client)
    assert payment.gateway_reference == bank.created[0]
    assert autobill_invoice(tx, invoice_id=invoice.id, gateway=bank).status == "skipped"
    assert len(bank.created) == 1


def _portal_3ds_checkout(make, session, gateway, browser_card):
    """A client (default card 4242) who started paying in the portal with a 3-D Secure card
    and stopped at the challenge: a real requires_action intent at localstripe."""
    client, actor = _client_with_card(make, session, gateway, browser_card)
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_3DS)
    invoice = make.invoice(client)
    started = co.start_checkout(
        session, actor=actor, request=co.CheckoutRequest(invoice_ids=[invoice.id])
    )
    checkout = co.claim_for_charge(
        session, actor=actor, checkout_id=started.checkout_id, method_ref=method_ref
    )
    customer = co.customer_ref_for(session, actor=actor, gateway=gateway)
    intent, _ = co.charge(gateway=gateway, checkout=checkout, customer_ref=customer)
    assert intent.status == "requires_action"
    assert co.record_intent(session, checkout_id=checkout.id, intent=intent).status == (
        "requires_action"
    )
    return client, invoice, checkout.id, intent.intent_ref


def test_a_3ds_checkout_still_in_its_window_blocks_autobill(make, session, gateway, browser_card):
    client, invoice, checkout_id, intent_ref = _portal_3ds_checkout(
        make, session, gateway, browser_card
    )
    bank = SlowBank(gateway, processing=False)
    result = autobill_invoice(tx_for(session), invoice_id=invoice.id, gateway=bank)
    assert result.status == "processing" and bank.created == []
    assert session.get(Checkout, checkout_id).status == "requires_action"
    assert gateway.retrieve_payment(intent_ref).status == "requires_action"


def test_an_abandoned_3ds_checkout_is_cancelled_then_charged_once(
    make, session, gateway, browser_card
):
    client, invoice, checkout_id, intent_ref = _portal_3ds_checkout(
        make, session, gateway, browser_card
    )
    _lapse_locks(session, invoice.id)
    bank = SlowBank(gateway, processing=False)
    result = autobill_invoice(tx_for(session), invoice_id=invoice.id, gateway=bank)
    # The abandoned intent can never take money now; the default card paid the invoice once.
    assert gateway.retrieve_payment(intent_ref).status == "canceled"
    assert session.get(Checkout, checkout_id).status == "failed"
    assert result.status == "paid" and len(bank.created) == 1
    [payment] = _completed(session, client)
    assert payment.gateway_reference == bank.created[0]
    session.refresh(invoice)
    assert invoice.status == "paid"


def test_a_3ds_intent_the_gateway_will_not_cancel_is_waited_for(
    make, session, gateway, browser_card
):
    from portal_app.gateways.base import GatewayError

    client, invoice, checkout_id, intent_ref = _portal_3ds_checkout(
        make, session, gateway, browser_card
    )
    _lapse_locks(session, invoice.id)

    class Refuses(SlowBank):
        def cancel_payment(self, **kw):
            raise GatewayError("This PaymentIntent could not be canceled.")

    bank = Refuses(gateway, processing=False)
    result = autobill_invoice(tx_for(session), invoice_id=invoice.id, gateway=bank)
    assert result.status == "skipped" and bank.created == []
    assert session.get(Checkout, checkout_id).status == "requires_action"


def test_a_failed_earlier_intent_frees_the_invoice_for_a_new_charge(
    make, session, gateway, browser_card
):
    client, _ = _client_with_card(make, session, gateway, browser_card)
    invoice = make.invoice(client)
    bank = SlowBank(gateway)
    first = autobill_invoice(tx_for(session), invoice_id=invoice.id, gateway=bank)
    _lapse_locks(session, invoice.id)

    class BankDeclinedIt(SlowBank):
        def retrieve_payment(self, intent_ref):
            intent = self._gateway.retrieve_payment(intent_ref)
            return replace(intent, status="requires_payment_method", failure_message="Declined")

    retry = BankDeclinedIt(gateway, processing=False)
    result = autobill_invoice(tx_for(session), invoice_id=invoice.id, gateway=retry)
    assert session.get(Checkout, first.checkout_id).status == "failed"
    assert result.status == "paid" and result.checkout_id != first.checkout_id
    assert len(retry.created) == 1


def test_unfinished_checkouts_of_another_client_or_invoice_do_not_count(
    make, session, gateway, browser_card
):
    client, _ = _client_with_card(make, session, gateway, browser_card)
    invoice, other_invoice = make.invoice(client), make.invoice(client)
    autobill_invoice(tx_for(session), invoice_id=invoice.id, gateway=SlowBank(gateway))
    assert [c.status for c in unfinished_checkouts(session, invoice)] == ["processing"]
    assert unfinished_checkouts(session, other_invoice) == []
    other, _ = _client_with_card(make, session, gateway, browser_card)
    assert unfinished_checkouts(session, make.invoice(other)) == []


def test_renewal_job_never_charges_a_processing_renewal_twice(make, session, gateway, browser_card):
    company = make.company()
    client = make.client(company)
    actor = make.actor(make.contact(client))
    basic = plan(session, company, name="Basic")
    method_ref = saved_card(session, actor, gateway, browser_card, CARD_OK)
    from portal_app.services.subscriptions import signup

    jan1, feb1 = date(2026, 1, 1), date(2026, 2, 1)
    start = signup.subscribe(session, actor=actor, key=link(session, basic), today=jan1)
    signup.pay_first_period(
        tx_for(session),
        actor=actor,
        gateway=gateway,
        subscription_id=start.subscription_id,
        method_ref=method_ref,
    )
    bank = SlowBank(gateway)
    first = run_renewals(tx_for(session), bank, feb1)
    assert first == {"issued": 1, "waiting": 1} and len(bank.created) == 1
    [renewal] = session.exec(
        select(Invoice).where(
            Invoice.subscription_id == start.subscription_id, Invoice.issue_date == feb1
        )
    ).all()
    _lapse_locks(session, renewal.id)
    for day in (feb1, feb1 + timedelta(days=1)):
        assert run_renewals(tx_for(session), bank, day) == {"waiting": 1}
    assert len(bank.created) == 1
    bank.processing = False
    assert run_renewals(tx_for(session), bank, feb1 + timedelta(days=2)) == {"paid": 1}
    assert len(bank.created) == 1
    session.refresh(renewal)
    assert renewal.status == "paid"
    assert session.get(Subscription, start.subscription_id).status == "active"
    assert [p.amount_minor for p in _completed(session, client)] == [10_00, 10_00]
