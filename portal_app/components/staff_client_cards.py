"""The "Cards" box of the staff client page (StaffClientCardsState): the client's saved cards
and, where the company allows it, a card form that needs the client's agreement."""

from __future__ import annotations

import reflex as rx

from portal_app.components.accessible import callout
from portal_app.components.card_element import card_box
from portal_app.state.staff_client_cards import MAX_NOTE, StaffClientCardsState
from portal_app.state.translate import _, fill

S = StaffClientCardsState


def _card_row(card) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            fill(_("%(brand)s ending in %(last4)s"), brand=card.brand, last4=card.last4)
        ),
        rx.table.cell(card.expiry),
        rx.table.cell(
            rx.cond(card.is_default, rx.badge(_("Default"), color_scheme="green"), ""),
            rx.cond(card.is_expired, rx.badge(_("Expired"), color_scheme="red"), ""),
        ),
    )


def _add_form() -> rx.Component:
    busy = S.card_busy | S.card_saving
    return rx.vstack(
        rx.checkbox(
            _("The client agreed to this card being added and used for payments."),
            checked=S.card_agreed,
            on_change=S.set_card_agreed,
            disabled=S.card_saving,
            id="card-client-agreed",
        ),
        rx.vstack(
            rx.el.label(_("How the client agreed (optional)"), html_for="card-consent-note"),
            rx.input(
                value=S.card_note,
                on_change=S.set_card_note,
                placeholder=_("e.g. phone call with the account owner"),
                max_length=MAX_NOTE,
                id="card-consent-note",
                width="100%",
                max_width="32em",
            ),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            ~S.card_form_open,
            rx.button(
                rx.icon("credit-card", size=16, aria_hidden="true"),
                _("Add a card"),
                on_click=S.start_card,
                disabled=busy,
                id="staff-add-card",
            ),
        ),
        # Always in the page (hidden until used), so Stripe.js can mount into it.
        rx.box(
            rx.vstack(
                rx.text(_("Card details"), weight="medium"),
                card_box(),
                rx.text(
                    _("The card number goes straight to the card processor; we never see it."),
                    size="1",
                    color_scheme="gray",
                ),
                rx.hstack(
                    rx.button(
                        rx.cond(S.card_saving, rx.spinner(size="2"), rx.icon("lock", size=16)),
                        _("Save card"),
                        on_click=S.save_card,
                        disabled=~S.card_ready | busy,
                        id="staff-save-card",
                    ),
                    rx.button(
                        _("Cancel"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.cancel_card,
                        disabled=S.card_saving,
                    ),
                    spacing="2",
                ),
                spacing="2",
                width="100%",
                align="start",
            ),
            display=rx.cond(S.card_form_open, "block", "none"),
            width="100%",
            max_width="32em",
        ),
        rx.cond(
            S.card_error != "",
            rx.text(
                S.card_error, color_scheme="red", size="2", role="alert", id="staff-card-error"
            ),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def client_cards(client_id) -> rx.Component:
    """A client's saved cards and, where allowed, "Add a card"; `client_id` is an int Var."""
    return rx.vstack(
        rx.heading(_("Cards"), size="4", as_="h2"),
        rx.cond(
            S.cards.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[rx.table.column_header_cell(c) for c in ("Card", "Expires", "")]
                        )
                    ),
                    rx.table.body(rx.foreach(S.cards, _card_row)),
                    width="100%",
                    variant="surface",
                    size="1",
                ),
                width="100%",
                max_width="32em",
                overflow_x="auto",
            ),
            rx.text(_("No saved cards."), size="2", color_scheme="gray"),
        ),
        rx.cond(
            S.card_notice != "",
            callout(S.card_notice, icon="check", color_scheme="green", role="status"),
        ),
        rx.cond(
            S.cards_allowed,
            _add_form(),
            rx.text(S.cards_refusal, size="2", color_scheme="gray", id="staff-cards-refusal"),
        ),
        on_mount=S.show(client_id),
        width="100%",
        spacing="3",
        id="staff-client-cards",
    )
