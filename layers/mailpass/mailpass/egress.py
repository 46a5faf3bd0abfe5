"""The one egress guard: every outbound connection a tenant can aim (an SMTP provider's host, a
webhook URL, a provider `/test`) is resolved here, and only to public internet addresses.

The verdict is on the resolved addresses, never on the spelling: `127.1`, `0x7f000001`,
`2130706433` and `0177.0.0.1` are all loopback to inet_aton (and so to getaddrinfo), and an IPv6
address may carry an IPv4 one inside it (IPv4-mapped, NAT64, 6to4), which is judged by what it
embeds. Callers connect to the very addresses returned (see `connect`), never resolve the name
again, so a DNS answer that changes between check and connect (rebinding) cannot slip through.

The local stack's relaxation (`allow_loopback`) lets loopback through, nothing else: link-local
(the metadata service) and private networks stay refused in every mode."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable

from mailpass.errors import EgressRefused

Address = tuple[socket.AddressFamily, str]
# (host, port) -> addresses; socket.getaddrinfo in production, a table in unit tests.
Resolve = Callable[[str, int], list[Address]]
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# What inet_aton reads as a number: dotted parts in decimal, octal (leading 0) or hex (0x).
_NUMERIC = re.compile(r"^[0-9a-fA-FxX.]+$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def system_resolve(host: str, port: int) -> list[Address]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys((family, str(sockaddr[0])) for family, _, _, _, sockaddr in infos))


def literal(host: str) -> IP | None:
    """The address a host string spells, however it spells it; None for a name."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC.match(bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def _translated(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64 or 6to4 address reaches through its gateway, if it is one."""
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def is_allowed(ip: IP, *, allow_loopback: bool) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # the same socket as the IPv4 address, loopback included
            return is_allowed(ip.ipv4_mapped, allow_loopback=allow_loopback)
        inner = _translated(ip)
        if inner is not None:  # a gateway's loopback is not the local stack's
            return is_allowed(inner, allow_loopback=False)
        if ip.teredo is not None or ip.is_site_local:  # a tunnel; a deprecated private range
            return False
    if ip.is_loopback:
        return allow_loopback
    # is_global alone lets multicast through (224.0.0.0/4 is "global"), so say it all.
    return ip.is_global and not (
        ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def refused_message(host: str) -> str:
    # One message for every refused host, whatever the reason or port: a refusal must not tell
    # an internal network's shape apart (which addresses exist, which ports are open).
    return f"{host} is not a public internet address; MailPass connects only to public hosts"


def resolve_public(
    host: str, port: int, *, allow_loopback: bool, resolve: Resolve = system_resolve
) -> list[Address]:
    """The addresses to connect to for host:port, all of them public; EgressRefused otherwise.
    A host with any non-public address is refused whole (no picking the good ones)."""
    ip = literal(host)
    if ip is not None:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        addresses: list[Address] = [(family, str(ip))]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            raise EgressRefused(f"cannot resolve {host}", permanent=False) from None
        if not addresses:
            raise EgressRefused(f"cannot resolve {host}", permanent=False)
    for _, address in addresses:
        try:
            resolved = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise EgressRefused(refused_message(host)) from None
        if not is_allowed(resolved, allow_loopback=allow_loopback):
            raise EgressRefused(refused_message(host))
    return addresses


def connect(addresses: list[Address], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of the checked addresses that answers. Only IP literals
    reach create_connection, so nothing is resolved again. (MailPass binds no source address.)"""
    last: OSError | None = None
    for _, address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            last = exc
    raise last or OSError("no address to connect to")
