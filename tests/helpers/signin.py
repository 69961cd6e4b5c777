"""The sign-in binding for tests that hand a session to an HTTP client themselves.

A handoff code is redeemed only by the browser whose binding cookie it was made with (see
portal_app/services/identity/signin_binding.py). Tests that open a session with a service call and
then go through /api/auth/handoff open it with `BINDING` and give their client the cookie.
"""

from __future__ import annotations

from portal_app.services.identity.signin_binding import BINDING_COOKIE, new_binding

# Live for signin_binding.BINDING_SECONDS after the test process imports this.
BINDING = new_binding()


def bind(client, value: str = BINDING) -> str:
    """Give an HTTP client (starlette TestClient, httpx) the binding cookie; return it."""
    client.cookies.set(BINDING_COOKIE, value)
    return value


def binding_cookie(value: str = BINDING) -> dict[str, str]:
    """The binding as a cookie mapping (for an httpx request's `cookies=`)."""
    return {BINDING_COOKIE: value}
