"""What went wrong with a connection to a model server, in words rather than an exception's class
name: ``connection refused — is the server running?``, not ``ConnectionRefusedError``."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

_BY_ERRNO = {
    errno.ECONNREFUSED: "connection refused — is the server running?",
    errno.ECONNRESET: "the server reset the connection",
    errno.EPIPE: "the server closed the connection while the request was sent",
    errno.EHOSTUNREACH: "the host is unreachable",
    errno.ENETUNREACH: "the network is unreachable",
    errno.ETIMEDOUT: "the connection timed out",
    errno.EADDRNOTAVAIL: "the address is not available on this machine",
}


def connection_message(name: str, url: str, error: BaseException) -> str:
    """``NAME: cannot connect to URL: connection refused — is the server running?``, or
    ``NAME: the exchange with URL failed: …`` once a connection was made."""
    where = (
        f"cannot connect to {url}" if cannot_connect(error) else f"the exchange with {url} failed"
    )
    return f"{name}: {where}: {connection_problem(error)}"


def connection_problem(error: BaseException) -> str:
    """The first cause in ``error``'s chain that can be said in words; else its own text."""
    for cause in _chain(error):
        words = _words(cause)
        if words:
            return words
    text = str(error).strip()
    return text or "the exchange with the server failed"


def cannot_connect(error: BaseException) -> bool:
    """Whether the connection was never made (refused, unreachable, an unknown host)."""
    for cause in _chain(error):
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "ConnectError":
            return True
        if isinstance(cause, OSError) and cause.errno in (
            errno.ECONNREFUSED,
            errno.EHOSTUNREACH,
            errno.ENETUNREACH,
            errno.EADDRNOTAVAIL,
        ):
            return True
    return False


def _words(error: BaseException) -> str | None:
    if isinstance(error, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(error, ssl.SSLError):
        return f"the TLS handshake failed ({error.reason or error})"
    if isinstance(error, TimeoutError) or type(error).__name__.endswith("Timeout"):
        return "no answer in time (timed out)"
    if isinstance(error, OSError) and error.errno in _BY_ERRNO:
        return _BY_ERRNO[error.errno]
    if type(error).__name__ in ("RemoteDisconnected", "RemoteProtocolError", "IncompleteRead"):
        return "the server closed the connection before its answer was complete"
    return _from_text(str(error))


def _from_text(text: str) -> str | None:
    """httpx wraps the socket's error in its own class, keeping the socket's text."""
    lowered = text.lower()
    if "connection refused" in lowered:
        return _BY_ERRNO[errno.ECONNREFUSED]
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "the host name does not resolve"
    if "server disconnected" in lowered:
        return "the server closed the connection before its answer was complete"
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
