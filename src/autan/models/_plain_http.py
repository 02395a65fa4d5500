"""Keep-alive HTTP/1.1 over the standard library's ``http.client``, for plain-``http`` servers
that no proxy setting applies to (a llama.cpp, Ollama or vLLM server on this machine or the
LAN). It costs a fraction of httpx per request; TLS, proxies and streaming stay with httpx."""

from __future__ import annotations

import http.client
import os
import select
from collections import deque
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PlainResponse:
    status: int
    text: str
    headers: Message


def plain_http_applies(base_url: str) -> bool:
    """Whether ``base_url`` is plain ``http`` that no proxy variable applies to (those httpx
    honours: ``HTTP_PROXY`` and ``ALL_PROXY``, unless ``NO_PROXY`` names the host)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if not any(_variable(name) for name in ("http_proxy", "all_proxy")):
        return True
    return _bypassed(parts.hostname, _variable("no_proxy"))


def _variable(name: str) -> str:
    return os.environ.get(name) or os.environ.get(name.upper()) or ""


def _bypassed(host: str, no_proxy: str) -> bool:
    """``NO_PROXY`` names ``host``: ``*``, the host itself, or a domain it is under."""
    for entry in (e.strip().lstrip(".").lower() for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


class PlainHTTP:
    """Idle connections are kept and reused; each is used by one thread at a time."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or ""
        self._port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._headers = headers
        self._timeouts = (connect_timeout, read_timeout)
        self._idle: deque[http.client.HTTPConnection] = deque()

    def request(self, method: str, path: str, body: bytes | None = None) -> PlainResponse:
        """One request; a kept connection the server has closed in the meantime is replaced
        once. Raises ``OSError`` or ``http.client.HTTPException`` when the exchange fails."""
        connection, reused = self._connection()
        try:
            response, will_close = self._exchange(connection, method, path, body)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            connection = self._new_connection()
            response, will_close = self._exchange(connection, method, path, body)
        if will_close:
            connection.close()
        else:
            self._idle.append(connection)
        return response

    def _exchange(
        self, connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None
    ) -> tuple[PlainResponse, bool]:
        """Send and read one exchange; the connection is closed if it fails."""
        try:
            connection.request(method, self._prefix + path, body=body, headers=self._headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except BaseException:
            connection.close()
            raise
        return PlainResponse(response.status, text, response.headers), response.will_close

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                return self._new_connection(), False
            if _still_open(connection):
                return connection, True
            connection.close()

    def _new_connection(self) -> http.client.HTTPConnection:
        connect, read = self._timeouts
        connection = http.client.HTTPConnection(self._host, self._port, timeout=connect)
        connection.connect()
        assert connection.sock is not None
        connection.sock.settimeout(read)
        return connection


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle keep-alive socket is readable only when the server has closed it (or sent
    something unasked): either way it cannot carry the next request."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
