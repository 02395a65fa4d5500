"""Run the app under uvicorn on one address: bind first (a taken port is a one-line error),
say where, then serve until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn
from fastapi import FastAPI

from autan.errors import ConfigurationError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_server(app: FastAPI, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve ``app``; ``ready(url)`` once the socket listens. A SIGINT or SIGTERM stops the
    server from the moment ``ready`` is called, also before uvicorn's own handlers are in
    place, and is raised again once it has stopped (SIGINT: ``KeyboardInterrupt``)."""
    listening = _bind(host, port)
    address, bound_port = listening.getsockname()[:2]
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    with _stop_signals(server) as received:
        ready(f"http://{f'[{address}]' if ':' in address else address}:{bound_port}")
        server.run(sockets=[listening])
    for number in received:
        signal.raise_signal(number)


@contextmanager
def _stop_signals(server: uvicorn.Server) -> Iterator[list[int]]:
    """Until uvicorn takes over (and after it gives back) a stop signal is noted and tells the
    server to exit. Python's own SIGINT handler would raise ``KeyboardInterrupt`` wherever the
    main thread is: inside a finalizer (a weakref callback during uvicorn's start) the exception
    is printed and dropped, and the server went on serving."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received  # signals reach the main thread only
        return

    def note(number: int, frame: FrameType | None) -> None:
        if number not in received:
            received.append(number)
        server.should_exit = True

    previous = {number: signal.signal(number, note) for number in STOP_SIGNALS}
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None
