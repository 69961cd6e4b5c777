"""Every error a service raises on purpose is a PortalError with words for the user."""

from __future__ import annotations

import pytest

from portal_app.core.errors import (
    AuthError,
    NotFoundError,
    PortalError,
    ReadOnlyError,
    ThrottledError,
    ValidationError,
)


@pytest.mark.parametrize(
    "error", [NotFoundError, AuthError, ThrottledError, ValidationError, ReadOnlyError]
)
def test_every_service_error_is_a_portal_error(error):
    assert issubclass(error, PortalError)


def test_not_found_names_what_was_looked_for_and_nothing_else():
    assert NotFoundError("invoice").user_message == "We could not find that invoice."
    assert NotFoundError().user_message == "We could not find that page."


def test_a_message_given_is_the_message_shown_else_the_default():
    assert AuthError("Wrong e-mail or password.").user_message == "Wrong e-mail or password."
    assert ReadOnlyError().user_message == "This view is read-only."
    error = ValidationError("amount", "Enter an amount above zero.")
    assert (error.field, error.message, error.user_message) == (
        "amount",
        "Enter an amount above zero.",
        "Enter an amount above zero.",
    )
