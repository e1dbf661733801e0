"""The network address a request came from, for limits per address: the peer's, or, when the
peer is a reverse proxy named in the settings (`trusted_proxies`), the address that proxy saw
(X-Forwarded-For). A header from anyone else is ignored: a client cannot pick its own address."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from aiohttp import web

Network = IPv4Network | IPv6Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(remote: str, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """Walk X-Forwarded-For from the right (each proxy appends the address it saw) while the hop
    that added it is a trusted proxy; the first untrusted hop is the client."""
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    address = remote
    while hops and _trusted(address, proxies):
        address = hops.pop()
    return address


def of_request(request: web.Request, proxies: Sequence[Network]) -> str:
    return client_address(
        request.remote or "", request.headers.getall("X-Forwarded-For", []), proxies
    )


__all__ = ["client_address", "of_request"]
