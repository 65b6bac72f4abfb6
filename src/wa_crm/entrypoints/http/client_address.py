"""The address of the client behind the request, for login throttling.

``X-Forwarded-For`` is anyone's to write, so it is read only when the peer is one of the
operator's reverse proxies (``WA_CRM_TRUSTED_PROXIES``). Each proxy appends the address it
received from, so the list is read from the right: the first address that is not a trusted
proxy is the client. Without trusted proxies the peer itself is the client, and a header
naming a new address on each try cannot escape the throttle.
"""

from __future__ import annotations

import functools
import ipaddress

from starlette.requests import Request

from wa_crm.container import Container

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(trusted_proxies: str) -> tuple[Network, ...]:
    parts = (part.strip() for part in trusted_proxies.split(","))
    return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request) -> str:
    container: Container = request.app.state.container
    networks = _networks(container.settings().trusted_proxies)
    peer = request.client.host if request.client else ""
    if not _trusted(peer, networks):
        return peer or "unknown"
    forwarded = [
        address.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for address in header.split(",")
        if address.strip()
    ]
    for address in reversed(forwarded):
        if not _trusted(address, networks):
            return address
    return forwarded[0] if forwarded else peer
