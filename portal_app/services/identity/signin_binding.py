"""The sign-in binding: handoff codes redeemable only by the browser that asked for them.

A Reflex handler cannot set an HttpOnly cookie, so a sign-in (password, staff, staff preview,
e-mailed link) creates its session with a one-time handoff code and sends the browser to
/api/auth/handoff?code=... (or the staff one), which sets the cookie. Without more, that URL
signs in whichever browser opens it: someone could sign in to their own account, stop at the
handoff and send the URL to a victim, whose browser would then be in the attacker's account
(login CSRF: the victim might save a card into it).

So before a page may start a sign-in, the browser holds a *binding*: a random value in a
short-lived HttpOnly, SameSite=Lax cookie (BINDING_COOKIE) set by GET /api/auth/binding. The
handler reads it from the websocket handshake's cookies, the handoff code is stored hashed
together with it (`bound_handoff_hash`), and the handoff routes look the code up with the
binding cookie of the request: a code opened in any other browser finds nothing and signs no
one in (and is not used up, so the browser that asked still can).

The value is "<unix time issued>.<256-bit random token>". The time only lets the pages tell a
binding that is about to expire (the websocket's handshake keeps the cookies of the moment it
connected, the browser drops the cookie after BINDING_SECONDS) and fetch a new one first. It is
no secret and proves nothing by itself: what the attacker lacks is the victim's cookie.
"""

from __future__ import annotations

import time

from portal_app.core.tokens import looks_like_token, new_token, token_hash

BINDING_COOKIE = "portal_signin_binding"
# How long the browser keeps a binding (the cookie's Max-Age and the server's limit).
BINDING_SECONDS = 2 * 60 * 60
# A page starts a sign-in only with a binding the browser keeps at least this much longer, so
# it still sends the cookie at the handoff a few seconds later; else it fetches a new one.
MIN_LEFT_SECONDS = 15 * 60
# Clock skew allowed between the workers that issue and those that check a binding.
_SKEW_SECONDS = 60


def new_binding(now: float | None = None) -> str:
    """A new binding value issued at `now` (default: the current time)."""
    issued = int(time.time() if now is None else now)
    return f"{issued}.{new_token()}"


def _issued_at(value: str | None) -> int | None:
    if not value or len(value) > 120:
        return None
    issued, dot, token = value.partition(".")
    if not dot or not issued.isascii() or not issued.isdigit() or len(issued) > 12:
        return None
    if not looks_like_token(token):
        return None
    return int(issued)


def seconds_left(value: str | None, now: float | None = None) -> float:
    """How long the browser still keeps this binding; 0 for a malformed or expired one."""
    issued = _issued_at(value)
    if issued is None:
        return 0
    now = time.time() if now is None else now
    if issued > now + _SKEW_SECONDS:
        return 0
    return max(0.0, issued + BINDING_SECONDS - now)


def is_live(value: str | None, now: float | None = None) -> bool:
    """Whether a handoff may be redeemed with this binding (well formed, not expired)."""
    return seconds_left(value, now) > 0


def is_fresh(value: str | None, now: float | None = None) -> bool:
    """Whether a page may start a sign-in with this binding (it outlives the handoff)."""
    return seconds_left(value, now) >= MIN_LEFT_SECONDS


def bound_handoff_hash(code: str, binding: str) -> str:
    """What is stored for a handoff code made for the browser holding `binding`."""
    return token_hash(f"{binding}:{code}")
