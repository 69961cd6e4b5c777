"""The HTTP routes' idea of the client's address (the Actor's ip) behind a reverse proxy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.requests import Request

from portal_app.api import routes as api_routes
from portal_app.api import signin
from portal_app.client_address import request_origin
from portal_app.core.settings import get_settings
from portal_app.services.identity import auth


def _request(peer: str, *forwarded_for: str, cookie: str = "") -> Request:
    headers = [(b"host", b"portal.example")]
    # A proxy chain may send the header more than once; the lines read as one list.
    headers += [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    if cookie:
        headers.append((b"cookie", f"{get_settings().session_cookie_name}={cookie}".encode()))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/health",
        "query_string": b"",
        "headers": headers,
        "client": (peer, 50123),
    }
    return Request(scope)


@pytest.fixture
def trusted_proxies(api_env, monkeypatch):
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES")
    get_settings.cache_clear()


def test_without_trusted_proxies_the_peer_and_forwarded_for_is_ignored(api_env):
    assert api_routes._client_ip(_request("10.0.0.1", "198.51.100.7")) == "10.0.0.1"


def test_behind_a_trusted_proxy_the_forwarded_client(trusted_proxies):
    assert api_routes._client_ip(_request("10.0.0.1", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    # Two header lines: the last one is the proxy's own.
    request = _request("10.0.0.1", "6.6.6.6", "198.51.100.7")
    assert api_routes._client_ip(request) == "198.51.100.7"


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(trusted_proxies):
    assert api_routes._client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_the_routes_actor_carries_the_client_address(trusted_proxies, committed):
    with committed() as (db, make):
        contact = make.contact(make.client(make.company()))
        opened = auth.open_session(
            db, contact=contact, kind="password", lifetime=timedelta(hours=1)
        )
    actor = api_routes._actor(_request("10.0.0.1", "198.51.100.7", cookie=opened.token))
    assert actor is not None and actor.ip == "198.51.100.7"


# The request's own scheme and host (the origin a sign-out POST must come from): behind a
# TLS-terminating proxy the socket speaks http to an internal address, and the origin the
# browser used is only in X-Forwarded-Proto / X-Forwarded-Host, believed from trusted proxies.
PUBLIC = "https://billing.example"


def _post(peer: str, origin: str, **forwarded: str) -> Request:
    headers = [(b"host", b"10.0.0.5:8000"), (b"origin", origin.encode())]
    headers += [(f"x-forwarded-{k}".encode(), v.encode()) for k, v in forwarded.items()]
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": "/api/auth/logout",
        "query_string": b"",
        "headers": headers,
        "client": (peer, 50123),
        "server": ("10.0.0.5", 8000),
    }
    return Request(scope)


def test_behind_a_trusted_proxy_the_forwarded_origin_is_the_requests_own(trusted_proxies):
    request = _post("10.0.0.1", PUBLIC, proto="https", host="billing.example")
    assert request_origin(request) == PUBLIC
    assert not signin.foreign_origin(request)
    # Several values (a chain of proxies): the one the nearest proxy wrote, the last.
    request = _post("10.0.0.1", PUBLIC, proto="http, https", host="x.example, billing.example")
    assert request_origin(request) == PUBLIC


def test_without_trusted_proxies_the_forwarded_origin_is_ignored(api_env):
    request = _post("10.0.0.1", PUBLIC, proto="https", host="billing.example")
    assert request_origin(request) == "http://10.0.0.5:8000"
    assert signin.foreign_origin(request)
    assert not signin.foreign_origin(_post("10.0.0.1", "http://10.0.0.5:8000"))


def test_a_forwarded_origin_from_an_untrusted_peer_is_ignored(trusted_proxies):
    request = _post("203.0.113.9", PUBLIC, proto="https", host="billing.example")
    assert request_origin(request) == "http://10.0.0.5:8000"
    assert signin.foreign_origin(request)


@pytest.mark.parametrize(
    ("proto", "host"),
    [("javascript", "billing.example"), ("https", "billing.example/x"), ("https", "a b")],
)
def test_a_malformed_forwarded_value_falls_back_to_the_socket(trusted_proxies, proto, host):
    request = _post("10.0.0.1", PUBLIC, proto=proto, host=host)
    assert request_origin(request) != PUBLIC
    assert signin.foreign_origin(request)
