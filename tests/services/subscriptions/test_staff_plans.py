"""Plans and payment links from the staff console: create, edit, refusals, company scope, and a
disabled link refusing sign-ups."""

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError
from portal_app.models import AuditEvent, PlanChangeOption, SubscriptionPlan
from portal_app.services.billing.document_forms import FormErrors
from portal_app.services.subscriptions import signup
from portal_app.services.subscriptions import staff_plans as sp
from portal_app.services.subscriptions.subscriptions import plan_view
from tests.helpers.staff_docs import staff_actor
from tests.helpers.subscriptions import plan


def _form(**kw) -> sp.PlanForm:
    values = {"name": "Pro", "price": "19.90", "currency": "USD", "frequency": "monthly"}
    values.update(kw)
    return sp.PlanForm(**values)


def _key(path: str) -> str:
    return path.rsplit("/", 1)[1]


def test_create_plan_stores_minor_units_and_is_audited(make, session):
    company = make.company()
    staff = staff_actor(session, company, role="admin")
    row = sp.create_plan(
        session,
        actor=staff,
        form=_form(trial_days="14", refund_period_days="7", downgrade_mode="credit_now"),
    )
    assert (row.price_minor, row.currency, row.frequency, row.company_id) == (
        19_90,
        "USD",
        "monthly",
        company.id,
    )
    assert (row.trial_days, row.refund_period_days, row.downgrade_mode) == (14, 7, "credit_now")
    assert row.trial_without_card is False  # a trial asks for a card unless staff say not
    jpy = sp.create_plan(session, actor=staff, form=_form(price="1500", currency="jpy"))
    assert (jpy.price_minor, jpy.currency) == (1500, "JPY")
    kwd = sp.create_plan(session, actor=staff, form=_form(price="1.250", currency="KWD"))
    assert kwd.price_minor == 1250
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == row.id, AuditEvent.action == "subscription_plan.created"
        )
    ).all()
    assert len(events) == 1 and events[0].actor_type == "staff"
    [first] = [p for p in sp.list_plans(session, actor=staff) if p.id == row.id]
    assert (first.price, first.period, first.trial, first.subscribers) == (
        "$19.90",
        "Monthly",
        "14 days",
        0,
    )


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"price": "-5"}, "price"),
        ({"price": "0"}, "price"),
        ({"price": "100000000"}, "price"),
        ({"price": "1e9"}, "price"),
        ({"price": "1.234"}, "price"),
        ({"price": "12.5", "currency": "JPY"}, "price"),
        ({"currency": "XYZ"}, "currency"),
        ({"frequency": "zero"}, "frequency"),
        ({"frequency": ""}, "frequency"),
        ({"trial_days": "-1"}, "trial_days"),
        ({"refund_period_days": "9999"}, "refund_period_days"),
        ({"downgrade_mode": "never"}, "downgrade_mode"),
        ({"name": "  "}, "name"),
    ],
)
def test_wrong_plan_input_is_refused_and_writes_nothing(make, session, kw, field):
    company = make.company()
    staff = staff_actor(session, company, role="admin")
    with pytest.raises(FormErrors) as caught:
        sp.create_plan(session, actor=staff, form=_form(**kw))
    assert field in caught.value.errors
    assert (
        session.exec(
            select(SubscriptionPlan).where(SubscriptionPlan.company_id == company.id)
        ).all()
        == []
    )


def test_edit_plan_changes_price_and_change_targets(make, session):
    company = make.company()
    staff = staff_actor(session, company, role="admin")
    basic = sp.create_plan(session, actor=staff, form=_form(name="Basic", price="10"))
    pro = sp.create_plan(session, actor=staff, form=_form(name="Pro", price="20"))
    yearly = sp.create_plan(session, actor=staff, form=_form(name="Y", frequency="yearly"))
    sp.update_plan(
        session,
        actor=staff,
        plan_id=str(basic.id),
        form=_form(name="Basic", price="12.00", allow_plan_change=True, change_to=[str(pro.id)]),
    )
    session.refresh(basic)
    assert basic.price_minor == 12_00 and basic.allow_plan_change
    options = session.exec(
        select(PlanChangeOption.target_plan_id).where(PlanChangeOption.plan_id == basic.id)
    ).all()
    assert list(options) == [pro.id]
    form = sp.edit_form(session, actor=staff, plan_id=basic.id)
    assert (form.price, form.change_to) == ("12.00", [str(pro.id)])
    # Another period or the plan itself cannot be a change target.
    for bad in (yearly.id, basic.id):
        with pytest.raises(FormErrors) as caught:
            sp.update_plan(
                session,
                actor=staff,
                plan_id=basic.id,
                form=_form(name="Basic", allow_plan_change=True, change_to=[str(bad)]),
            )
        assert "change_to" in caught.value.errors


