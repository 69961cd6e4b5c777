"""The three pages that charge a card share one flow (state/card_payment.py): no copy left."""

from __future__ import annotations

import ast
import inspect

import pytest

from portal_app.pages.client import pay, prepayment, subscribe
from portal_app.pages.client.pay import PayState
from portal_app.pages.client.prepayment import PrepaymentState
from portal_app.pages.client.subscribe import SubscribeState
from portal_app.state.card_payment import CardPaymentMixin

PAGES = [(PayState, pay), (PrepaymentState, prepayment), (SubscribeState, subscribe)]
HANDLERS = ("card_mounted", "choose_card", "card_confirmed", "authenticated")
# The flow's steps and helpers: defined once, in the mixin.
FLOW = (
    "_pay_with_card",
    "_charge",
    "_after",
    "_mount_card",
    "_offer_cards",
    "_reset_card_payment",
    "_begin_processing",
    "_chosen_method_id",
    "_handler",
    "_stop",
    "_fail_card",
)
# What each page provides.
HOOKS = ("_charge_call", "_confirm_call", "_paid_url", "_pending_note")


@pytest.mark.parametrize("state", [s for s, _ in PAGES], ids=lambda s: s.__name__)
def test_page_states_run_the_mixins_handlers(state):
    assert issubclass(state, CardPaymentMixin)
    for name in HANDLERS:
        # Reflex copies a mixin's handler onto each State: the same code, bound to the page.
        page_fn = state.event_handlers[name].fn
        assert page_fn.__code__ is CardPaymentMixin.__dict__[name].__code__, name
    for name in FLOW:
        assert getattr(state, name) is getattr(CardPaymentMixin, name), name
    for name in HOOKS:
        assert name in vars(state), f"{state.__name__} does not provide {name}"


@pytest.mark.parametrize("module", [m for _, m in PAGES], ids=lambda m: m.__name__)
def test_no_page_builds_the_card_steps_itself(module):
    """The browser calls and the card services are reached through the mixin only."""
    tree = ast.parse(inspect.getsource(module))
    names = {
        node.id if isinstance(node, ast.Name) else node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Name | ast.Attribute)
    }
    copied = {
        "confirm_setup_script",
        "confirm_payment_script",
        "mount_script",
        "mount_when_ready",
        "mount_when_ready_script",
        "parse_result",
        "allowed_choice",
        "setup_new_card",
        "card_from_setup",
        "forget_card",
        "method_ref_of",
    } & names
    assert not copied, f"{module.__name__} repeats the card flow: {sorted(copied)}"


@pytest.mark.parametrize("state", [s for s, _ in PAGES], ids=lambda s: s.__name__)
def test_the_callbacks_name_the_pages_own_handlers(state):
    """A script's callback must reach the page that sent it (not the mixin, which has no
    instance of its own)."""
    handler = state.card_confirmed
    assert handler.state_full_name == state.get_full_name()
