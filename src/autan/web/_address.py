"""Where a fetch may go: an ``http``/``https`` URL whose host resolves to public addresses only
(unless private ones are allowed), and the one address it will connect to.

The host is resolved once, here, and the request goes to the address checked (the URL's host
replaced by it; ``Host`` and TLS's server name stay the host's), so a name that resolves to a
public address when checked and to ``127.0.0.1`` when connecting (DNS rebinding) reaches
nothing it should not.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

SCHEMES = ("http", "https")


class PrivateAddressRefused(ValueError):
    """The URL's host is (or resolves to) a loopback, private, link-local or other non-public
    address, and fetching those is not allowed. The message is written for the model."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL, and the same URL with its host replaced by the address to connect to."""

    url: Any  # httpx.URL
    pinned: Any  # httpx.URL
    host: str


def checked_target(url: str, allow_private: bool) -> Target:
    """``url`` checked and resolved; ``ValueError`` (for the model) when it may not be fetched."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ValueError(f"not a URL: {url!r}") from None
    if parsed.scheme not in SCHEMES:
        scheme = f"{parsed.scheme}:" if parsed.scheme else "a URL without a scheme"
        raise ValueError(f"only http and https pages are fetched, not {scheme} ({url!r})")
    if not parsed.host:
        raise ValueError(f"{url!r} names no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    address = _resolved(parsed.host, port, allow_private)
    return Target(parsed, parsed.copy_with(host=address), parsed.host)


def _resolved(host: str, port: int, allow_private: bool) -> str:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValueError(f"cannot resolve {host!r}: {error}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in found]
    if not allow_private:
        for address in addresses:
            if not address.is_global:
                raise PrivateAddressRefused(
                    f"{host!r} is {_kind(address)} address ({address}); fetching non-public "
                    "addresses is not allowed"
                )
    return str(addresses[0])


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if address.is_loopback:
        return "a loopback"
    if address.is_link_local:
        return "a link-local"
    if address.is_private:
        return "a private"
    return "a non-public"
