"""Hostile servers on loopback for the header phase of a request: a server (plain or TLS, with
a certificate of a test CA made by ``trustme``) that answers a status line and then trickles
one header byte at a time, never ending the headers; and a real HTTP proxy (``CONNECT``
tunnels, and plain forwarding) in front of it, which may trickle its own ``CONNECT`` answer."""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import ssl
import threading
import time
from typing import Any

SLOW_FOR = 30.0
"""A trickle stops after this many seconds: no test can hang on one."""

SERVER_NAME = "model-server.invalid"
"""The name the test CA's certificate is for; only the proxy knows where it is."""


class _Threaded(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (the test of its deadline) is not an error


class _Serving:
    """Serves ``handler`` on loopback in a thread while inside ``with``."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        self._server = _Threaded(("127.0.0.1", 0), handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def trickle(sock: socket.socket, head: bytes, every: float) -> None:
    """Sends ``head`` at once, then a header name one byte every ``every`` seconds."""
    sock.sendall(head)
    cutoff = time.monotonic() + SLOW_FOR
    while time.monotonic() < cutoff:
        time.sleep(every)
        sock.sendall(b"x")


class TrickledHeaders(_Serving):
    """Reads a request, answers ``200`` and trickles one header without end."""

    def __init__(self, tls: ssl.SSLContext | None = None, every: float = 0.2) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                if tls is not None:
                    sock = tls.wrap_socket(sock, server_side=True)
                sock.recv(65536)  # the request (enough of it: nothing here parses it)
                trickle(sock, b"HTTP/1.1 200 OK\r\nX-Slow: ", every)

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"


class Proxy(_Serving):
    """An HTTP proxy that sends every tunnel and every forwarded request to ``target``'s
    port on loopback, whatever host it names (so that a name only it knows is reached);
    ``trickle_connect`` trickles the ``CONNECT`` answer instead of tunnelling."""

    def __init__(self, target: int, trickle_connect: bool = False) -> None:
        self.requests: list[bytes] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                client = self.request
                head = _head(client)
                proxy.requests.append(head.split(b"\r\n", 1)[0])
                if head.startswith(b"CONNECT") and trickle_connect:
                    trickle(client, b"HTTP/1.1 200 Connection established\r\nX-", 0.2)
                    return
                upstream = socket.create_connection(("127.0.0.1", target))
                if head.startswith(b"CONNECT"):
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                else:
                    upstream.sendall(head)
                _pipe(client, upstream)

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _head(sock: socket.socket) -> bytes:
    """A request's line and headers, read a byte at a time: what follows stays unread."""
    head = b""
    while not head.endswith(b"\r\n\r\n") and (byte := sock.recv(1)):
        head += byte
    return head


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copies bytes both ways until either side closes."""
    with upstream:
        while True:
            readable, _, _ = select.select([client, upstream], [], [], SLOW_FOR)
            if not readable:
                return
            for source in readable:
                other = upstream if source is client else client
                with contextlib.suppress(OSError):
                    data = source.recv(65536)
                    if data:
                        other.sendall(data)
                        continue
                return


def certificates(directory: str) -> tuple[ssl.SSLContext, str]:
    """A server context with a certificate for ``SERVER_NAME`` and ``127.0.0.1``, and the
    path of its CA's certificate (for ``SSL_CERT_FILE``)."""
    import trustme

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(SERVER_NAME, "127.0.0.1").configure_cert(server)
    path = f"{directory}/ca.pem"
    ca.cert_pem.write_to_path(path)
    return server, path
