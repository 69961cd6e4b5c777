"""The client's address (and the origin it used) behind reverse proxies: one rule for HTTP
routes and Reflex events.

Behind a proxy every connection comes from the proxy, and the client's own address is only in
the X-Forwarded-For header, which anybody can also write. So the header is read only when the
connection comes from a proxy we trust (PORTAL_TRUSTED_PROXIES: IPs and CIDR networks), and
only as far as trusted proxies wrote it: walking from the right (each proxy appends the
address it saw), the first entry that is not a trusted proxy is the client. With no trusted
proxies (the default) the client is the connection's peer and the header is ignored.

Audit rows, quote approvals, session rows and the sign-in throttle all use this address.

The scheme and host the browser used (the request's own origin, which the sign-out routes'
cross-site check compares with the Origin header) follow the same rule: behind a proxy that
ends TLS the socket speaks http to an internal address, so X-Forwarded-Proto and
X-Forwarded-Host are read, again only from a trusted proxy. Links in e-mails and redirects are
built from PORTAL_BASE_URL, never from a request's host, so no header can point them elsewhere.
No reflex import here: callers pass the peer and the headers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """PORTAL_TRUSTED_PROXIES ("10.0.0.0/8, 192.0.2.10, fd00::/8") as networks.

    A single address is a network of one. ValueError names the first entry that is neither.
    """
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


def _parse_address(text: str) -> IPAddress | None:
    """An address as a proxy writes it ("198.51.100.7", "198.51.100.7:4711", "[2001:db8::5]:443",
    "2001:db8::5"), or None when it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: IPAddress, networks: Sequence[Network]) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # "::ffff:10.0.0.1" is 10.0.0.1
    return any(address in net or (mapped is not None and mapped in net) for net in networks)


def _networks(trusted: str | Sequence[Network] | None) -> tuple[Network, ...]:
    """The trusted proxies: given as text or networks, or None for the setting."""
    if trusted is None:
        from portal_app.core.settings import get_settings

        trusted = get_settings().trusted_proxies
    return parse_trusted_proxies(trusted) if isinstance(trusted, str) else tuple(trusted)


def client_address(
    peer: str | None,
    forwarded_for: str | None = None,
    *,
    trusted: str | Sequence[Network] | None = None,
) -> str:
    """The client's address from the connection's `peer` and its X-Forwarded-For header.

    `trusted` is the trusted proxies (PORTAL_TRUSTED_PROXIES text or parsed networks); None
    reads settings. Addresses taken from the header come back in their canonical spelling, so
    one client is one throttling key. An entry that is not an address stops the walk at the
    trusted proxy that passed it on.
    """
    peer = peer or ""
    networks = _networks(trusted)
    peer_address = _parse_address(peer)
    if not networks or peer_address is None or not _is_trusted(peer_address, networks):
        return peer
    client = peer
    for entry in reversed((forwarded_for or "").split(",")):
        if not entry.strip():
            continue
        hop = _parse_address(entry)
        if hop is None:
            break
        client = str(hop)
        if not _is_trusted(hop, networks):
            break
    return client


def request_client_address(request: Any) -> str:
    """client_address for a Starlette request (every X-Forwarded-For line, in order)."""
    peer = request.client.host if request.client else ""
    return client_address(peer, ", ".join(request.headers.getlist("x-forwarded-for")))


# A host as X-Forwarded-Host may carry it: a DNS name or a bracketed IPv6 address, and a port.
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?",
    re.IGNORECASE,
)


def _nearest(header: str | None) -> str:
    """The last value of a comma-separated forwarded header: the one the proxy that connected
    to us wrote (or passed on)."""
    values = [value.strip() for value in (header or "").split(",") if value.strip()]
    return values[-1] if values else ""


def client_origin(
    peer: str | None,
    scheme: str,
    host: str,
    *,
    forwarded_proto: str | None = None,
    forwarded_host: str | None = None,
    trusted: str | Sequence[Network] | None = None,
) -> str:
    """The origin ("https://portal.example") the client addressed, lower case.

    The connection's own `scheme` and `host` (its Host header), unless the peer is a trusted
    proxy: then X-Forwarded-Proto and X-Forwarded-Host, each where present and well-formed
    (http/https; a host name or [IPv6] with an optional port), else the connection's value.
    """
    peer_address = _parse_address(peer or "")
    networks = _networks(trusted)
    if networks and peer_address is not None and _is_trusted(peer_address, networks):
        proto = _nearest(forwarded_proto).lower()
        if proto in ("http", "https"):
            scheme = proto
        named = _nearest(forwarded_host)
        if named and _HOST.fullmatch(named):
            host = named
    return f"{scheme}://{host}".lower()


def request_origin(request: Any) -> str:
    """client_origin for a Starlette request (every line of each forwarded header, in order)."""
    return client_origin(
        request.client.host if request.client else "",
        request.url.scheme,
        request.headers.get("host") or request.url.netloc,
        forwarded_proto=", ".join(request.headers.getlist("x-forwarded-proto")),
        forwarded_host=", ".join(request.headers.getlist("x-forwarded-host")),
    )
