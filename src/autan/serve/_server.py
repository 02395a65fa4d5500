"""Run the app under uvicorn on one address: bind first (a taken port is a one-line error),
say where, then serve until SIGINT or SIGTERM."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from autan.errors import ConfigurationError


def run_server(app: FastAPI, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve ``app``; ``ready(url)`` once the socket listens."""
    listening = _bind(host, port)
    address, bound_port = listening.getsockname()[:2]
    ready(f"http://{f'[{address}]' if ':' in address else address}:{bound_port}")
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[listening])


def _bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None
