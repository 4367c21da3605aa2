"""The client's address, behind trusted reverse proxies too (``APIS_TRUSTED_PROXIES``).

A proxy appends the address it received a request from to ``X-Forwarded-For``. For a request whose peer
(``REMOTE_ADDR``) is a trusted proxy, the header is read from the right: entries that are themselves trusted
proxies are skipped, the first other entry is the client. Everything left of it was written by the client
and is never believed. From any other peer the header is ignored: the peer is the client.

Plain Python apart from :func:`client_address` (which reads Django's settings), so that the gunicorn
access log can resolve the same address.
"""

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:  # the settings module imports this one: no django.http at import time
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR ranges (``10.0.0.5``, ``10.0.0.0/8``, ``fd00::/8``) as networks; an invalid item
    is a ``ValueError`` naming it (a configuration mistake must stop the program, not trust the world)."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR range: {item!r}") from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An address of ``REMOTE_ADDR`` or of one ``X-Forwarded-For`` entry (``1.2.3.4``, ``2001:db8::1``,
    ``[2001:db8::1]``, with a port as some proxies write it: ``1.2.3.4:5678``, ``[2001:db8::1]:5678``);
    IPv4-mapped IPv6 is read as IPv4. ``None`` for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address in network for network in proxies)


def forwarded_client(remote_addr: str, forwarded_for: str, proxies: tuple[Network, ...]) -> str:
    """The client's address of a request from peer ``remote_addr`` carrying ``X-Forwarded-For:
    forwarded_for``, given the trusted ``proxies``.

    The walk stops at the first entry that is not an address: what the trusted proxy wrote is unreadable,
    so the last trusted hop is the best known client. A peer that is not an address is returned as given
    (never trusted)."""
    peer = parse_address(remote_addr)
    if peer is None:
        return remote_addr
    client = peer
    if proxies and _trusted(peer, proxies):
        for entry in reversed(forwarded_for.split(",")):
            address = parse_address(entry)
            if address is None:
                break
            client = address
            if not _trusted(address, proxies):
                break
    return str(client)


def client_address(request: "HttpRequest") -> str:
    """The address of the client of ``request`` (``settings.TRUSTED_PROXIES`` applied); every place that
    needs a client address (throttling, logs) asks this function."""
    meta = request.META
    return forwarded_client(
        meta.get("REMOTE_ADDR", ""), meta.get(FORWARDED_FOR, ""), settings.TRUSTED_PROXIES
    )


def is_from_trusted_proxy(request: "HttpRequest") -> bool:
    """Whether the peer of ``request`` is a trusted proxy (which may also tell the scheme, https)."""
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    return peer is not None and _trusted(peer, settings.TRUSTED_PROXIES)
