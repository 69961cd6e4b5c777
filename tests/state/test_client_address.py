"""The client's address in Reflex event handlers (the Actor's ip, audit rows, throttling).

The router data here is built by Reflex's own code for a socket connection (the same call its
`on_connect` makes), so a Reflex upgrade that changes where the peer address lands fails here.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from reflex.app import EventNamespace
from reflex.istate.data import RouterData
from reflex_base.config import get_config

from portal_app.core.errors import AuthError, ThrottledError
from portal_app.core.settings import get_settings
from portal_app.services.identity import auth
from portal_app.state.portal import PortalState
from portal_app.state.staff import StaffState
from tests.conftest import TEST_PASSWORD

STATES = (PortalState, StaffState)


def _addr(prefix: str) -> str:
    """A fresh address in a documentation range (the throttle remembers addresses)."""
    n = uuid.uuid4().int
    return f"{prefix}::{n % 0xFFFF:x}:{(n >> 16) % 0xFFFF:x}:{(n >> 32) % 0xFFFF:x}"


def _proxy() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 256}.{(n >> 8) % 256}.{(n >> 16) % 256}"


@pytest.fixture
def trusted_proxies(monkeypatch):
    """PORTAL_TRUSTED_PROXIES=10.0.0.0/8 for the test."""
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES")
    get_settings.cache_clear()


@pytest.fixture
def reflex_hops(monkeypatch):
    """Set Reflex's own trusted_proxy_hops (rxconfig / REFLEX_TRUSTED_PROXY_HOPS) for a test."""

    def set_hops(hops: int) -> None:
        monkeypatch.setattr(get_config(), "trusted_proxy_hops", hops)

    return set_hops


def _router(peer: str, forwarded_for: str | None = None) -> RouterData:
    """An event's router data on a socket from `peer`, as Reflex builds it."""
    headers = [(b"host", b"portal.example"), (b"user-agent", b"pytest")]
    if forwarded_for is not None:
        headers.append((b"x-forwarded-for", forwarded_for.encode()))
    environ = {
        "asgi.scope": {"type": "websocket", "client": (peer, 50123), "headers": headers},
        "REMOTE_ADDR": peer,
    }
    static = EventNamespace._build_static_router_data(None, "sid-test", environ)
    return RouterData.from_router_data(static)


def _ip(state, router: RouterData) -> str:
    return state._client_ip(SimpleNamespace(router=router))


def test_reflex_gives_the_socket_peer_and_ignores_forwarded_for_by_default(reflex_hops):
    reflex_hops(0)
    router = _router("203.0.113.9", "198.51.100.7")
    assert router.session.client_ip == "203.0.113.9"


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_a_trusted_proxy_handlers_see_the_forwarded_client(
    trusted_proxies, reflex_hops, hops
):
    reflex_hops(hops)
    router = _router("10.0.0.1", "6.6.6.6, 198.51.100.7")
    for state in STATES:
        assert _ip(state, router) == "198.51.100.7"


@pytest.mark.parametrize("hops", [0, 1])
def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    trusted_proxies, reflex_hops, hops
):
    reflex_hops(hops)
    router = _router("203.0.113.9", "198.51.100.7")
    if hops:
        # Reflex's hop count believes any sender; the portal does not.
        assert router.session.client_ip == "198.51.100.7"
    for state in STATES:
        assert _ip(state, router) == "203.0.113.9"


def test_without_trusted_proxies_the_peer_even_with_reflex_hops_set(reflex_hops):
    reflex_hops(1)
    router = _router("10.0.0.1", "198.51.100.7")
    for state in STATES:
        assert _ip(state, router) == "10.0.0.1"


def _guess(session, router: RouterData, email: str, password: str = "guess-guess-guess"):
    return auth.sign_in(session, email=email, password=password, ip=_ip(PortalState, router))


def _unknown() -> str:
    return f"who-{uuid.uuid4().hex[:12]}@example.test"


def test_behind_a_trusted_proxy_two_clients_are_throttled_separately(
    make, session, trusted_proxies
):
    proxy, first, second = _proxy(), _addr("2001:db8:1"), _addr("2001:db8:2")
    contact = make.contact(make.client(make.company()), email=_unknown())
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(AuthError) as caught:
            _guess(session, _router(proxy, first), _unknown())
        assert type(caught.value) is AuthError
    with pytest.raises(ThrottledError):
        _guess(session, _router(proxy, first), contact.email, TEST_PASSWORD)

    # Another client through the same proxy has its own count.
    with pytest.raises(AuthError) as caught:
        _guess(session, _router(proxy, second), _unknown())
    assert type(caught.value) is AuthError
    assert _guess(session, _router(proxy, second), contact.email, TEST_PASSWORD)


@pytest.mark.parametrize("hops", [0, 1])
def test_a_forged_forwarded_for_does_not_buy_more_guesses(
    make, session, trusted_proxies, reflex_hops, hops
):
    reflex_hops(hops)
    peer = _addr("2001:db8:3")
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(AuthError) as caught:
            _guess(session, _router(peer, _addr("2001:db8:4")), _unknown())
        assert type(caught.value) is AuthError
    with pytest.raises(ThrottledError):
        _guess(session, _router(peer, _addr("2001:db8:4")), _unknown())
