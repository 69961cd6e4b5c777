"""The client's address in a Reflex event handler (its Actor's ip, audit rows, throttling).

Reflex 0.10 fixes an event's router data when the socket connects
(`EventNamespace._build_static_router_data`): `router.session.client_ip` is the ASGI peer,
unless rxconfig's `trusted_proxy_hops` (REFLEX_TRUSTED_PROXY_HOPS) is set, when it becomes the
X-Forwarded-For entry that many hops from the right, whoever sent the header. The peer is
also kept in the `asgi-scope-client` header entry and X-Forwarded-For in the raw headers.

So we take the peer ourselves and apply PORTAL_TRUSTED_PROXIES, the same rule as the HTTP
routes (portal_app/client_address.py); Reflex's hop count is never what decides.
tests/state/test_client_address.py builds router data with Reflex's own code, so an upgrade
that moves any of this fails there.
"""

from __future__ import annotations

import reflex as rx

from portal_app.client_address import client_address

# Where Reflex keeps the connection's peer when trusted_proxy_hops has replaced client_ip.
PEER_HEADER = "asgi-scope-client"


def event_client_address(router) -> str:
    """The client's address for the event whose `router` data this is."""
    headers = router.headers.raw_headers
    if rx.config.get_config().trusted_proxy_hops:
        peer = headers.get(PEER_HEADER, "")
    else:
        # Reflex's own value: the socket's peer, never read from a header.
        peer = router.session.client_ip or ""
    return client_address(peer, headers.get("x-forwarded-for"))