def test_a_plan_with_subscribers_keeps_currency_and_period(make, session, today):
    company = make.company()
    staff = staff_actor(session, company, role="admin")
    row = sp.create_plan(session, actor=staff, form=_form())
    link = sp.create_link(session, actor=staff, plan_id=row.id)
    actor = make.actor(make.contact(make.client(company)))
    signup.subscribe(
        session, actor=actor, key=_key(sp.list_links(session, actor=staff)[0].path), today=today
    )
    assert link.is_active
    with pytest.raises(FormErrors) as caught:
        sp.update_plan(
            session, actor=staff, plan_id=row.id, form=_form(currency="EUR", frequency="yearly")
        )
    assert set(caught.value.errors) == {"currency", "frequency"}
    sp.update_plan(session, actor=staff, plan_id=row.id, form=_form(price="25"))
    session.refresh(row)
    assert row.price_minor == 25_00


def test_another_companys_plan_and_link_are_not_found(make, session):
    mine = staff_actor(session, make.company(), role="admin")
    other_company = make.company()
    theirs = plan(session, other_company)
    other_staff = staff_actor(session, other_company, role="admin")
    their_link = sp.create_link(session, actor=other_staff, plan_id=theirs.id)
    for call in (
        lambda: sp.update_plan(session, actor=mine, plan_id=theirs.id, form=_form()),
        lambda: sp.edit_form(session, actor=mine, plan_id=theirs.id),
        lambda: sp.create_link(session, actor=mine, plan_id=theirs.id),
        lambda: sp.set_plan_active(session, actor=mine, plan_id=theirs.id, active=False),
        lambda: sp.set_link_active(session, actor=mine, link_id=their_link.id, active=False),
        lambda: sp.update_plan(session, actor=mine, plan_id="abc", form=_form()),
        lambda: sp.update_plan(session, actor=mine, plan_id=2**40, form=_form()),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert sp.list_plans(session, actor=mine) == []
    assert sp.list_links(session, actor=mine) == []
    contact = make.actor(make.contact(make.client(other_company)))
    with pytest.raises(ReadOnlyError):
        sp.create_plan(session, actor=contact, form=_form())


def test_a_disabled_link_refuses_sign_up_and_enabling_brings_it_back(make, session, today):
    company = make.company()
    staff = staff_actor(session, company, role="admin")
    # A trial without a card (the form's setting), so the sign-ups below need none.
    row = sp.create_plan(session, actor=staff, form=_form(trial_days="7", trial_without_card=True))
    assert row.trial_without_card
    assert sp.edit_form(session, actor=staff, plan_id=row.id).trial_without_card
    link = sp.create_link(session, actor=staff, plan_id=row.id)
    [listed] = sp.list_links(session, actor=staff)
    assert listed.path == f"/subscribe/{link.key}" and listed.active
    assert plan_view(session, key=link.key).name == "Pro"
    sp.set_link_active(session, actor=staff, link_id=link.id, active=False)
    actor = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        signup.subscribe(session, actor=actor, key=link.key, today=today)
    with pytest.raises(NotFoundError):
        plan_view(session, key=link.key)
    sp.set_link_active(session, actor=staff, link_id=link.id, active=True)
    start = signup.subscribe(session, actor=actor, key=link.key, today=today)
    assert start.trialing
    # A plan no longer offered refuses new links and sign-ups through the old ones.
    sp.set_plan_active(session, actor=staff, plan_id=row.id, active=False)
    with pytest.raises(FormErrors):
        sp.create_link(session, actor=staff, plan_id=row.id)
    other = make.actor(make.contact(make.client(company)))
    with pytest.raises(NotFoundError):
        signup.subscribe(session, actor=other, key=link.key, today=today)
    actions = set(
        session.exec(select(AuditEvent.action).where(AuditEvent.company_id == company.id)).all()
    )
    assert {"payment_link.created", "payment_link.disabled", "payment_link.enabled"} <= actions


def test_plan_pause_rule_is_saved_and_a_wrong_bound_is_refused_at_its_field(make, session):
    """Issue 22 item 7: whether clients may pause, and for at most how many periods."""
    company = make.company()
    staff = staff_actor(session, company, role="admin")
    row = sp.create_plan(session, actor=staff, form=_form())
    assert (row.allow_pause, row.max_pause_periods) == (False, 3)
    for bad in ("0", "13", "-1", "two", ""):
        with pytest.raises(FormErrors) as refused:
            sp.update_plan(
                session,
                actor=staff,
                plan_id=row.id,
                form=_form(allow_pause=True, max_pause_periods=bad),
            )
        assert set(refused.value.errors) == {"max_pause_periods"}
    session.refresh(row)
    assert (row.allow_pause, row.max_pause_periods) == (False, 3)
    sp.update_plan(
        session, actor=staff, plan_id=row.id, form=_form(allow_pause=True, max_pause_periods="6")
    )
    form = sp.edit_form(session, actor=staff, plan_id=row.id)
    assert (form.allow_pause, form.max_pause_periods) == (True, "6")
    # Switched off, the bound is kept (and not checked) for switching it on again.
    sp.update_plan(
        session, actor=staff, plan_id=row.id, form=_form(allow_pause=False, max_pause_periods="x")
    )
    session.refresh(row)
    assert (row.allow_pause, row.max_pause_periods) == (False, 6)
