"""Keep-alive HTTP/1.1 over the standard library's ``http.client``, for plain-``http`` servers
that no proxy setting applies to (a llama.cpp, Ollama or vLLM server on this machine or the
LAN). It costs a fraction of httpx per request; TLS, proxies and streaming stay with httpx.
It asks for no compression (``http.client`` sends ``Accept-Encoding: identity``); an answer
compressed all the same is inflated within the same bound as httpx's (``_bounds``), and every
wait (connect, each read) is cut to the time left of the request's deadline, which also ends
the exchange where it stands (``_watchdog``)."""

from __future__ import annotations

import http.client
import os
import select
from collections import deque
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from autan.models._bounds import BoundedBody, Deadline, check_length
from autan.models._watchdog import cut_off_at

_PIECE = 65536


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
        max_response_bytes: int = 16 * 2**20,
        name: str = "",
    ) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or ""
        self._port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._headers = headers
        self._timeouts = (connect_timeout, read_timeout)
        self._limit = max_response_bytes
        self._name = name or f"{self._host}:{self._port}"
        self._idle: deque[http.client.HTTPConnection] = deque()

    def request(
        self, method: str, path: str, body: bytes | None = None, deadline: Deadline | None = None
    ) -> PlainResponse:
        """One request; a kept connection the server has closed in the meantime is replaced
        once. Raises ``OSError`` or ``http.client.HTTPException`` when the exchange fails,
        ``ModelTimeout`` when the deadline passes, ``ResponseTooLarge`` past the bound."""
        deadline = deadline or Deadline()
        connection, reused = self._connection(deadline)
        try:
            response, will_close = self._exchange(connection, method, path, body, deadline)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused or deadline.passed():
                raise
            connection = self._new_connection(deadline)
            response, will_close = self._exchange(connection, method, path, body, deadline)
        if will_close:
            connection.close()
        else:
            self._idle.append(connection)
        return response

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        body: bytes | None,
        deadline: Deadline,
    ) -> tuple[PlainResponse, bool]:
        """Send and read one exchange; the connection is closed if it fails."""
        try:
            with cut_off_at(deadline, connection.sock):
                self._wait_at_most(connection, deadline)
                connection.request(method, self._prefix + path, body=body, headers=self._headers)
                response = connection.getresponse()
                content = self._read(connection, response, deadline)
        except BaseException:
            connection.close()
            raise
        text = content.decode("utf-8", errors="replace")
        return PlainResponse(response.status, text, response.headers), response.will_close

    def _read(
        self,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        deadline: Deadline,
    ) -> bytes:
        """The body, piece by piece (``read1``: one wait each, so a trickle is checked)."""
        check_length(response.headers, self._limit, self._name, "max_response_bytes")
        encoding = response.headers.get("content-encoding", "")
        bounded = BoundedBody(self._limit, encoding, self._name, "max_response_bytes")
        content = bytearray()
        while True:
            deadline.check(self._name)
            self._wait_at_most(connection, deadline)
            if not (piece := response.read1(_PIECE)):
                break
            content += bounded.feed(piece)
        deadline.check(self._name)  # an end cut short by the watchdog
        if response.length:
            raise http.client.IncompleteRead(bytes(content), response.length)
        response.read()  # nothing is left: this marks the exchange done, for reuse
        return bytes(content + bounded.flush())

    def _wait_at_most(self, connection: http.client.HTTPConnection, deadline: Deadline) -> None:
        if connection.sock is not None:
            connection.sock.settimeout(deadline.timeout(self._timeouts[1]))

    def _connection(self, deadline: Deadline) -> tuple[http.client.HTTPConnection, bool]:
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                return self._new_connection(deadline), False
            if _still_open(connection):
                return connection, True
            connection.close()

    def _new_connection(self, deadline: Deadline) -> http.client.HTTPConnection:
        connect = deadline.timeout(self._timeouts[0])
        connection = http.client.HTTPConnection(self._host, self._port, timeout=connect)
        connection.connect()
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
