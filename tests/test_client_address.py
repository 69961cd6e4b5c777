"""The client's address behind reverse proxies (PORTAL_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portal_app.client_address import client_address, parse_trusted_proxies
from portal_app.core.settings import Settings, get_settings

PROXIES = "10.0.0.0/8, 192.0.2.10, fd00::/8"


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        # No header: the peer, proxy or not.
        ("203.0.113.9", None, "203.0.113.9"),
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "", "10.0.0.1"),
        # From an untrusted peer the header is whatever the sender wrote: ignored.
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        ("203.0.113.9", "10.0.0.5", "203.0.113.9"),
        # Through a trusted proxy: the address the proxy saw (the rightmost entry) ...
        ("10.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("192.0.2.10", "198.51.100.7", "198.51.100.7"),
        # ... whatever the client put in front of it, trusted-looking or not.
        ("10.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        ("10.0.0.1", "10.9.9.9, 198.51.100.7", "198.51.100.7"),
        # Several trusted proxies in a row are walked through, from the right.
        ("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2, 192.0.2.10", "198.51.100.7"),
        # Only proxies in the chain (an internal caller): the first of them.
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),
        # Entries a proxy wrote with a port, blanks and spacing.
        ("10.0.0.1", "198.51.100.7:4711", "198.51.100.7"),
        ("10.0.0.1", "[2001:db8::5]:443", "2001:db8::5"),
        ("10.0.0.1", " 198.51.100.7 ,, ", "198.51.100.7"),
        # IPv6, written in any spelling, comes back in one (a throttling key must not vary).
        ("fd00::1", "2001:DB8:0:0::5", "2001:db8::5"),
        ("::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7"),
        # Something that is no address stops the walk at the proxy that passed it on.
        ("10.0.0.1", "198.51.100.7, unknown", "10.0.0.1"),
        ("10.0.0.1", "198.51.100.7, <script>", "10.0.0.1"),
        ("10.0.0.1", "198.51.100.7, <script>, 10.0.0.2", "10.0.0.2"),
        # A peer that is no IP address (a test client, a socket path) is never a proxy.
        ("testclient", "198.51.100.7", "testclient"),
        ("", "198.51.100.7", ""),
    ],
)
def test_client_address_behind_trusted_proxies(peer, forwarded_for, expected):
    assert client_address(peer, forwarded_for, trusted=PROXIES) == expected


def test_no_trusted_proxies_means_the_peer_always():
    for trusted in ("", ()):
        assert client_address("10.0.0.1", "198.51.100.7", trusted=trusted) == "10.0.0.1"


def test_default_reads_the_setting(monkeypatch):
    assert client_address("10.0.0.1", "198.51.100.7") == "10.0.0.1"
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8")
    get_settings.cache_clear()
    try:
        assert client_address("10.0.0.1", "198.51.100.7") == "198.51.100.7"
    finally:
        monkeypatch.delenv("PORTAL_TRUSTED_PROXIES")
        get_settings.cache_clear()


def test_trusted_proxies_are_parsed():
    networks = parse_trusted_proxies(" 10.0.0.0/8,192.0.2.10 , fd00::/8,, ")
    assert [str(n) for n in networks] == ["10.0.0.0/8", "192.0.2.10/32", "fd00::/8"]
    assert parse_trusted_proxies("") == ()


@pytest.mark.parametrize("bad", ["nonsense", "10.0.0.0/33", "10.0.0.0/8, 300.1.1.1", "*"])
def test_a_bad_trusted_proxy_entry_is_refused_by_name(bad, monkeypatch):
    with pytest.raises(ValueError, match="not an IP address or network"):
        parse_trusted_proxies(bad)
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", bad)
    with pytest.raises(ValidationError, match="PORTAL_TRUSTED_PROXIES"):
        Settings()


def test_the_setting_defaults_to_no_proxy(monkeypatch):
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES", raising=False)
    assert Settings(_env_file=None).trusted_proxies == ""
